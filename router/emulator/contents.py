"""Reading Gemini ``Content`` lists: field access in either spelling, the last user text, token counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from router.emulator.discovery import snake
from router.emulator.synth import count_tokens

MEDIA_TOKENS = 258  # what Vertex bills for one image


def pick(mapping: Any, camel: str, default: Any = None) -> Any:
    """``mapping[camel]`` or ``mapping[snake_case(camel)]``: Vertex accepts both spellings."""
    if not isinstance(mapping, dict):
        return default
    if camel in mapping:
        return mapping[camel]
    return mapping.get(snake(camel), default)


def parts_of(content: Any) -> list[Mapping[str, Any]]:
    parts = pick(content, "parts", [])
    return [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []


def part_text(part: Mapping[str, Any]) -> str:
    """The text a part contributes to the prompt (function calls/results as their JSON)."""
    text = part.get("text")
    if isinstance(text, str):
        return text
    for key in ("functionCall", "functionResponse"):
        value = pick(part, key)
        if value is not None:
            return orjson.dumps(value).decode()
    return ""


def is_media(part: Mapping[str, Any]) -> bool:
    return pick(part, "inlineData") is not None or pick(part, "fileData") is not None


def media_modality(part: Mapping[str, Any]) -> str:
    blob = pick(part, "inlineData") or pick(part, "fileData") or {}
    mime = str(pick(blob, "mimeType", ""))
    for prefix, modality in (("image/", "IMAGE"), ("audio/", "AUDIO"), ("video/", "VIDEO")):
        if mime.startswith(prefix):
            return modality
    return "DOCUMENT" if mime == "application/pdf" else "TEXT"


def token_details(contents: list[Any]) -> dict[str, int]:
    """Tokens per modality over every part of every content."""
    counts: dict[str, int] = {}
    for content in contents:
        for part in parts_of(content):
            if is_media(part):
                modality = media_modality(part)
                counts[modality] = counts.get(modality, 0) + MEDIA_TOKENS
            else:
                counts["TEXT"] = counts.get("TEXT", 0) + count_tokens(part_text(part))
    return counts


def request_contents(body: Mapping[str, Any]) -> list[Any]:
    """Everything that counts as prompt: system instruction first, then the contents."""
    contents = pick(body, "contents") or []
    system = pick(body, "systemInstruction")
    items = list(contents) if isinstance(contents, list) else []
    return ([system] if isinstance(system, dict) else []) + items


def last_user_text(contents: list[Any]) -> str:
    """The text of the last user turn (function results rendered as ``name=json``)."""
    for content in reversed(contents):
        if not isinstance(content, dict) or pick(content, "role", "user") not in ("user", None, ""):
            continue
        parts = parts_of(content)
        texts = [p["text"] for p in parts if isinstance(p.get("text"), str) and not p.get("thought")]
        if texts:
            return " ".join(texts)
        results = [pick(p, "functionResponse") for p in parts if pick(p, "functionResponse") is not None]
        if results:
            rendered = (f"{r.get('name', '')}={orjson.dumps(r.get('response')).decode()}" for r in results)
            return "Received " + ", ".join(rendered)
    return ""


def trailing_model_text(contents: list[Any]) -> str | None:
    """The text of a trailing ``model`` turn (a prefill the answer continues), or None when the user spoke last."""
    last = contents[-1] if contents else None
    if not isinstance(last, dict) or pick(last, "role") != "model":
        return None
    return "".join(p["text"] for p in parts_of(last) if isinstance(p.get("text"), str) and not p.get("thought"))


def all_text(contents: list[Any]) -> str:
    return " ".join(part_text(p) for c in contents for p in parts_of(c))


def declarations(tools: Any) -> list[Mapping[str, Any]]:
    """Every function declaration across the tool objects."""
    found: list[Mapping[str, Any]] = []
    for tool in tools if isinstance(tools, list) else []:
        decls = pick(tool, "functionDeclarations") or []
        found.extend(d for d in decls if isinstance(d, dict))
    return found


def has_search_tool(tools: Any) -> bool:
    names = ("googleSearch", "googleSearchRetrieval", "enterpriseWebSearch")
    return any(pick(tool, name) is not None for tool in (tools or []) for name in names)
