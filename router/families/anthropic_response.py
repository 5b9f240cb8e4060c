"""Anthropic Messages answers, streams and errors → OpenAI objects and typed errors.

- ``content[]``: ``text`` → ``message.content``; ``thinking`` → ``reasoning_content`` and ``thinking_blocks``
  (signature kept so the next turn can send them back); ``redacted_thinking`` → a ``thinking_blocks`` entry;
  ``tool_use`` → ``tool_calls`` (arguments = the input as JSON). In JSON mode the ``json_tool_call`` input is the
  answer's ``content``.
- ``stop_reason``: end_turn/stop_sequence → stop, max_tokens → length, tool_use → tool_calls, refusal →
  content_filter, pause_turn / model_context_window_exceeded → length.
- usage: prompt = input + cache read + cache creation tokens; ``prompt_tokens_details.cached_tokens`` = cache
  read; ``cache_read_input_tokens`` / ``cache_creation_input_tokens`` ride along as extra usage fields.
- The response id is Anthropic's message id (``msg_...``), in answers and in every chunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from router.errors import (
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamError,
    error_class_for_status,
    parse_retry_after,
)
from router.families.anthropic_request import JSON_TOOL, json_mode
from router.families.base import CallRequest, Target, UpstreamResponse, error_message
from router.families.openai_compat_wire import include_usage, loads, new_id, refine_error_class
from router.types import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkChoice,
    Delta,
    FunctionCall,
    Message,
    PromptTokensDetails,
    ToolCall,
    Usage,
)

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "length",
    "model_context_window_exceeded": "length",
}
_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}
_ERROR_CLASS: dict[str, type[UpstreamError]] = {
    "invalid_request_error": BadRequestError,
    "authentication_error": AuthenticationError,
    "permission_error": PermissionDeniedError,
    "not_found_error": NotFoundError,
    "request_too_large": ContextWindowExceededError,
    "rate_limit_error": RateLimitError,
    "api_error": InternalServerError,
    "overloaded_error": ServiceUnavailableError,
}


def finish_reason(stop_reason: Any, *, tool_called: bool) -> str:
    reason = FINISH_REASONS.get(str(stop_reason), "stop") if stop_reason else "stop"
    if reason == "tool_calls" and not tool_called:
        return "stop"  # the only tool use was our JSON-mode tool
    return reason


def usage_from(raw: Mapping[str, Any]) -> Usage:
    read = int(raw.get("cache_read_input_tokens") or 0)
    created = int(raw.get("cache_creation_input_tokens") or 0)
    prompt = int(raw.get("input_tokens") or 0) + read + created
    completion = int(raw.get("output_tokens") or 0)
    return Usage.model_validate(
        {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": PromptTokensDetails(cached_tokens=read),
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": created,
        }
    )


def parse_message(payload: Mapping[str, Any], request: CallRequest, target: Target) -> ChatCompletion:
    texts: list[str] = []
    thoughts: list[str] = []
    blocks: list[dict[str, Any]] = []
    calls: list[ToolCall] = []
    as_json = json_mode(request)
    for block in payload.get("content") or []:
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text", ""))
        elif kind == "thinking":
            thoughts.append(block.get("thinking", ""))
            blocks.append(
                {"type": "thinking", "thinking": block.get("thinking", ""), "signature": block.get("signature")}
            )
        elif kind == "redacted_thinking":
            blocks.append({"type": "redacted_thinking", "data": block.get("data", "")})
        elif kind == "tool_use" and as_json and block.get("name") == JSON_TOOL:
            texts.append(orjson.dumps(block.get("input") or {}).decode())
        elif kind == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            function = FunctionCall(name=block.get("name"), arguments=arguments)
            calls.append(ToolCall(id=str(block.get("id")), function=function))
    message = Message(
        content="".join(texts) if texts else None,
        tool_calls=calls or None,
        reasoning_content="".join(thoughts) if thoughts else None,
        thinking_blocks=blocks or None,
    )
    choice = Choice(
        index=0, message=message, finish_reason=finish_reason(payload.get("stop_reason"), tool_called=bool(calls))
    )
    usage = payload.get("usage")
    return ChatCompletion(
        id=str(payload.get("id") or new_id()),
        model=str(payload.get("model") or target.model),
        choices=[choice],
        usage=usage_from(usage) if isinstance(usage, Mapping) else None,
    )


class ClaudeStreamParser:
    """Anthropic SSE events (one ``data:`` payload each) → OpenAI chunks; tool calls streamed by tool ordinal."""

    def __init__(self, request: CallRequest, target: Target) -> None:
        self.target = target
        self.done = False
        self._id = ""
        self._model = target.model
        self._usage: dict[str, Any] = {}
        self._json_mode = json_mode(request)
        self._include_usage = include_usage(request)
        self._blocks: dict[int, tuple[str, int]] = {}  # content block index → (kind, tool ordinal)
        self._tools = 0

    def feed(self, data: str) -> Sequence[Any]:
        payload = loads(data)
        kind = payload.get("type") if isinstance(payload, dict) else None
        if kind == "message_start":
            return self._start(payload.get("message") or {})
        if kind == "content_block_start":
            return self._block_start(int(payload.get("index", 0)), payload.get("content_block") or {})
        if kind == "content_block_delta":
            return self._block_delta(int(payload.get("index", 0)), payload.get("delta") or {})
        if kind == "message_delta":
            return self._message_delta(payload)
        if kind == "message_stop":
            self.done = True
        elif kind == "error":
            self.done = True
            raise classify_claude_error(500, orjson.dumps(payload), {}, self.target)
        return []  # ping, content_block_stop, unknown future events

    def finish(self) -> Sequence[Any]:
        if not self._include_usage:
            return []
        return [ChatCompletionChunk(id=self._id, model=self._model, choices=[], usage=usage_from(self._usage))]

    def _chunk(self, delta: Mapping[str, Any], finish: str | None = None) -> ChatCompletionChunk:
        choice = ChunkChoice(index=0, delta=Delta.model_validate(delta), finish_reason=finish)
        return ChatCompletionChunk(id=self._id, model=self._model, choices=[choice])

    def _start(self, message: Mapping[str, Any]) -> list[Any]:
        self._id = str(message.get("id") or new_id())
        self._model = str(message.get("model") or self.target.model)
        self._usage.update({k: v for k, v in (message.get("usage") or {}).items() if v is not None})
        return [self._chunk({"role": "assistant", "content": ""})]

    def _block_start(self, index: int, block: Mapping[str, Any]) -> list[Any]:
        kind = str(block.get("type"))
        if kind == "tool_use" and self._json_mode and block.get("name") == JSON_TOOL:
            self._blocks[index] = ("json", -1)
            return []
        if kind == "tool_use":
            ordinal = self._tools
            self._tools += 1
            self._blocks[index] = ("tool_use", ordinal)
            call = {"index": ordinal, "id": block.get("id"), "type": "function"}
            call["function"] = {"name": block.get("name"), "arguments": ""}
            return [self._chunk({"tool_calls": [call]})]
        self._blocks[index] = (kind, -1)
        if kind == "text" and block.get("text"):
            return [self._chunk({"content": block["text"]})]
        if kind == "redacted_thinking":
            return [self._chunk({"thinking_blocks": [{"type": "redacted_thinking", "data": block.get("data", "")}]})]
        return []

    def _block_delta(self, index: int, delta: Mapping[str, Any]) -> list[Any]:
        kind = delta.get("type")
        if kind == "text_delta":
            return [self._chunk({"content": delta.get("text", "")})]
        if kind == "thinking_delta":
            text = delta.get("thinking", "")
            return [
                self._chunk({"reasoning_content": text, "thinking_blocks": [{"type": "thinking", "thinking": text}]})
            ]
        if kind == "signature_delta":
            block = {"type": "thinking", "thinking": "", "signature": delta.get("signature")}
            return [self._chunk({"thinking_blocks": [block]})]
        if kind == "input_json_delta":
            owner, ordinal = self._blocks.get(index, ("", -1))
            fragment = delta.get("partial_json", "")
            if owner == "json":
                return [self._chunk({"content": fragment})] if fragment else []
            if owner != "tool_use":
                return []  # server-side tool input (web search): not a call the client must answer
            return [self._chunk({"tool_calls": [{"index": ordinal, "function": {"arguments": fragment}}]})]
        return []  # citations_delta and future delta kinds

    def _message_delta(self, payload: Mapping[str, Any]) -> list[Any]:
        self._usage.update({k: v for k, v in (payload.get("usage") or {}).items() if v is not None})
        stop_reason = (payload.get("delta") or {}).get("stop_reason")
        if not stop_reason:
            return []
        return [self._chunk({}, finish_reason(stop_reason, tool_called=self._tools > 0))]


def classify_claude_error(status: int, body: bytes, headers: Mapping[str, str], target: Target) -> UpstreamError:
    """Anthropic's ``{"type": "error", "error": {"type", "message"}}`` by type; Google's error shape by status."""
    message, word = error_message(body)
    effective = status if status >= 400 and word not in _ERROR_STATUS else _ERROR_STATUS.get(word, status)
    cls = _ERROR_CLASS.get(word) or error_class_for_status(effective)
    cls = refine_error_class(cls, effective, message, word, _google_code(body))
    retry = headers.get("retry-after") if headers.get("retry-after") is not None else headers.get("Retry-After")
    return cls(
        f"anthropic {effective} {word}: {message}".replace("  ", " "),
        upstream_status=status,
        retry_after=parse_retry_after(retry),
        deployment_id=target.deployment_id,
    )


def _google_code(body: bytes) -> int | None:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    err = payload.get("error") if isinstance(payload, dict) else None
    code = err.get("code") if isinstance(err, dict) else None
    return code if isinstance(code, int) else None


def classify_response(response: UpstreamResponse, target: Target) -> UpstreamError:
    return classify_claude_error(response.status, response.body, response.headers, target)
