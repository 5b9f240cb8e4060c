"""Reading JSON Lines from a file object in bounded chunks, and carrying a ``custom_id`` through Vertex labels.

Vertex echoes each Gemini batch request in its output row but has no field for a caller's id, so the
``custom_id`` rides in the request's ``labels``: label values allow only ``[a-z0-9_-]`` and 63 characters,
so the id is base32-encoded (lower case, unpadded: an exact round trip for any UTF-8 id) and split over
``vr_cid_0``, ``vr_cid_1``, ... A reader that finds no such labels treats the row as anonymous.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from typing import IO

READ_SIZE = 256 * 1024
LABEL_PREFIX = "vr_cid_"
LABEL_VALUE_MAX = 63
MAX_CUSTOM_ID_BYTES = 512  # 16 labels at most; Vertex allows 64 labels per request


def iter_lines(src: IO[bytes], read_size: int = READ_SIZE) -> Iterator[tuple[int, bytes]]:
    """``(line_number, line)`` for every non-blank line, reading ``read_size`` bytes at a time."""
    pending = b""
    number = 0
    while True:
        chunk = src.read(read_size)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            number += 1
            if line.strip():
                yield number, line
    if pending.strip():
        yield number + 1, pending


def encode_custom_id(custom_id: str) -> dict[str, str]:
    encoded = base64.b32encode(custom_id.encode()).decode().rstrip("=").lower()
    parts = [encoded[i : i + LABEL_VALUE_MAX] for i in range(0, len(encoded), LABEL_VALUE_MAX)] or [""]
    return {f"{LABEL_PREFIX}{index}": part for index, part in enumerate(parts)}


def decode_custom_id(labels: object) -> str | None:
    if not isinstance(labels, Mapping):
        return None
    parts: list[str] = []
    while f"{LABEL_PREFIX}{len(parts)}" in labels:
        parts.append(str(labels[f"{LABEL_PREFIX}{len(parts)}"]))
    if not parts:
        return None
    joined = "".join(parts).upper()
    try:
        return base64.b32decode(joined + "=" * (-len(joined) % 8)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
