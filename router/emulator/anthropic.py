"""Claude on Vertex: ``rawPredict`` / ``streamRawPredict`` (Messages API) and ``count-tokens:rawPredict``.

Vertex-specific rules: ``anthropic_version`` must be in the body (``vertex-2023-10-16`` or a later date,
with or without the ``vertex-`` prefix: anthropic's SDK sends its plain API version), ``model`` must not be
(it is in the URL). Errors Claude raises itself come back in
Anthropic's error shape; Vertex's own (auth, quota) in Google's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from router.emulator.call import Call
from router.emulator.errors import Reply, StreamReply, anthropic_error, json_reply
from router.emulator.synth import (
    MARK_CALL_TOOL,
    MARK_NO_PREFILL,
    MARK_TOO_LONG,
    NO_PREFILL_MESSAGE,
    answer_for,
    apply_stop,
    chunk_words,
    continuation,
    count_tokens,
    digest,
    sample_for_schema,
    truncate_tokens,
)

_VERSION = re.compile(r"^(?:vertex-)?(\d{4}-\d{2}-\d{2})$")  # current SDKs send plain dates
_OLDEST_VERSION = "2023-10-16"


@dataclass(slots=True)
class Answer:
    id: str
    model: str
    input_tokens: int
    blocks: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str = "end_turn"
    stop_sequence: str | None = None

    @property
    def output_tokens(self) -> int:
        total = 0
        for block in self.blocks:
            text = block.get("text") or block.get("thinking") or ""
            total += count_tokens(text) if text else count_tokens(orjson.dumps(block.get("input", {})).decode())
        return max(total, 1)

    def usage(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }

    def message(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": self.blocks,
            "stop_reason": self.stop_reason,
            "stop_sequence": self.stop_sequence,
            "usage": self.usage(),
        }


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, Mapping):
            continue
        if block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        elif block.get("type") == "tool_result":
            texts.append(_text_of(block.get("content", "")))
        elif block.get("type") == "tool_use":
            texts.append(orjson.dumps(block.get("input", {})).decode())
    return " ".join(t for t in texts if t)


def _input_tokens(body: Mapping[str, Any]) -> int:
    system = body.get("system", "")
    total = count_tokens(_text_of(system))
    for message in body.get("messages", []) or []:
        if isinstance(message, Mapping):
            total += count_tokens(_text_of(message.get("content", "")))
    return max(total, 1)


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return _text_of(message.get("content", ""))
    return ""


def _trailing_assistant_text(messages: list[Any]) -> str | None:
    last = messages[-1] if messages else None
    if not isinstance(last, Mapping) or last.get("role") != "assistant":
        return None
    return _text_of(last.get("content", ""))


def _check(body: Any, call: Call) -> Reply | None:
    if not isinstance(body, dict):
        return anthropic_error(400, "Request body must be a JSON object.")
    version = body.get("anthropic_version")
    if version is None:
        return anthropic_error(400, "anthropic_version: Field required")
    match = _VERSION.match(str(version))
    if not match or match.group(1) < _OLDEST_VERSION:
        return anthropic_error(400, f"anthropic_version: invalid value {version!r}; use 'vertex-2023-10-16'")
    if "model" in body:
        return anthropic_error(400, "model: Extra inputs are not permitted")
    if call.route.model == "count-tokens":
        return None
    if not isinstance(body.get("max_tokens"), int):
        return anthropic_error(400, "max_tokens: Field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return anthropic_error(400, "messages: at least one message is required")
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping) or message.get("role") not in ("user", "assistant"):
            return anthropic_error(400, f"messages.{index}.role: Input should be 'user' or 'assistant'")
    prefill = _trailing_assistant_text(messages)
    if prefill is not None and MARK_NO_PREFILL in call.route.model:
        return anthropic_error(400, NO_PREFILL_MESSAGE)
    if prefill and prefill != prefill.rstrip():  # Anthropic's own rule for a prefill
        return anthropic_error(400, "messages: final assistant content cannot end with trailing whitespace")
    tokens = _input_tokens(body)
    limit = call.settings.claude_max_input_tokens
    if tokens > limit or MARK_TOO_LONG in _text_of(messages[-1].get("content", "")):
        return anthropic_error(400, f"prompt is too long: {max(tokens, limit + 1)} tokens > {limit} maximum")
    return None


def _forced_tool(body: Mapping[str, Any], user_text: str) -> Mapping[str, Any] | None:
    tools = [t for t in body.get("tools", []) or [] if isinstance(t, Mapping) and "input_schema" in t]
    if not tools:
        return None
    choice = body.get("tool_choice") or {}
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    if kind == "tool":
        return next((t for t in tools if t.get("name") == choice.get("name")), tools[0])
    if kind == "any" or (kind != "none" and MARK_CALL_TOOL in user_text):
        return tools[0]
    return None


def compose(call: Call) -> Answer | Reply:
    body = call.body
    problem = _check(body, call)
    if problem:
        return problem
    model = call.route.model
    answer = Answer(id=f"msg_vrtx_{digest(model, body)[:24]}", model=model, input_tokens=_input_tokens(body))
    user_text = _last_user_text(body["messages"])
    thinking = body.get("thinking")
    if isinstance(thinking, Mapping) and thinking.get("type") in ("enabled", "adaptive"):
        answer.blocks.append(
            {"type": "thinking", "thinking": f"Thinking about: {user_text}", "signature": digest(user_text)[:40]}
        )
    tool = _forced_tool(body, user_text)
    if tool is not None:
        tool_id = f"toolu_vrtx_{digest(tool.get('name'), body)[:20]}"
        answer.blocks.append(
            {
                "type": "tool_use",
                "id": tool_id,
                "name": tool.get("name"),
                "input": sample_for_schema(tool["input_schema"]),
            }
        )
        answer.stop_reason = "tool_use"
        return answer
    prefill = _trailing_assistant_text(body["messages"])
    text, stop = apply_stop(continuation(answer_for(user_text), prefill), body.get("stop_sequences"))
    text, cut = truncate_tokens(text, body["max_tokens"])
    answer.blocks.append({"type": "text", "text": text})
    if stop:
        answer.stop_reason, answer.stop_sequence = "stop_sequence", stop
    elif cut:
        answer.stop_reason = "max_tokens"
    return answer


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps({"type": name, **data}) + b"\n\n"


def stream_events(answer: Answer, chunks: int) -> list[bytes]:
    start = answer.message() | {"content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = answer.usage() | {"output_tokens": 1}
    events = [_event("message_start", {"message": start}), _event("ping", {})]
    for index, block in enumerate(answer.blocks):
        events.extend(_block_events(index, block, chunks))
    delta = {"stop_reason": answer.stop_reason, "stop_sequence": answer.stop_sequence}
    events.append(_event("message_delta", {"delta": delta, "usage": {"output_tokens": answer.output_tokens}}))
    events.append(_event("message_stop", {}))
    return events


def _block_events(index: int, block: dict[str, Any], chunks: int) -> list[bytes]:
    kind = block["type"]
    opening: dict[str, Any]
    if kind == "thinking":
        opening = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": t} for t in chunk_words(block["thinking"], chunks)]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "tool_use":
        opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        raw = orjson.dumps(block["input"]).decode()
        half = len(raw) // 2
        deltas = [{"type": "input_json_delta", "partial_json": part} for part in (raw[:half], raw[half:]) if part]
    else:
        opening = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": t} for t in chunk_words(block["text"], chunks)]
    events = [_event("content_block_start", {"index": index, "content_block": opening})]
    events.extend(_event("content_block_delta", {"index": index, "delta": d}) for d in deltas)
    events.append(_event("content_block_stop", {"index": index}))
    return events


def raw_predict(call: Call) -> Reply | StreamReply:
    if call.route.model == "count-tokens":
        return _count_tokens(call)
    answer = compose(call)
    if isinstance(answer, Reply):
        return answer
    if call.route.verb == "streamRawPredict":
        return StreamReply(stream_events(answer, call.settings.stream_chunks), flavor="anthropic")
    return json_reply(200, answer.message())


def _count_tokens(call: Call) -> Reply:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return anthropic_error(400, "messages: Field required")
    if "anthropic_version" not in body:
        return anthropic_error(400, "anthropic_version: Field required")
    if "@" in str(body.get("model", "")):
        return anthropic_error(400, "model: versioned model names are not supported by count-tokens")
    return json_reply(200, {"input_tokens": _input_tokens(body)})
