"""Inlining remote media for Claude on Vertex.

Claude on Vertex rejects ``url`` image and document sources ("URL sources are not supported"), unlike
Anthropic's own API. So before the request is built, every http(s) URL in an ``image_url`` or ``file`` part is
fetched through the router's guarded fetcher and replaced by a ``data:`` URL, which the request builder turns
into a ``base64`` source. The caller's messages are never mutated.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from router.families.media import mime_from_url, normalize_mime

Fetch = Callable[[str], Awaitable[tuple[bytes, str]]]
_GENERIC = frozenset({"", "application/octet-stream", "binary/octet-stream"})


def _url_slots(messages: list[Any]) -> list[tuple[dict[str, Any], str]]:
    """(container, key) for every http(s) URL in user and tool content parts."""
    slots: list[tuple[dict[str, Any], str]] = []
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "image_url":
                image = part.get("image_url")
                if isinstance(image, dict):
                    slots.append((image, "url"))
                elif isinstance(image, str):
                    slots.append((part, "image_url"))
            elif part.get("type") == "file" and isinstance(part.get("file"), dict):
                file = part["file"]
                slots.append((file, "file_data" if file.get("file_data") else "file_id"))
    return [(c, k) for c, k in slots if isinstance(c.get(k), str) and c[k].startswith(("https://", "http://"))]


def has_remote_media(messages: list[Any]) -> bool:
    return bool(_url_slots(messages))


async def inline_remote_media(messages: list[Any], fetch: Fetch) -> list[Any]:
    copied = copy.deepcopy(messages)
    for container, key in _url_slots(copied):
        url = container[key]
        data, content_type = await fetch(url)
        mime = normalize_mime(content_type.split(";", 1)[0]) if content_type else ""
        if mime in _GENERIC:
            mime = mime_from_url(url) or "image/jpeg"
        container[key] = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        if key == "file_id":
            container["file_data"] = container.pop("file_id")
    return copied
