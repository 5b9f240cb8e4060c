"""Google's and Anthropic's own clients talk to the emulator over a real socket and parse its answers."""

from __future__ import annotations

import anthropic
import pytest
from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

from router.emulator.server import RunningEmulator

PROJECT = "sdk-project"


def genai_client(live: RunningEmulator, location: str = "us-central1") -> genai.Client:
    token = live.app.authority.issue_token()
    return genai.Client(
        vertexai=True,
        project=PROJECT,
        location=location,
        credentials=Credentials(token=token),
        http_options=types.HttpOptions(base_url=live.url, api_version="v1"),
    )


def claude_client(live: RunningEmulator, region: str = "us-east5") -> anthropic.AnthropicVertex:
    return anthropic.AnthropicVertex(
        base_url=f"{live.url}/v1",
        region=region,
        project_id=PROJECT,
        access_token=live.app.authority.issue_token(),
    )


def test_genai_generate_content(live_authed_emulator: RunningEmulator) -> None:
    client = genai_client(live_authed_emulator)
    response = client.models.generate_content(model="gemini-2.5-flash", contents="hello from genai")
    assert response.text == "Echo: hello from genai"
    assert response.usage_metadata is not None
    assert response.usage_metadata.prompt_token_count == 3
    record = live_authed_emulator.app.requests[-1]
    assert (record.location, record.model, record.status) == ("us-central1", "gemini-2.5-flash", 200)
    assert (
        record.path
        == f"/v1/projects/{PROJECT}/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
    )


def test_genai_stream_with_config(live_authed_emulator: RunningEmulator) -> None:
    client = genai_client(live_authed_emulator, location="europe-west4")
    config = types.GenerateContentConfig(
        system_instruction="be brief",
        max_output_tokens=50,
        thinking_config=types.ThinkingConfig(include_thoughts=True),
        safety_settings=[types.SafetySetting(category="HARM_CATEGORY_HATE_SPEECH", threshold="BLOCK_ONLY_HIGH")],
    )
    chunks = list(
        client.models.generate_content_stream(model="gemini-2.5-pro", contents="stream me please", config=config)
    )
    text = "".join(part.text or "" for c in chunks for part in c.candidates[0].content.parts if not part.thought)
    assert text == "Echo: stream me please"
    assert any(part.thought for c in chunks for part in c.candidates[0].content.parts)
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP


def test_genai_forced_function_call_and_json_schema(live_authed_emulator: RunningEmulator) -> None:
    client = genai_client(live_authed_emulator)

    def get_weather(city: str, days: int) -> str:
        """Weather for a city."""
        return city

    config = types.GenerateContentConfig(
        tools=[get_weather],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        tool_config=types.ToolConfig(
            function_calling_config=types.FunctionCallingConfig(mode=types.FunctionCallingConfigMode.ANY)
        ),
    )
    response = client.models.generate_content(model="gemini-2.5-flash", contents="weather?", config=config)
    assert response.function_calls is not None
    assert response.function_calls[0].name == "get_weather"
    assert set(response.function_calls[0].args or {}) == {"city", "days"}

    schema_config = types.GenerateContentConfig(
        response_mime_type="application/json",
        response_schema={"type": "OBJECT", "properties": {"answer": {"type": "STRING"}}, "required": ["answer"]},
    )
    typed = client.models.generate_content(model="gemini-2.5-flash", contents="json please", config=schema_config)
    assert typed.parsed == {"answer": "answer"}


def test_genai_count_tokens_and_embeddings(live_authed_emulator: RunningEmulator) -> None:
    client = genai_client(live_authed_emulator)
    counted = client.models.count_tokens(model="gemini-2.5-flash", contents="one two three")
    assert counted.total_tokens == 3
    embedded = client.models.embed_content(
        model="text-embedding-005",
        contents=["first text", "second"],
        config=types.EmbedContentConfig(output_dimensionality=64),
    )
    assert embedded.embeddings is not None
    assert [len(e.values or []) for e in embedded.embeddings] == [64, 64]


def test_genai_sees_googles_error(live_authed_emulator: RunningEmulator) -> None:
    from google.genai import errors

    from router.emulator.faults import Fault

    live_authed_emulator.app.faults.add(Fault(status=429, times=1))
    client = genai_client(live_authed_emulator)
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model="gemini-2.5-flash", contents="x")
    assert caught.value.code == 429
    assert caught.value.status == "RESOURCE_EXHAUSTED"


def test_anthropic_vertex_message(live_authed_emulator: RunningEmulator) -> None:
    client = claude_client(live_authed_emulator)
    message = client.messages.create(
        model="claude-sonnet-4-5@20250929", max_tokens=64, messages=[{"role": "user", "content": "hello claude"}]
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "Echo: hello claude"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 2
    record = live_authed_emulator.app.requests[-1]
    assert record.path.endswith("/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict")
    assert "model" not in record.body
    assert record.body["anthropic_version"]  # the SDK's own API version (a plain date in current releases)


def test_anthropic_vertex_stream_with_thinking_and_tools(live_authed_emulator: RunningEmulator) -> None:
    client = claude_client(live_authed_emulator, region="europe-west1")
    with client.messages.stream(
        model="claude-opus-4-1@20250805",
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "streamed hello"}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Echo: streamed hello"
    assert [b.type for b in final.content] == ["thinking", "text"]

    tool = {
        "name": "lookup",
        "input_schema": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]},
    }
    forced = client.messages.create(
        model="claude-opus-4-1@20250805",
        max_tokens=64,
        tools=[tool],
        tool_choice={"type": "any"},
        messages=[{"role": "user", "content": "call it"}],
    )
    assert forced.stop_reason == "tool_use"
    assert forced.content[0].type == "tool_use"
    assert forced.content[0].input == {"id": 1}


def test_anthropic_vertex_count_tokens(live_authed_emulator: RunningEmulator) -> None:
    client = claude_client(live_authed_emulator)
    counted = client.messages.count_tokens(model="claude-sonnet-4-5", messages=[{"role": "user", "content": "a b c d"}])
    assert counted.input_tokens == 4


def test_anthropic_vertex_without_a_valid_token_gets_401(live_authed_emulator: RunningEmulator) -> None:
    client = anthropic.AnthropicVertex(
        base_url=f"{live_authed_emulator.url}/v1", region="us-east5", project_id=PROJECT, access_token="bogus"
    )
    with pytest.raises(anthropic.AuthenticationError):
        client.messages.create(
            model="claude-sonnet-4-5@20250929", max_tokens=8, messages=[{"role": "user", "content": "x"}]
        )
