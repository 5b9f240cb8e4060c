"""Deterministic content: token counts, echoed answers, ids, JSON that fits a schema, vectors, media bytes.

Everything here is a pure function of the request, never of the region or the time, so two regions give the
same answer to the same request (failover tests compare answers).
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import re
import struct
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

# Magic markers a prompt can carry (documented in README.md).
MARK_BLOCK = "EMULATOR_BLOCK"
MARK_SAFETY_STOP = "EMULATOR_SAFETY_STOP"
MARK_TOO_LONG = "EMULATOR_TOO_LONG"
MARK_CALL_TOOL = "EMULATOR_CALL_TOOL"
MARK_LONG_ANSWER = "EMULATOR_LONG_ANSWER"
MARK_NO_PREFILL = "no-prefill"  # in a model name or endpoint id: a trailing assistant turn is a 400
NO_PREFILL_MESSAGE = "Prefill is not supported for this model: the last turn must be from the user."

_MAX_SAMPLE_DEPTH = 12


def count_tokens(text: str) -> int:
    """Whitespace tokens: simple, and consistent between what is sent and what is counted."""
    return len(text.split())


def answer_for(text: str) -> str:
    """The reply to a user text. ``EMULATOR_LONG_ANSWER`` makes a 200-word answer (for max_tokens tests)."""
    if MARK_LONG_ANSWER in text:
        return "Echo: " + " ".join(f"word{i}" for i in range(200))
    return f"Echo: {text}" if text else "Echo:"


def continuation(answer: str, prefill: str | None) -> str:
    """The answer to a conversation ending in a prefilled assistant turn: the rest of ``answer`` when the prefill
    is its start (the model continues it), else the whole answer, as without the prefill."""
    if prefill and answer.startswith(prefill):
        return answer[len(prefill) :]
    return answer


def truncate_tokens(text: str, limit: int | None) -> tuple[str, bool]:
    """``text`` cut to ``limit`` whitespace tokens; the flag says whether it was cut."""
    if limit is None or limit <= 0:
        return text, False
    words = text.split()
    if len(words) <= limit:
        return text, False
    return " ".join(words[:limit]), True


def apply_stop(text: str, stops: Any) -> tuple[str, str | None]:
    """``text`` cut before the first stop sequence found, and that sequence."""
    if isinstance(stops, str):
        stops = [stops]
    if not isinstance(stops, list):
        return text, None
    best: tuple[int, str] | None = None
    for stop in stops:
        if isinstance(stop, str) and stop:
            at = text.find(stop)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, stop)
    return (text[: best[0]], best[1]) if best else (text, None)


def chunk_words(text: str, max_chunks: int = 64) -> list[str]:
    """``text`` in pieces that join back to it exactly: one word (with its trailing space) per piece,
    grouped when there are more words than ``max_chunks``."""
    pieces = re.findall(r"\S+\s*|\s+", text)
    if not pieces:
        return [text]
    per = math.ceil(len(pieces) / max_chunks)
    return ["".join(pieces[i : i + per]) for i in range(0, len(pieces), per)]


def digest(*parts: Any) -> str:
    """A stable hex digest of anything JSON-serialisable."""
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()


def rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_duration(value: Any) -> float | None:
    """Google duration ``"300s"`` / ``"1.5s"`` → seconds."""
    if isinstance(value, str) and value.endswith("s"):
        try:
            return float(value[:-1])
        except ValueError:
            return None
    return None


def parse_rfc3339(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------- schemas


def sample_for_schema(schema: Any, *, hint: str = "value") -> Any:
    """A JSON value that satisfies ``schema`` — JSON Schema or Vertex's OpenAPI subset (``"OBJECT"`` types).

    Handles ``$ref``/``$defs``, ``anyOf``/``oneOf``/``allOf``, ``enum``, ``const``, formats, bounds,
    ``minItems`` and every listed property (required or not, so ``additionalProperties: false`` holds).
    """
    root = schema if isinstance(schema, Mapping) else {}
    return _sample(root, root, hint, 0)


def _sample(node: Mapping[str, Any], root: Mapping[str, Any], hint: str, depth: int) -> Any:
    if depth > _MAX_SAMPLE_DEPTH:
        return None
    ref = node.get("$ref")
    if isinstance(ref, str):
        return _sample(_resolve(ref, root), root, hint, depth + 1)
    if "const" in node:
        return node["const"]
    enum = node.get("enum")
    if isinstance(enum, list) and enum:
        return next((e for e in enum if e is not None), enum[0])
    for key in ("anyOf", "oneOf"):
        branches = node.get(key)
        if isinstance(branches, list) and branches:
            chosen = next((b for b in branches if _type_of(b) != "null"), branches[0])
            return _sample(chosen, root, hint, depth + 1)
    all_of = node.get("allOf")
    if isinstance(all_of, list) and all_of:
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        for branch in all_of:
            part = _resolve(branch["$ref"], root) if isinstance(branch, Mapping) and "$ref" in branch else branch
            if isinstance(part, Mapping):
                merged.setdefault("properties", {}).update(part.get("properties", {}))
                merged.setdefault("required", []).extend(part.get("required", []))
                merged.setdefault("type", part.get("type"))
        return _sample(merged, root, hint, depth + 1)
    return _sample_typed(node, root, hint, depth)


def _sample_typed(node: Mapping[str, Any], root: Mapping[str, Any], hint: str, depth: int) -> Any:
    kind = _type_of(node)
    if kind == "object" or (kind is None and "properties" in node):
        props = node.get("properties") or {}
        return {name: _sample(sub, root, name, depth + 1) for name, sub in props.items() if isinstance(sub, Mapping)}
    if kind == "array":
        raw_items = node.get("items")
        items: Mapping[str, Any] = raw_items if isinstance(raw_items, Mapping) else {"type": "string"}
        count = max(1, int(node.get("minItems", 1) or 1))
        return [_sample(items, root, hint, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(node, kind)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(node, hint)


def _type_of(node: Any) -> str | None:
    if not isinstance(node, Mapping):
        return None
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if str(k).lower() != "null"), "null")
    return str(kind).lower() if kind else None


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    return node if isinstance(node, Mapping) else {}


def _number(node: Mapping[str, Any], kind: str) -> int | float:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    value: float = 1
    if isinstance(low, int | float):
        value = low + (1 if "exclusiveMinimum" in node and "minimum" not in node else 0)
    elif isinstance(high, int | float):
        value = min(1, high - (1 if "exclusiveMaximum" in node and "maximum" not in node else 0))
    if isinstance(low, int | float) and isinstance(high, int | float) and value > high:
        value = (low + high) / 2
    return math.ceil(value) if kind == "integer" else value


_FORMATS = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
}


def _string(node: Mapping[str, Any], hint: str) -> str:
    fmt = node.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    text = re.sub(r"[^A-Za-z0-9_]", "", hint) or "value"
    min_len = node.get("minLength")
    max_len = node.get("maxLength")
    if isinstance(min_len, int) and len(text) < min_len:
        text = text + "x" * (min_len - len(text))
    if isinstance(max_len, int) and len(text) > max_len:
        text = text[:max_len]
    return text


# ---------------------------------------------------------------------------------------------------- vectors, media


def embedding_vector(text: str, dimensions: int) -> list[float]:
    """A unit vector seeded by the text: same text, same vector; different texts, different vectors."""
    rng = random.Random(int(digest(text)[:16], 16))
    values = [rng.gauss(0.0, 1.0) for _ in range(max(1, dimensions))]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 6) for v in values]


def png_bytes(seed: str, size: int = 8) -> bytes:
    """A small valid PNG whose colour depends on ``seed``."""
    r, g, b = bytes.fromhex(digest(seed)[:6])
    row = b"\x00" + bytes([r, g, b]) * size
    raw = row * size

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def wav_bytes(words: int, rate: int = 24000) -> bytes:
    """Silent 16-bit mono PCM in a WAV container, a tenth of a second per word."""
    frames = max(1, words) * rate // 10
    data = b"\x00\x00" * frames
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", len(data))
    return header + data


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
