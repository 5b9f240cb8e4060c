"""What every OpenAI-shaped partner route shares (Llama/OpenAPI MaaS, Model Garden, Mistral, AI21).

These upstreams already answer in OpenAI's format, so the work here is deliberately small: parse the JSON
into our response models, turn SSE payloads into chunks without re-shaping them, and classify the error
bodies the partners send (Google's ``{"error": {...}}``, OpenAI's, and Mistral's ``{"object": "error"}``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from router.errors import (
    ContentPolicyError,
    ContextWindowExceededError,
    RateLimitError,
    UpstreamError,
    error_class_for_status,
    parse_retry_after,
)
from router.families.base import CallRequest, Target, UpstreamResponse, error_message
from router.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChunkChoice,
    Delta,
    TextChoice,
    TextCompletion,
    Usage,
)

# Phrases partners use for "the input does not fit"; matched only here, never by callers (DESIGN.md §6).
_CONTEXT_PHRASES = (
    "prompt is too long",
    "context length",
    "context window",
    "maximum context",
    "too many tokens",
    "exceeds the maximum number of tokens",
    "input is too long",
    "input length and `max_tokens` exceed",
    "request payload size exceeds",
)
# Vertex-wide settings that only Gemini reads (a global ``vertex_ai_safety_settings`` default reaches every
# deployment): accepted by the partner families and not sent, as partner APIs have no such field.
GEMINI_ONLY = frozenset({"safety_settings"})
_POLICY_PHRASES = ("content filtering policy", "the response was blocked", "content_policy")


def new_id(prefix: str = "chatcmpl-") -> str:
    return f"{prefix}{uuid.uuid4().hex}"


def loads(body: bytes | str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        from router.errors import InternalServerError

        raise InternalServerError(f"upstream answered with invalid JSON: {exc}", upstream_status=200) from exc


def include_usage(request: CallRequest) -> bool:
    options = request.params.get("stream_options")
    return isinstance(options, Mapping) and bool(options.get("include_usage"))


# ---------------------------------------------------------------------------------------------------------------
# responses


def parse_chat_completion(payload: Mapping[str, Any], target: Target) -> ChatCompletion:
    """An OpenAI ChatCompletion JSON object → our model; fills what some servers leave out."""
    data = dict(payload)
    data.setdefault("id", new_id())
    data["model"] = data.get("model") or target.model
    choices = []
    for raw in data.get("choices") or []:
        choice = dict(raw)
        message = dict(choice.get("message") or {})
        message["role"] = "assistant"
        _flatten_content(message)
        choice["message"] = message
        choices.append(choice)
    data["choices"] = choices
    data.pop("object", None)
    if data.get("created") is None:
        data.pop("created", None)
    return ChatCompletion.model_validate(data)


def _flatten_content(message: dict[str, Any]) -> None:
    """Mistral's reasoning models answer ``content`` as a list of text/thinking chunks; OpenAI clients want text."""
    content = message.get("content")
    if not isinstance(content, list):
        return
    texts: list[str] = []
    thoughts: list[str] = []
    for part in content:
        if not isinstance(part, Mapping):
            continue
        if part.get("type") == "thinking":
            thoughts.extend(str(t.get("text", "")) for t in part.get("thinking") or [] if isinstance(t, Mapping))
        elif "text" in part:
            texts.append(str(part["text"]))
    message["content"] = "".join(texts)
    if thoughts:
        message["reasoning_content"] = "".join(thoughts)


def chat_to_text_completion(completion: ChatCompletion) -> TextCompletion:
    """A chat answer in the text-completion shape (``choices[].text``)."""
    choices = [
        TextChoice(index=c.index, text=c.message.content or "", finish_reason=c.finish_reason, logprobs=c.logprobs)
        for c in completion.choices
    ]
    result = TextCompletion(id=completion.id, model=completion.model, choices=choices, usage=completion.usage)
    result._hidden_params.update(completion._hidden_params)
    return result


def parse_text_completion(payload: Mapping[str, Any], target: Target) -> TextCompletion:
    """Codestral FIM answers in the chat shape (``message.content``); plain completion servers use ``text``."""
    choices = []
    for i, raw in enumerate(payload.get("choices") or []):
        message = raw.get("message") or {}
        text = raw.get("text")
        if text is None:
            text = message.get("content") or ""
        choices.append(
            TextChoice(
                index=raw.get("index", i),
                text=str(text),
                finish_reason=raw.get("finish_reason") or "stop",
                logprobs=raw.get("logprobs"),
            )
        )
    usage = payload.get("usage")
    return TextCompletion(
        id=str(payload.get("id") or new_id("cmpl-")),
        model=str(payload.get("model") or target.model),
        choices=choices,
        usage=Usage.model_validate(usage) if isinstance(usage, Mapping) else None,
    )


def chunks_from_completion(completion: ChatCompletion) -> list[ChatCompletionChunk]:
    """A whole answer as a short stream, for upstreams that cannot stream (``:predict`` routes)."""
    chunks = []
    for choice in completion.choices:
        message = choice.message
        delta = Delta(role="assistant", content=message.content, reasoning_content=message.reasoning_content)
        chunks.append(_chunk(completion, ChunkChoice(index=choice.index, delta=delta)))
        chunks.append(
            _chunk(completion, ChunkChoice(index=choice.index, delta=Delta(), finish_reason=choice.finish_reason))
        )
    if completion.usage is not None:
        chunks.append(ChatCompletionChunk(id=completion.id, model=completion.model, choices=[], usage=completion.usage))
    return chunks


