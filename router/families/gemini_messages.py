"""OpenAI ``messages`` → Vertex ``systemInstruction`` + ``contents``.

Gemini wants alternating ``user``/``model`` turns, so consecutive messages of the same Gemini role are merged
into one content (tool results are ``user`` turns of ``functionResponse`` parts). A tool result must name its
function, which OpenAI only says on the assistant's call: names are recovered from the ``tool_call_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from router.errors import InvalidRequestError
from router.families.gemini_models import GeminiTraits
from router.families.media import MediaSource, audio_mime, mime_hint, parse_data_url, source_from_url

# Google's documented placeholder for a function call whose thought signature is unknown (history written by
# another model or a client that dropped it); Gemini 3 rejects an unsigned first call of a turn otherwise.
SKIP_SIGNATURE = "skip_thought_signature_validator"

_RESOLUTION = {"low": "MEDIA_RESOLUTION_LOW", "medium": "MEDIA_RESOLUTION_MEDIUM", "high": "MEDIA_RESOLUTION_HIGH"}
_RESOLUTION_RANK = {"MEDIA_RESOLUTION_LOW": 1, "MEDIA_RESOLUTION_MEDIUM": 2, "MEDIA_RESOLUTION_HIGH": 3}


@dataclass(slots=True)
class Converted:
    system: dict[str, Any] | None
    contents: list[dict[str, Any]]
    media_resolution: str | None = None  # highest ``detail`` asked for (Gemini 2.x: request-wide setting)
    _names: dict[str, str] = field(default_factory=dict)


def to_contents(messages: list[Any], traits: GeminiTraits, *, fill_empty: bool = True) -> Converted:
    out = Converted(None, [])
    system_parts: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, dict) and not isinstance(message, Mapping):  # dict first: ABC checks are slow
            raise InvalidRequestError("each message must be an object", param="messages")
        role = message.get("role")
        if role in ("system", "developer") and traits.system_instruction:
            system_parts.extend(_user_parts(message.get("content"), traits, out))
        elif role in ("user", "system", "developer"):
            _append(out.contents, "user", _user_parts(message.get("content"), traits, out))
        elif role == "assistant":
            _append(out.contents, "model", _assistant_parts(message, traits, out))
        elif role in ("tool", "function"):
            _append(out.contents, "user", _tool_result(message, traits, out))
        else:
            raise InvalidRequestError(f"unknown message role {role!r}", param="messages")
    if system_parts:
        out.system = {"parts": system_parts}
    if not out.contents and fill_empty:
        # Vertex needs at least one user turn, also when the caller sent only system messages.
        out.contents.append({"role": "user", "parts": [{"text": "."}]})
    return out


def _append(contents: list[dict[str, Any]], role: str, parts: list[dict[str, Any]]) -> None:
    if not parts:
        return
    if contents and contents[-1]["role"] == role:
        contents[-1]["parts"].extend(parts)
    else:
        contents.append({"role": role, "parts": parts})


def _user_parts(content: Any, traits: GeminiTraits, out: Converted) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    if not isinstance(content, list):
        raise InvalidRequestError("message content must be a string or a list of parts", param="messages")
    parts: list[dict[str, Any]] = []
    for item in content:
        part = _content_part(item, traits, out)
        if part is not None:
            parts.append(part)
    return parts


def _content_part(item: Any, traits: GeminiTraits, out: Converted) -> dict[str, Any] | None:
    if isinstance(item, str):
        return {"text": item} if item else None
    if not isinstance(item, Mapping):
        raise InvalidRequestError("content parts must be objects", param="messages")
    kind = item.get("type")
    if kind in ("text", "input_text"):
        text = item.get("text")
        return {"text": text} if isinstance(text, str) and text else None
    if kind in ("image_url", "input_image", "video_url"):
        return _url_part(item.get(kind) if kind in item else item.get("image_url"), traits, out)
    if kind in ("file", "input_file"):
        return _file_part(item.get("file") or {})
    if kind == "input_audio":
        audio = item.get("input_audio") or {}
        data = audio.get("data", "")
        if isinstance(data, str) and data.startswith("data:"):
            return _media_part(parse_data_url(data), "input_audio")
        return _media_part(MediaSource(mime_type=audio_mime(audio.get("format")), data=data), "input_audio")
    if kind == "audio_input":  # the user guide's spelling: {"audio_input": {"audio_input": "data:..."}}
        audio = item.get("audio_input")
        url = audio.get("audio_input") if isinstance(audio, Mapping) else audio
        if not isinstance(url, str):
            raise InvalidRequestError("audio_input needs a data URL", param="messages")
        return _media_part(source_from_url(url), "audio_input")
    raise InvalidRequestError(f"content part type {kind!r} is not supported by gemini models", param="messages")


def _url_part(spec: Any, traits: GeminiTraits, out: Converted) -> dict[str, Any]:
    if isinstance(spec, str):
        spec = {"url": spec}
    if not isinstance(spec, Mapping) or not isinstance(spec.get("url"), str):
        raise InvalidRequestError("image_url needs a url", param="messages")
    part = _media_part(source_from_url(spec["url"], mime_hint(spec)), "image_url")
    level = _RESOLUTION.get(str(spec.get("detail", "")).lower())
    if level and traits.part_media_resolution:
        part["mediaResolution"] = {"level": level}
    elif level and traits.media_resolution:
        current = out.media_resolution
        if current is None or _RESOLUTION_RANK[level] > _RESOLUTION_RANK[current]:
            out.media_resolution = level
    return part


def _file_part(spec: Mapping[str, Any]) -> dict[str, Any]:
    hint = mime_hint(spec)
    file_id, file_data = spec.get("file_id"), spec.get("file_data")
    if isinstance(file_id, str) and file_id:
        return _media_part(source_from_url(file_id, hint), "file")
    if isinstance(file_data, str) and file_data:
        if file_data.startswith("data:"):
            return _media_part(source_from_url(file_data, hint), "file")
        # Bare base64 is accepted when the caller says what it is.
        return _media_part(MediaSource(mime_type=hint, data=file_data), "file")
    raise InvalidRequestError("file parts need file_id (gs:// or https URL) or file_data", param="messages")


def _media_part(source: MediaSource, what: str) -> dict[str, Any]:
    if not source.mime_type:
        where = source.uri or "inline data"
        raise InvalidRequestError(
            f"cannot tell the media type of {what} {where!r}; add 'format' (e.g. \"application/pdf\")",
            param="messages",
        )
    if source.uri is not None:
        return {"fileData": {"mimeType": source.mime_type, "fileUri": source.uri}}
    return {"inlineData": {"mimeType": source.mime_type, "data": source.data or ""}}


def _assistant_parts(message: Mapping[str, Any], traits: GeminiTraits, out: Converted) -> list[dict[str, Any]]:
    parts = _thought_parts(message)
    content = message.get("content")
    if isinstance(content, str):
        if content:
            text_part: dict[str, Any] = {"text": content}
            signatures = _text_signatures(message)
            if signatures:
                text_part["thoughtSignature"] = signatures[0]
            parts.append(text_part)
    elif isinstance(content, list):
        for item in content:
            if isinstance(item, Mapping) and item.get("type") in ("thinking", "redacted_thinking"):
                continue
            part = _content_part(item, traits, out)
            if part is not None:
                parts.append(part)
    calls = message.get("tool_calls") or []
    legacy = message.get("function_call")
    if legacy and not calls:
        calls = [{"id": "", "function": legacy}]
    first_call = True
    for call in calls:
        part = _call_part(call, traits, out, first_call)
        parts.append(part)
        first_call = False
    return parts


def _thought_parts(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Thinking sent back: blocks keep their signatures (Gemini validates them); bare reasoning has none."""
    blocks = message.get("thinking_blocks")
    parts: list[dict[str, Any]] = []
    if isinstance(blocks, list) and blocks:
        for block in blocks:
            if not isinstance(block, Mapping) or block.get("type") != "thinking":
                continue
            part: dict[str, Any] = {"text": str(block.get("thinking") or ""), "thought": True}
            if block.get("signature"):
                part["thoughtSignature"] = block["signature"]
            parts.append(part)
        return parts
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        parts.append({"text": reasoning, "thought": True})
    return parts


