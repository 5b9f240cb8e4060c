"""Media sources in OpenAI content parts: data URLs, Cloud Storage / HTTP URLs, and MIME types by extension.

Shared by every family that accepts images, documents, audio or video. Pure functions; the one async helper
(``inline_unresolvable_urls``) does I/O only through the fetcher it is given.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# MIME types Gemini accepts, by file extension (Google's "supported MIME types" lists for images, documents,
# audio and video). Used when a URL is passed by reference and the caller gave no explicit ``format``.
MIME_BY_EXTENSION: dict[str, str] = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "aac": "audio/aac",
    "m4a": "audio/m4a",
    "opus": "audio/opus",
    "pcm": "audio/pcm",
    "mp4": "video/mp4",
    "mov": "video/mov",
    "mpeg": "video/mpeg",
    "mpg": "video/mpg",
    "mpegps": "video/mpegps",
    "avi": "video/avi",
    "wmv": "video/wmv",
    "flv": "video/flv",
    "webm": "video/webm",
    "3gp": "video/3gpp",
}

# Aliases callers write that are not the canonical type.
_MIME_ALIASES = {"image/jpg": "image/jpeg", "audio/mp3": "audio/mpeg"}


@dataclass(frozen=True, slots=True)
class MediaSource:
    """Where a content part's bytes are: inline base64 (``data``) or by reference (``uri``)."""

    mime_type: str | None
    data: str | None = None  # base64, without the data: prefix
    uri: str | None = None


def normalize_mime(mime: str) -> str:
    mime = mime.strip().lower()
    return _MIME_ALIASES.get(mime, mime)


_VIDEO_HOSTS = frozenset({"www.youtube.com", "youtube.com", "m.youtube.com", "youtu.be"})


def mime_from_url(url: str) -> str | None:
    """MIME type from the URL path's extension (query and fragment ignored); None when unknown.

    YouTube links are videos Gemini reads by reference; they have no extension but must not be downloaded."""
    parts = urlsplit(url) if "://" in url else None
    if parts is not None and parts.hostname in _VIDEO_HOSTS:
        return "video/mp4"
    path = parts.path if parts is not None else url
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return MIME_BY_EXTENSION.get(name.rsplit(".", 1)[-1].lower())


def is_data_url(url: str) -> bool:
    return url.startswith("data:")


def parse_data_url(url: str) -> MediaSource:
    """``data:<mime>;base64,<payload>`` → MediaSource(mime, data). Raises ValueError if it is not base64."""
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        raise ValueError("expected a base64 data URL: data:<mime type>;base64,<data>")
    mime = header[5:-7].split(";", 1)[0]
    return MediaSource(mime_type=normalize_mime(mime) if mime else None, data=payload)


def is_remote_url(url: str) -> bool:
    return url.startswith(("https://", "http://", "gs://"))


def source_from_url(url: str, mime_hint: str | None = None) -> MediaSource:
    """A data URL → inline source; a gs:// or http(s) URL → by-reference source with the best MIME guess."""
    if is_data_url(url):
        parsed = parse_data_url(url)
        if mime_hint:
            return MediaSource(mime_type=normalize_mime(mime_hint), data=parsed.data)
        return parsed
    mime = normalize_mime(mime_hint) if mime_hint else mime_from_url(url)
    return MediaSource(mime_type=mime, uri=url)


def mime_hint(obj: Mapping[str, Any]) -> str | None:
    """The caller's explicit MIME type on a content object (``format``, ``mime_type`` or ``content_type``)."""
    for key in ("format", "mime_type", "content_type"):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def audio_mime(fmt: str | None) -> str:
    """OpenAI ``input_audio.format`` ("wav", "mp3") → a MIME type; an explicit ``audio/...`` is kept."""
    if not fmt:
        return "audio/wav"
    if "/" in fmt:
        return normalize_mime(fmt)
    return MIME_BY_EXTENSION.get(fmt.lower(), f"audio/{fmt.lower()}")


def _url_specs(messages: list[Any]) -> list[tuple[dict[str, Any], str, str | None]]:
    """Every (container, key, mime hint) in user content whose ``key`` holds a URL string."""
    found: list[tuple[dict[str, Any], str, str | None]] = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for item in content:
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            spec = item.get(kind) if isinstance(kind, str) else None
            if kind in ("image_url", "input_image", "video_url"):
                if isinstance(spec, str):
                    found.append((item, kind, None))
                elif isinstance(spec, dict) and isinstance(spec.get("url"), str):
                    found.append((spec, "url", mime_hint(spec)))
            elif kind in ("file", "input_file") and isinstance(spec, dict) and isinstance(spec.get("file_id"), str):
                found.append((spec, "file_id", mime_hint(spec)))
    return found


def _unresolvable(url: str, hint: str | None) -> bool:
    return url.startswith(("https://", "http://")) and not hint and mime_from_url(url) is None


def needs_inlining(messages: list[Any]) -> bool:
    """True when some http(s) media URL has no recognisable type and must be fetched to be sent."""
    return any(_unresolvable(container[key], hint) for container, key, hint in _url_specs(messages))


async def inline_unresolvable_urls(
    messages: list[Any], fetch: Callable[[str], Awaitable[tuple[bytes, str]]]
) -> list[Any]:
    """A copy of ``messages`` where each URL ``needs_inlining`` flags is replaced by a ``data:`` URL.

    ``fetch`` is the router's guarded fetcher (no private addresses, size and time capped); the originals are
    not mutated, as the caller may reuse its message list.
    """
    copied = copy.deepcopy(messages)
    for container, key, hint in _url_specs(copied):
        url = container[key]
        if not _unresolvable(url, hint):
            continue
        data, content_type = await fetch(url)
        mime = normalize_mime(content_type.split(";", 1)[0]) if content_type else "application/octet-stream"
        container[key] = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return copied
