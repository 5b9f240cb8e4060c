"""``:streamGenerateContent?alt=sse`` events → OpenAI ``chat.completion.chunk`` objects.

Each SSE event is a complete ``GenerateContentResponse`` fragment: new parts, and on the last one a
``finishReason``. Gemini sends function calls whole, in one event, and may send the ``finishReason`` (``STOP``)
in a later one, so the parser remembers that a choice made calls and reports ``tool_calls`` at the end. An
``error`` object inside a 200 stream raises the typed error at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from router.errors import InternalServerError, UpstreamError
from router.families.gemini_response import (
    extra_fields,
    finish_reason,
    logprobs_from,
    make,
    read_parts,
    response_id,
    usage_from,
)
from router.types import ChatCompletionChunk, ChunkChoice, Delta, FunctionCall, ToolCall, ToolCallDelta, Usage


class GeminiStreamParser:
    """One stream's state: id, which choices already sent their role, tool-call counters, usage."""

    __slots__ = (
        "_called",
        "_classify",
        "_id",
        "_include_usage",
        "_model",
        "_next_tool_index",
        "_role_sent",
        "_usage",
        "done",
        "hidden_params",
    )

    def __init__(
        self, model: str, *, include_usage: bool, classify: Callable[[Mapping[str, Any]], UpstreamError]
    ) -> None:
        self._model = model
        self._include_usage = include_usage
        self._classify = classify
        self._id: str | None = None
        self._role_sent: set[int] = set()
        self._called: set[int] = set()
        self._next_tool_index: dict[int, int] = {}
        self._usage: Usage | None = None
        self.done = False
        self.hidden_params: dict[str, Any] = {}

    def feed(self, data: str) -> list[ChatCompletionChunk]:
        data = data.strip()
        if not data or data == "[DONE]":
            return []
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise InternalServerError(f"gemini stream event is not JSON: {data[:200]!r}", upstream_status=200) from exc
        if isinstance(payload, list):  # a JSON-array stream (alt=json) delivers the same objects in a list
            return [chunk for item in payload for chunk in self._event(item)]
        return self._event(payload)

    def finish(self) -> list[ChatCompletionChunk]:
        if not self._include_usage or self._usage is None:
            return []
        return [self._chunk([], usage=self._usage)]

    def _event(self, payload: Any) -> list[ChatCompletionChunk]:
        if not isinstance(payload, dict) and not isinstance(payload, Mapping):  # dict first: ABC checks are slow
            return []
        error = payload.get("error")
        if error is not None and isinstance(error, Mapping):
            raise self._classify(payload)
        if self._id is None:
            self._id = response_id(payload)
        usage = usage_from(payload.get("usageMetadata"))
        if usage is not None:
            self._usage = usage
        choices = [self._choice(c, i) for i, c in enumerate(payload.get("candidates") or [])]
        feedback = payload.get("promptFeedback")
        if feedback is not None and isinstance(feedback, Mapping) and feedback.get("blockReason") and not choices:
            self.done = True
            choices.append(self._blocked_choice())
        grounding = self._collect_metadata(payload)
        extra = {"vertex_ai_grounding_metadata": grounding} if grounding else None
        return [self._chunk(choices, extra=extra)] if choices else []

    def _choice(self, candidate: Mapping[str, Any], position: int) -> ChunkChoice:
        index = candidate.get("index", position)
        view = read_parts((candidate.get("content") or {}).get("parts"))
        delta_fields: dict[str, Any] = {}
        if index not in self._role_sent:
            self._role_sent.add(index)
            delta_fields["role"] = "assistant"
        if view.text:
            delta_fields["content"] = "".join(view.text)
        if view.thoughts:
            delta_fields["reasoning_content"] = "".join(view.thoughts)
            delta_fields["thinking_blocks"] = view.thinking_blocks
        if view.tool_calls:
            self._called.add(index)
            delta_fields["tool_calls"] = [self._tool_delta(index, call) for call in view.tool_calls]
        native = candidate.get("finishReason")
        reason = None
        if native:
            self.done = True
            reason = finish_reason(native, index in self._called)
        extra = extra_fields(view) or {}
        if "thinking_blocks" in delta_fields:
            extra["thinking_blocks"] = delta_fields.pop("thinking_blocks")
        values = {
            "index": index,
            "delta": make(Delta, delta_fields, extra or None),
            "finish_reason": reason,
            "logprobs": logprobs_from(candidate.get("logprobsResult")),
        }
        return make(ChunkChoice, values)

    def _tool_delta(self, choice: int, call: ToolCall) -> ToolCallDelta:
        position = self._next_tool_index.get(choice, 0)
        self._next_tool_index[choice] = position + 1
        fn = make(FunctionCall, {"name": call.function.name, "arguments": call.function.arguments})
        values = {"index": position, "id": call.id, "type": "function", "function": fn}
        return make(ToolCallDelta, values, call.__pydantic_extra__ or None)

    def _blocked_choice(self) -> ChunkChoice:
        delta = make(Delta, {"role": "assistant"} if 0 not in self._role_sent else {})
        self._role_sent.add(0)
        return make(ChunkChoice, {"index": 0, "delta": delta, "finish_reason": "content_filter"})

    def _collect_metadata(self, payload: Mapping[str, Any]) -> list[Any]:
        """This event's grounding metadata (per candidate); also gathered in ``hidden_params`` for the stream."""
        found = []
        for candidate in payload.get("candidates") or []:
            # (dict, Mapping): an exact dict passes the first, cheap check; ABC checks are slow
            grounding = candidate.get("groundingMetadata") if isinstance(candidate, (dict, Mapping)) else None
            if grounding:
                found.append(grounding)
                self.hidden_params.setdefault("vertex_ai_grounding_metadata", []).append(grounding)
        return found

    def _chunk(
        self, choices: list[ChunkChoice], usage: Usage | None = None, extra: dict[str, Any] | None = None
    ) -> ChatCompletionChunk:
        values = {"id": self._id or response_id({}), "model": self._model, "choices": choices, "usage": usage}
        return make(ChatCompletionChunk, values, extra)
