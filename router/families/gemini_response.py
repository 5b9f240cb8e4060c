"""Vertex ``GenerateContentResponse`` → OpenAI ``ChatCompletion``; usage, finish reasons, logprobs, grounding.

Models are built by ``make`` without validation: the values come from Google's JSON we just parsed, in the
shapes the types declare. Pydantic's validation, and even ``model_construct``, would cost several times the
whole translation (measured: ~30 µs vs ~5 µs per response); ``make`` fills the declared defaults so a field
added to ``router.types`` later still serialises.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel

from router.types import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkChoice,
    CompletionTokensDetails,
    Delta,
    FunctionCall,
    Message,
    PromptTokensDetails,
    ToolCall,
    ToolCallDelta,
    Usage,
)

_M = TypeVar("_M", bound=BaseModel)


def _defaults(cls: type[BaseModel]) -> tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]:
    plain: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for name, info in cls.model_fields.items():
        # Factory fields keep their place in ``plain`` (field order is dump order) and are filled per instance.
        plain[name] = None if info.default_factory is not None else info.default
        if info.default_factory is not None:
            factories.append((name, info.default_factory))  # type: ignore[arg-type]
    return plain, tuple(factories)


_DEFAULTS: dict[type[BaseModel], tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]] = {
    cls: _defaults(cls)
    for cls in (
        ChatCompletion,
        ChatCompletionChunk,
        Choice,
        ChunkChoice,
        CompletionTokensDetails,
        Delta,
        FunctionCall,
        Message,
        PromptTokensDetails,
        ToolCall,
        ToolCallDelta,
        Usage,
    )
}


# BaseModel's slots, set through their descriptors: a third cheaper than ``object.__setattr__`` by name, and
# ``make`` runs five or six times per response.
_set_dict = object.__setattr__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_new = object.__new__


def make(
    cls: type[_M], values: dict[str, Any], extra: dict[str, Any] | None = None, hidden: dict[str, Any] | None = None
) -> _M:
    """An instance of a ``router.types`` model from trusted values, without validation (``hidden`` becomes its
    ``_hidden_params``)."""
    plain, factories = _DEFAULTS[cls]
    data = plain.copy()
    data.update(values)
    for name, factory in factories:
        if name not in values:
            data[name] = factory()
    obj = _new(cls)
    _set_dict(obj, "__dict__", data)
    _set_fields_set(obj, set(values))
    _set_extra(obj, extra if extra is not None else {})
    _set_private(obj, {"_hidden_params": hidden if hidden is not None else {}})
    return obj


FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "CONTINUATION": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "MODEL_ARMOR": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "LANGUAGE": "content_filter",
}


def finish_reason(native: str | None, has_tool_calls: bool) -> str:
    mapped = FINISH_REASONS.get(native or "", "stop")
    if has_tool_calls and mapped == "stop":
        return "tool_calls"
    return mapped


def new_call_id() -> str:
    return "call_" + secrets.token_hex(12)


@dataclass(slots=True)
class PartsView:
    """One candidate's parts sorted into what OpenAI messages carry."""

    text: list[str] = field(default_factory=list)
    thoughts: list[str] = field(default_factory=list)
    thinking_blocks: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    audio: dict[str, Any] | None = None
    # Signatures Gemini puts on answer text (not on thoughts or calls); sent back on the next turn's text.
    text_signatures: list[str] = field(default_factory=list)


def read_parts(parts: Any, view: PartsView | None = None) -> PartsView:
    view = view or PartsView()
    if not isinstance(parts, list):
        return view
    for part in parts:
        if not isinstance(part, dict) and not isinstance(part, Mapping):  # dict first: ABC checks are slow
            continue
        text = part.get("text")
        if isinstance(text, str):
            if part.get("thought"):
                view.thoughts.append(text)
                block: dict[str, Any] = {"type": "thinking", "thinking": text}
                if part.get("thoughtSignature"):
                    block["signature"] = part["thoughtSignature"]
                view.thinking_blocks.append(block)
            elif text:
                view.text.append(text)
                if part.get("thoughtSignature"):
                    view.text_signatures.append(part["thoughtSignature"])
            continue
        call = part.get("functionCall")
        if isinstance(call, Mapping):
            view.tool_calls.append(_tool_call(call, part.get("thoughtSignature")))
            continue
        _read_other(part, view)
    return view


def _tool_call(call: Mapping[str, Any], signature: Any) -> ToolCall:
    args = call.get("args")
    fn = make(
        FunctionCall, {"name": call.get("name"), "arguments": orjson.dumps(args if args is not None else {}).decode()}
    )
    extra = {"provider_specific_fields": {"thought_signature": signature}} if signature else None
    return make(ToolCall, {"id": call.get("id") or new_call_id(), "type": "function", "function": fn}, extra)


def _read_other(part: Mapping[str, Any], view: PartsView) -> None:
    code = part.get("executableCode")
    if isinstance(code, Mapping):
        lang = str(code.get("language", "")).lower().replace("language_unspecified", "")
        view.text.append(f"\n```{lang}\n{code.get('code', '')}\n```\n")
        return
    result = part.get("codeExecutionResult")
    if isinstance(result, Mapping):
        view.text.append(f"\n```output\n{result.get('output', '')}\n```\n")
        return
    blob = part.get("inlineData")
    if isinstance(blob, Mapping):
        mime = str(blob.get("mimeType", "application/octet-stream"))
        if mime.startswith("audio/") and view.audio is None:
            view.audio = {"id": "audio_" + secrets.token_hex(8), "data": blob.get("data", ""), "transcript": ""}
            return
        url = f"data:{mime};base64,{blob.get('data', '')}"
        view.images.append({"type": "image_url", "image_url": {"url": url}, "index": len(view.images)})