def _call_part(call: Any, traits: GeminiTraits, out: Converted, first: bool) -> dict[str, Any]:
    if not isinstance(call, Mapping) or not isinstance(call.get("function"), Mapping):
        raise InvalidRequestError("assistant tool_calls entries need a function", param="messages")
    fn = call["function"]
    name = fn.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequestError("assistant tool call without a function name", param="messages")
    call_id = call.get("id") or ""
    if call_id:
        out._names[call_id] = name
    function_call: dict[str, Any] = {"name": name, "args": _parse_args(fn.get("arguments"))}
    if traits.function_call_ids and call_id:
        function_call["id"] = call_id
    part: dict[str, Any] = {"functionCall": function_call}
    signature = _signature(call) or _signature(fn)
    if signature:
        part["thoughtSignature"] = signature
    elif traits.thinking_levels and first:
        part["thoughtSignature"] = SKIP_SIGNATURE
    return part


def _text_signatures(message: Mapping[str, Any]) -> list[str]:
    fields = message.get("provider_specific_fields")
    values = fields.get("thought_signatures") if isinstance(fields, Mapping) else None
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _signature(obj: Mapping[str, Any]) -> str | None:
    fields = obj.get("provider_specific_fields")
    if isinstance(fields, Mapping) and isinstance(fields.get("thought_signature"), str):
        return str(fields["thought_signature"])
    return None


