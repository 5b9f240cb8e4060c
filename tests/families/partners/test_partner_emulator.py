"""Each partner family against the local Vertex emulator (in-process ASGI, no sockets): what we send is accepted
and what it answers parses, unary and streaming, as a user of the guide would call each model."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from router.config.model_string import parse_model_string
from router.emulator.app import create_app
from router.emulator.call import EmulatorSettings
from router.errors import NotFoundError
from router.families import get_family
from router.families.base import CallRequest, Target, UpstreamResponse
from router.types import ChatCompletion, ChatCompletionChunk, TextCompletion

HI = [{"role": "user", "content": "what llm are you"}]
WEATHER = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def target_for(model: str, location: str = "us-central1") -> Target:
    parsed = parse_model_string(model)
    return Target(
        family=parsed.family,
        model=parsed.model,
        project="p1",
        location=location,
        deployment_id="d1",
        publisher=parsed.publisher,
        endpoint_id=parsed.endpoint_id,
    )


async def call(
    model: str,
    params: dict[str, Any],
    *,
    stream: bool = False,
    kind: str = "chat",
    settings: EmulatorSettings | None = None,
) -> Any:
    """Build, send to the emulator, and parse (or classify) exactly as the router would."""
    target = target_for(model)
    family = get_family(target.family)
    request = CallRequest(kind=kind, params=params, stream=stream)  # type: ignore[arg-type]
    prepared = family.build_request(request, target)
    transport = httpx.ASGITransport(app=create_app(require_auth=False, settings=settings))
    async with httpx.AsyncClient(transport=transport) as client:
        reply = await client.request(prepared.method, prepared.url, content=prepared.body, headers=prepared.headers)
    response = UpstreamResponse(status=reply.status_code, headers=dict(reply.headers), body=reply.content)
    if reply.status_code >= 400:
        raise family.classify_error(response, target)
    if not stream:
        return family.parse_response(response, request, target)
    parser = family.stream_parser(request, target)
    chunks: list[Any] = []
    payloads = sse_payloads(reply.content) if prepared.stream else [reply.text]
    for data in payloads:
        chunks.extend(parser.feed(data))
    chunks.extend(parser.finish())
    assert parser.done, "the upstream's terminal event was seen"
    return chunks


def sse_payloads(body: bytes) -> list[str]:
    return [line[5:].strip() for line in body.decode().splitlines() if line.startswith("data:")]


def streamed_text(chunks: list[Any]) -> str:
    parts = []
    for chunk in chunks:
        for choice in chunk.choices:
            parts.append(choice.text if isinstance(chunk, TextCompletion) else choice.delta.content or "")
    return "".join(parts)


CHAT_MODELS = [
    "vertex_ai/claude-3-7-sonnet@20250219",
    "vertex_ai/claude-3-haiku@20240307",
    "vertex_ai/meta/llama3-405b-instruct-maas",
    "vertex_ai/mistral-large@2407",
    "vertex_ai/codestral@2405",
    "vertex_ai/jamba-1.5-mini@001",
    "vertex_ai/openai/5464397967697903616",
    "vertex_ai/1234567890",
]


@pytest.mark.parametrize("model", CHAT_MODELS)
async def test_guide_model_answers_unary(model: str) -> None:
    result = await call(model, {"messages": HI, "max_tokens": 64})
    assert isinstance(result, ChatCompletion)
    assert result.choices[0].message.content
    assert result.choices[0].finish_reason in ("stop", "length")


@pytest.mark.parametrize("model", CHAT_MODELS)
async def test_guide_model_answers_streaming(model: str) -> None:
    chunks = await call(model, {"messages": HI, "stream_options": {"include_usage": True}}, stream=True)
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert streamed_text(chunks)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes
    assert finishes[-1] in ("stop", "length")
    assert len({c.id for c in chunks}) == 1, "one id for the whole stream"


async def test_claude_keeps_the_anthropic_message_id_and_usage() -> None:
    result = await call("vertex_ai/claude-3-7-sonnet@20250219", {"messages": HI})
    assert result.id.startswith("msg_")
    assert result.usage.prompt_tokens > 0
    assert result.usage.completion_tokens > 0


async def test_claude_tool_call_round_trip_through_the_emulator() -> None:
    params = {
        "messages": [{"role": "user", "content": "weather in Paris?"}],
        "tools": WEATHER,
        "tool_choice": "required",
    }
    result = await call("vertex_ai/claude-3-7-sonnet@20250219", params)
    calls = result.choices[0].message.tool_calls
    assert result.choices[0].finish_reason == "tool_calls"
    assert calls
    assert calls[0].function.name == "get_weather"
    arguments = orjson.loads(calls[0].function.arguments)
    history = [
        *params["messages"],
        {"role": "assistant", "content": None, "tool_calls": [c.model_dump() for c in calls]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "sunny"},
    ]
    follow_up = await call("vertex_ai/claude-3-7-sonnet@20250219", {"messages": history, "tools": WEATHER})
    assert isinstance(arguments, dict)
    assert follow_up.choices[0].message.content


async def test_claude_thinking_comes_back_as_reasoning_with_signature() -> None:
    params = {
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "thinking": {"type": "enabled", "budget_tokens": 1024},
    }
    result = await call("vertex_ai/claude-3-7-sonnet-20250219", params)
    message = result.choices[0].message
    if message.thinking_blocks is None:
        pytest.fail("the emulator answers thinking requests with a thinking block")
    assert message.reasoning_content
    assert message.thinking_blocks[0]["signature"]


async def test_claude_streamed_tool_call_arguments_assemble_to_json() -> None:
    params = {
        "messages": [{"role": "user", "content": "weather in Paris?"}],
        "tools": WEATHER,
        "tool_choice": "required",
    }
    chunks = await call("vertex_ai/claude-3-7-sonnet@20250219", params, stream=True)
    arguments = "".join(
        call.function.arguments or ""
        for c in chunks
        for choice in c.choices
        for call in choice.delta.tool_calls or []
        if call.function is not None
    )
    assert isinstance(orjson.loads(arguments), dict)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_codestral_fim_unary_and_streaming() -> None:
    params = {"prompt": "def is_odd(n): \n return n % 2 == 1 \ndef test_is_odd():", "suffix": "return True"}
    result = await call("vertex_ai/codestral@2405", {**params, "max_tokens": 10, "min_tokens": 1}, kind="text")
    assert isinstance(result, TextCompletion)
    assert result.choices[0].text
    chunks = await call("vertex_ai/codestral@2405", params, kind="text", stream=True)
    assert all(isinstance(c, TextCompletion) for c in chunks)
    assert streamed_text(chunks)


async def test_retired_palm_model_names_its_gemini_replacement() -> None:
    with pytest.raises(NotFoundError, match=r"retired.*gemini-2\.5-flash"):
        await call("chat-bison", {"messages": HI})


@pytest.mark.parametrize("model", ["chat-bison", "codechat-bison@001", "text-bison", "code-bison", "code-gecko@latest"])
async def test_palm_model_still_served_answers_in_openai_shape(model: str) -> None:
    settings = EmulatorSettings(serve_palm=True)
    result = await call(model, {"messages": HI, "max_tokens": 20}, settings=settings)
    assert result.choices[0].message.content
    assert result.usage is not None
    assert result.usage.completion_tokens > 0
    chunks = await call(model, {"messages": HI}, stream=True, settings=settings)
    assert streamed_text(chunks) == result.choices[0].message.content