def message_from(view: PartsView, *, blocked: bool) -> Message:
    values = {
        "role": "assistant",
        "content": None if blocked or not view.text else "".join(view.text),
        "tool_calls": view.tool_calls or None,
        "reasoning_content": "".join(view.thoughts) if view.thoughts else None,
        "thinking_blocks": view.thinking_blocks or None,
    }
    return make(Message, values, extra_fields(view))


def extra_fields(view: PartsView) -> dict[str, Any] | None:
    """Message fields beyond the declared ones: generated images/audio, text thought signatures."""
    if not (view.images or view.audio or view.text_signatures):
        return None
    extra: dict[str, Any] = {}
    if view.images:
        extra["images"] = view.images
    if view.audio:
        extra["audio"] = view.audio
    if view.text_signatures:
        extra["provider_specific_fields"] = {"thought_signatures": view.text_signatures}
    return extra


def logprobs_from(result: Any) -> dict[str, Any] | None:
    if result is None or not isinstance(result, Mapping):
        return None
    chosen = result.get("chosenCandidates") or []
    tops = result.get("topCandidates") or []
    content = []
    for i, token in enumerate(chosen):
        entry: dict[str, Any] = {"token": token.get("token", ""), "logprob": token.get("logProbability", 0.0)}
        alternatives = tops[i].get("candidates", []) if i < len(tops) else []
        entry["top_logprobs"] = [
            {"token": alt.get("token", ""), "logprob": alt.get("logProbability", 0.0)} for alt in alternatives
        ]
        content.append(entry)
    return {"content": content}


def usage_from(meta: Any) -> Usage | None:
    """Vertex counts thoughts apart from candidates; OpenAI's completion_tokens include reasoning."""
    if meta is None or (not isinstance(meta, dict) and not isinstance(meta, Mapping)):
        return None
    prompt = int(meta.get("promptTokenCount", 0)) + int(meta.get("toolUsePromptTokenCount", 0))
    thoughts = int(meta.get("thoughtsTokenCount", 0))
    completion = int(meta.get("candidatesTokenCount", 0)) + thoughts
    total = int(meta.get("totalTokenCount", 0)) or prompt + completion
    cached = int(meta.get("cachedContentTokenCount", 0))
    values = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": total,
        "prompt_tokens_details": make(PromptTokensDetails, {"cached_tokens": cached}),
        "completion_tokens_details": make(CompletionTokensDetails, {"reasoning_tokens": thoughts}),
    }
    return make(Usage, values)


def response_id(payload: Mapping[str, Any]) -> str:
    rid = payload.get("responseId")
    return rid if isinstance(rid, str) and rid else "chatcmpl-" + secrets.token_hex(12)


def to_chat_completion(payload: Mapping[str, Any], model: str) -> ChatCompletion:
    candidates = payload.get("candidates") or []
    feedback = payload.get("promptFeedback") or {}
    choices: list[Choice] = []
    for position, candidate in enumerate(candidates):
        choices.append(_choice(candidate, position))
    if not choices:
        # A blocked prompt has no candidates; an empty answer still needs the one choice OpenAI clients index.
        reason = "content_filter" if feedback.get("blockReason") else "stop"
        empty = make(Message, {"role": "assistant", "content": None})
        choices.append(make(Choice, {"index": 0, "message": empty, "finish_reason": reason}))
    extra: dict[str, Any] = {}
    hidden: dict[str, Any] = {}
    _metadata(candidates, extra, hidden)
    if feedback:
        hidden["vertex_ai_prompt_feedback"] = feedback
    values = {
        "id": response_id(payload),
        "model": model,
        "choices": choices,
        "usage": usage_from(payload.get("usageMetadata")),
    }
    return make(ChatCompletion, values, extra, hidden)


def _choice(candidate: Mapping[str, Any], position: int) -> Choice:
    content = candidate.get("content") or {}
    view = read_parts(content.get("parts"))
    native = candidate.get("finishReason")
    reason = finish_reason(native, bool(view.tool_calls))
    values = {
        "index": candidate.get("index", position),
        "message": message_from(view, blocked=reason == "content_filter"),
        "finish_reason": reason,
        "logprobs": logprobs_from(candidate.get("logprobsResult")),
    }
    return make(Choice, values)


_METADATA = {
    "groundingMetadata": "vertex_ai_grounding_metadata",
    "urlContextMetadata": "vertex_ai_url_context_metadata",
    "safetyRatings": "vertex_ai_safety_results",
    "citationMetadata": "vertex_ai_citation_metadata",
}
_ON_RESPONSE = frozenset({"vertex_ai_grounding_metadata", "vertex_ai_url_context_metadata"})


def _metadata(candidates: list[Any], extra: dict[str, Any], hidden: dict[str, Any]) -> None:
    """Per-candidate metadata lists in ``_hidden_params`` (where LiteLLM users read them); grounding and URL
    context also as response fields."""
    for candidate in candidates:
        if not isinstance(candidate, dict):
            continue
        for key, name in _METADATA.items():
            if key in candidate:
                hidden.setdefault(name, []).append(candidate[key])
    for name in _ON_RESPONSE:
        if name in hidden:
            extra[name] = hidden[name]