def _parse_args(arguments: Any) -> dict[str, Any]:
    if arguments is None or arguments == "":
        return {}
    if isinstance(arguments, Mapping):
        return dict(arguments)
    try:
        value = orjson.loads(arguments)
    except (orjson.JSONDecodeError, TypeError) as exc:
        raise InvalidRequestError("tool call arguments must be a JSON object string", param="messages") from exc
    if not isinstance(value, dict):
        raise InvalidRequestError("tool call arguments must be a JSON object", param="messages")
    return value


def _tool_result(message: Mapping[str, Any], traits: GeminiTraits, out: Converted) -> list[dict[str, Any]]:
    """A ``functionResponse`` part; media in the result ride inside it (Gemini 3) or as sibling parts (older)."""
    call_id = message.get("tool_call_id") or ""
    name = out._names.get(call_id) or message.get("name")
    if not name:
        raise InvalidRequestError(
            f"tool message {call_id!r} answers no earlier assistant tool call (and has no 'name')", param="messages"
        )
    content = message.get("content")
    media: list[dict[str, Any]] = []
    for item in content if isinstance(content, list) else ():
        if isinstance(item, Mapping) and item.get("type") not in ("text", "input_text", None):
            part = _content_part(item, traits, out)
            if part is not None:
                media.append(part)
    response: dict[str, Any] = {"name": name, "response": _result_payload(content)}
    if traits.function_call_ids and call_id:
        response["id"] = call_id
    if media and traits.function_call_ids:
        response["parts"] = [{k: v for k, v in part.items() if k in ("inlineData", "fileData")} for part in media]
        return [{"functionResponse": response}]
    return [{"functionResponse": response}, *media]


def _result_payload(content: Any) -> dict[str, Any]:
    if isinstance(content, list):
        content = "".join(
            str(item.get("text", "")) for item in content if isinstance(item, Mapping) and item.get("type") == "text"
        )
    if isinstance(content, Mapping):
        return dict(content)
    text = "" if content is None else str(content)
    if text.startswith("{"):
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = None
        # An object holding a "$ref" string would be read by Gemini as a pointer to other parts: keep it as text.
        if isinstance(value, dict) and "$ref" not in value:
            return value
    return {"content": text}