def _chunk(completion: ChatCompletion, choice: ChunkChoice) -> ChatCompletionChunk:
    return ChatCompletionChunk(id=completion.id, model=completion.model, choices=[choice])


# ---------------------------------------------------------------------------------------------------------------
# streams


class OpenAIChunkParser:
    """OpenAI SSE payloads → ChatCompletionChunk, validating but not re-shaping (cheap; the proxy may forward bytes).

    ``done`` turns true on ``[DONE]`` or the first ``finish_reason`` (some partners end without ``[DONE]``).
    An ``{"error": ...}`` payload raises the typed error.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.done = False
        self._role_sent = False

    def feed(self, data: str) -> Sequence[Any]:
        text = data.strip()
        if not text:
            return []
        if text == "[DONE]":
            self.done = True
            return []
        payload = loads(text)
        if not isinstance(payload, dict):
            return []
        if "error" in payload and "choices" not in payload:
            raise stream_error(payload, self.target)
        return [self._chunk(payload)]

    def _chunk(self, payload: dict[str, Any]) -> Any:
        payload.setdefault("id", "")
        payload["model"] = payload.get("model") or self.target.model
        payload.pop("object", None)
        if payload.get("created") is None:
            payload.pop("created", None)
        choices = payload.get("choices") or []
        for choice in choices:
            delta = choice.get("delta")
            if delta is None:
                choice["delta"] = delta = {}
            if not self._role_sent:
                delta.setdefault("role", "assistant")
            if choice.get("finish_reason"):
                self.done = True
        if choices:
            self._role_sent = True
        return self.make(payload)

    def make(self, payload: dict[str, Any]) -> Any:
        return ChatCompletionChunk.model_validate(payload)

    def finish(self) -> Sequence[Any]:
        return []


class TextChunkParser(OpenAIChunkParser):
    """Codestral FIM streams chat-shaped deltas; callers of ``text_completion`` expect ``choices[].text``."""

    def make(self, payload: dict[str, Any]) -> Any:
        choices = []
        for i, choice in enumerate(payload.get("choices") or []):
            delta = choice.get("delta") or {}
            text = choice.get("text", delta.get("content") or "")
            choices.append(
                TextChoice(index=choice.get("index", i), text=text, finish_reason=choice.get("finish_reason"))
            )
        usage = payload.get("usage")
        return TextCompletion(
            id=payload["id"],
            model=payload["model"],
            choices=choices,
            usage=Usage.model_validate(usage) if isinstance(usage, Mapping) else None,
        )


class UnaryStreamParser:
    """For routes that cannot stream (``:predict``): the request goes out unary and its whole JSON body is fed
    here (in one piece or several); once it parses, the answer comes out as chunks and ``done`` turns true."""

    def __init__(self, parse: Any, include_usage: bool = False) -> None:
        self._parse = parse
        self._include_usage = include_usage
        self._body: list[str] = []
        self.done = False

    def feed(self, data: str) -> Sequence[Any]:
        if self.done:
            return []
        self._body.append(data)
        text = "".join(self._body)
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError:
            return []  # more of the body to come
        self.done = True
        chunks = chunks_from_completion(self._parse(text))
        return chunks if self._include_usage else [c for c in chunks if c.choices]

    def finish(self) -> Sequence[Any]:
        return []


# ---------------------------------------------------------------------------------------------------------------
# errors


def classify_partner_error(response: UpstreamResponse, target: Target, *, label: str | None = None) -> UpstreamError:
    """Status first (the shared table), refined by the partner's error type and known message phrases."""
    message, word = error_message(response.body)
    code = _body_code(response.body)
    cls = refine_error_class(error_class_for_status(response.status), response.status, message, word, code)
    return cls(
        f"{label or target.family} {response.status} {word}: {message}".replace("  ", " "),
        upstream_status=response.status,
        retry_after=parse_retry_after(_header(response.headers, "retry-after")),
        deployment_id=target.deployment_id,
    )


def refine_error_class(
    cls: type[UpstreamError], status: int, message: str, word: str, code: int | None = None
) -> type[UpstreamError]:
    lowered = message.lower()
    if status in (400, 413, 422) and any(p in lowered for p in _CONTEXT_PHRASES):
        return ContextWindowExceededError
    if status == 400 and any(p in lowered for p in _POLICY_PHRASES):
        return ContentPolicyError
    if word == "RESOURCE_EXHAUSTED" or (status >= 500 and code == 429):
        return RateLimitError
    return cls


def _body_code(body: bytes) -> int | None:
    """Google puts the real status in ``error.code``; a 5xx wrapping a 429 must still cool as a rate limit."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    err = payload.get("error") if isinstance(payload, dict) else None
    code = err.get("code") if isinstance(err, dict) else None
    return code if isinstance(code, int) else None


def stream_error(payload: Mapping[str, Any], target: Target) -> UpstreamError:
    """An error delivered inside a 200 stream (``{"error": {"code", "message", "status"}}``)."""
    err = payload.get("error")
    status = 500
    if isinstance(err, Mapping):
        code = err.get("code")
        if isinstance(code, int) and code >= 400:
            status = code
    body = orjson.dumps(payload)
    return classify_partner_error(UpstreamResponse(status=status, headers={}, body=body), target)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    return value if value is not None else headers.get(name.title())
