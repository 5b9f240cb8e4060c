"""OpenAI-format chat on Vertex: ``endpoints/openapi/chat/completions`` (Llama and other MaaS),
``endpoints/{id}/chat/completions`` (Model Garden deployments), Mistral/Codestral ``rawPredict`` (chat, and FIM
with ``prompt``/``suffix``) and AI21 Jamba ``rawPredict``. Streams are ``data: {chunk}`` events ending in
``data: [DONE]``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from router.emulator.call import Call
from router.emulator.errors import Reply, StreamReply, bad_request, json_reply
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


@dataclass(slots=True)
class Completion:
    id: str
    model: str
    created: int
    prompt_tokens: int
    text: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish: str = "stop"
    n: int = 1

    @property
    def completion_tokens(self) -> int:
        if self.tool_calls:
            return sum(count_tokens(c["function"]["arguments"]) for c in self.tool_calls)
        return count_tokens(self.text or "")

    def usage(self) -> dict[str, int]:
        out = self.completion_tokens * self.n
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": out, "total_tokens": self.prompt_tokens + out}

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.text}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        return message

    def response(self) -> dict[str, Any]:
        choices = [
            {"index": i, "message": self.message(), "finish_reason": self.finish, "logprobs": None}
            for i in range(self.n)
        ]
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            "usage": self.usage(),
        }


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return ""


def _prompt_tokens(messages: list[Any]) -> int:
    return sum(count_tokens(_content_text(m.get("content"))) for m in messages if isinstance(m, Mapping))


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") in ("user", "tool"):
            return _content_text(message.get("content"))
    return ""


def _trailing_assistant_text(messages: list[Any]) -> str | None:
    last = messages[-1] if messages else None
    if not isinstance(last, Mapping) or last.get("role") != "assistant":
        return None
    return _content_text(last.get("content"))


def _forced_tool(body: Mapping[str, Any], user_text: str) -> Mapping[str, Any] | None:
    tools: list[Mapping[str, Any]] = [
        t["function"]
        for t in body.get("tools") or []
        if isinstance(t, Mapping) and isinstance(t.get("function"), Mapping)
    ]
    if not tools:
        return None
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping):
        name = (choice.get("function") or {}).get("name")
        return next((t for t in tools if t.get("name") == name), tools[0])
    if choice in ("required", "any") or (choice != "none" and MARK_CALL_TOOL in user_text):
        return tools[0]
    return None


def _text_answer(body: Mapping[str, Any], user_text: str) -> str:
    fmt = body.get("response_format")
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {}
        return orjson.dumps(sample_for_schema(schema)).decode()
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_object":
        return orjson.dumps({"echo": user_text}).decode()
    return answer_for(user_text)


def _check(call: Call, body: Any, *, fim: bool) -> Reply | None:
    if not isinstance(body, dict):
        return bad_request("Invalid JSON payload received. Expected an object.")
    if fim:
        if not isinstance(body.get("prompt"), str):
            return bad_request("prompt: field required")
        return None
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return bad_request("messages: field required and must not be empty")
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping) or message.get("role") not in (
            "system",
            "user",
            "assistant",
            "tool",
            "developer",
        ):
            return bad_request(f"messages[{index}].role: must be one of system, user, assistant, tool")
    model_names = f"{call.route.model_key} {body.get('model') or ''}"
    if MARK_NO_PREFILL in model_names and _trailing_assistant_text(messages) is not None:
        return bad_request(NO_PREFILL_MESSAGE)
    if call.route.kind == "openapi_chat" and not body.get("model"):
        return bad_request("model: field required (e.g. meta/llama-3.3-70b-instruct-maas)")
    tokens = _prompt_tokens(messages)
    limit = call.settings.chat_max_input_tokens
    if tokens > limit or MARK_TOO_LONG in _content_text(messages[-1].get("content")):
        return bad_request(
            f"This model's maximum context length is {limit} tokens. However, you requested "
            f"{max(tokens, limit + 1)} tokens. Please reduce the length of the messages."
        )
    return None


def compose(call: Call, *, fim: bool) -> Completion | Reply:
    body = call.body
    problem = _check(call, body, fim=fim)
    if problem:
        return problem
    model = str(body.get("model") or call.route.model_key)
    if fim:
        prompt = body["prompt"]
        user_text = next((line.strip() for line in reversed(prompt.splitlines()) if line.strip()), "")
        tokens = count_tokens(prompt) + count_tokens(str(body.get("suffix", "")))
    else:
        user_text = _last_user_text(body["messages"])
        tokens = _prompt_tokens(body["messages"])
    n = body.get("n") if isinstance(body.get("n"), int) and body.get("n", 1) > 0 else 1
    completion = Completion(
        id=f"chatcmpl-{digest(model, body)[:24]}", model=model, created=int(call.clock()), prompt_tokens=tokens, n=n
    )
    tool = None if fim else _forced_tool(body, user_text)
    if tool is not None:
        arguments = orjson.dumps(sample_for_schema(tool.get("parameters") or {})).decode()
        call_id = f"call_{digest(tool.get('name'), body)[:24]}"
        completion.tool_calls = [
            {"id": call_id, "type": "function", "function": {"name": tool.get("name"), "arguments": arguments}}
        ]
        completion.finish = "tool_calls"
        return completion
    prefill = None if fim else _trailing_assistant_text(body["messages"])
    text, stop = apply_stop(continuation(_text_answer(body, user_text), prefill), body.get("stop"))
    limit = body.get("max_tokens", body.get("max_completion_tokens"))
    text, cut = truncate_tokens(text, limit if isinstance(limit, int) else None)
    completion.text = text
    completion.finish = "length" if cut and not stop else "stop"
    return completion


def stream_events(completion: Completion, call: Call, include_usage: bool) -> list[bytes]:
    base = {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choices = [{"index": i, "delta": delta, "finish_reason": finish, "logprobs": None} for i in range(completion.n)]
        return {**base, "choices": choices}

    chunks = [chunk({"role": "assistant", "content": ""})]
    if completion.tool_calls:
        for index, tool_call in enumerate(completion.tool_calls):
            chunks.append(chunk({"tool_calls": [{"index": index, **tool_call}]}))
    else:
        chunks.extend(chunk({"content": t}) for t in chunk_words(completion.text or "", call.settings.stream_chunks))
    chunks.append(chunk({}, completion.finish))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": completion.usage()})
    return [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]


def chat_completions(call: Call, *, fim: bool = False) -> Reply | StreamReply:
    completion = compose(call, fim=fim)
    if isinstance(completion, Reply):
        return completion
    body = call.body
    streaming = bool(body.get("stream")) or call.route.verb == "streamRawPredict"
    if streaming:
        options = body.get("stream_options")
        include_usage = bool(options.get("include_usage")) if isinstance(options, Mapping) else False
        return StreamReply(stream_events(completion, call, include_usage), flavor="openai")
    return json_reply(200, completion.response())


def mistral(call: Call) -> Reply | StreamReply:
    fim = "codestral" in call.route.model and isinstance(call.body, dict) and "prompt" in call.body
    return chat_completions(call, fim=fim)
