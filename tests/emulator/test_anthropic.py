"""Claude on Vertex: rawPredict / streamRawPredict / count-tokens, and the Vertex-specific body rules."""

from __future__ import annotations

from typing import Any

import jsonschema
import orjson
import pytest

from tests.emulator_helpers import InProcessEmulator, claude_body, model_path, sse_event_names, sse_json

MODEL = "claude-sonnet-4-5@20250929"
TOOL = {
    "name": "get_weather",
    "description": "w",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
        "required": ["city"],
    },
}


def path(verb: str = "rawPredict", location: str = "us-east5") -> str:
    return model_path(MODEL, verb, publisher="anthropic", location=location)


async def call(emulator: InProcessEmulator, body: Any, verb: str = "rawPredict") -> Any:
    return await emulator.client.post(path(verb), json=body)


async def test_raw_predict_answers_a_message(emulator: InProcessEmulator) -> None:
    response = await call(emulator, claude_body("hello there"))
    assert response.status_code == 200
    message = response.json()
    assert message["type"] == "message"
    assert message["role"] == "assistant"
    assert message["content"] == [{"type": "text", "text": "Echo: hello there"}]
    assert message["stop_reason"] == "end_turn"
    assert message["usage"]["input_tokens"] == 2
    assert message["usage"]["output_tokens"] == 3
    assert message["id"].startswith("msg_vrtx_")


async def test_newer_dated_vertex_version_is_accepted(emulator: InProcessEmulator) -> None:
    response = await call(emulator, claude_body(anthropic_version="vertex-2025-01-01"))
    assert response.status_code == 200


@pytest.mark.parametrize("version", [None, "2023-06-01", "vertex-2022-01-01"])
async def test_missing_or_wrong_anthropic_version_is_rejected(emulator: InProcessEmulator, version: str | None) -> None:
    body = claude_body()
    if version is None:
        del body["anthropic_version"]
    else:
        body["anthropic_version"] = version
    response = await call(emulator, body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_model_in_body_is_rejected(emulator: InProcessEmulator) -> None:
    response = await call(emulator, claude_body(model=MODEL))
    assert response.status_code == 400
    assert response.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "model: Extra inputs are not permitted"},
    }


async def test_wrong_role_is_rejected(emulator: InProcessEmulator) -> None:
    body = claude_body()
    body["messages"] = [{"role": "system", "content": "x"}]
    assert (await call(emulator, body)).status_code == 400


async def test_too_long_prompt_gives_claudes_message(emulator: InProcessEmulator) -> None:
    response = await call(emulator, claude_body("EMULATOR_TOO_LONG"))
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "prompt is too long: 200001 tokens > 200000 maximum"


async def test_forced_tool_use_has_schema_valid_input(emulator: InProcessEmulator) -> None:
    body = claude_body("weather", tools=[TOOL], tool_choice={"type": "any"})
    message = (await call(emulator, body)).json()
    block = message["content"][0]
    assert block["type"] == "tool_use"
    assert block["name"] == "get_weather"
    assert block["id"].startswith("toolu_vrtx_")
    jsonschema.validate(block["input"], TOOL["input_schema"])
    assert message["stop_reason"] == "tool_use"


async def test_named_tool_choice_picks_that_tool(emulator: InProcessEmulator) -> None:
    other = {**TOOL, "name": "other"}
    body = claude_body("x", tools=[TOOL, other], tool_choice={"type": "tool", "name": "other"})
    assert (await call(emulator, body)).json()["content"][0]["name"] == "other"


async def test_thinking_adds_a_signed_thinking_block_first(emulator: InProcessEmulator) -> None:
    body = claude_body("think", thinking={"type": "enabled", "budget_tokens": 1024})
    content = (await call(emulator, body)).json()["content"]
    assert content[0]["type"] == "thinking"
    assert content[0]["signature"]
    assert content[1] == {"type": "text", "text": "Echo: think"}


async def test_max_tokens_and_stop_sequences(emulator: InProcessEmulator) -> None:
    cut = (await call(emulator, claude_body("a b c d", max_tokens=2))).json()
    assert (cut["content"][0]["text"], cut["stop_reason"]) == ("Echo: a", "max_tokens")
    stopped = (await call(emulator, claude_body("a STOP b", stop_sequences=["STOP"]))).json()
    assert (stopped["stop_reason"], stopped["stop_sequence"]) == ("stop_sequence", "STOP")


async def test_stream_sends_the_anthropic_event_sequence(emulator: InProcessEmulator) -> None:
    body = claude_body("a b", stream=True, thinking={"type": "enabled", "budget_tokens": 1024})
    response = await call(emulator, body, "streamRawPredict")
    assert response.headers["content-type"] == "text/event-stream"
    names = sse_event_names(response.text)
    assert names[0] == "message_start"
    assert names[-2:] == ["message_delta", "message_stop"]
    events = sse_json(response.text)
    deltas = [e["delta"]["type"] for e in events if e["type"] == "content_block_delta"]
    assert deltas[0] == "thinking_delta"
    assert "signature_delta" in deltas
    assert "text_delta" in deltas
    text = "".join(
        e["delta"]["text"] for e in events if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta"
    )
    assert text == "Echo: a b"
    assert events[-2]["delta"]["stop_reason"] == "end_turn"


async def test_stream_of_tool_use_sends_input_json_deltas(emulator: InProcessEmulator) -> None:
    body = claude_body("x", stream=True, tools=[TOOL], tool_choice={"type": "any"})
    events = sse_json((await call(emulator, body, "streamRawPredict")).text)
    start = next(e for e in events if e["type"] == "content_block_start")
    assert start["content_block"]["type"] == "tool_use"
    partial = "".join(e["delta"]["partial_json"] for e in events if e["type"] == "content_block_delta")
    jsonschema.validate(orjson.loads(partial), TOOL["input_schema"])
    assert events[-2]["delta"]["stop_reason"] == "tool_use"


async def test_count_tokens_endpoint(emulator: InProcessEmulator) -> None:
    body = {
        "anthropic_version": "vertex-2023-10-16",
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "one two three"}],
    }
    response = await emulator.client.post(
        model_path("count-tokens", "rawPredict", publisher="anthropic", location="us-east5"), json=body
    )
    assert response.json() == {"input_tokens": 3}
