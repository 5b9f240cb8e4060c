"""The official openai SDK, unchanged, against the proxy app (fake Router behind it)."""

from __future__ import annotations

import base64
import struct

import openai
import pytest

from .fakes import FakeRouter


async def test_chat_completion_returns_openai_shape_and_router_headers(client: openai.AsyncOpenAI) -> None:
    raw = await client.chat.completions.with_raw_response.create(
        model="gemini-flash", messages=[{"role": "user", "content": "hi"}]
    )
    response = raw.parse()
    assert response.choices[0].message.content == "echo: hi"
    assert response.usage is not None
    assert response.usage.total_tokens == 7
    assert raw.headers["x-router-deployment"] == "gemini-flash-us-central1"
    assert raw.headers["x-router-attempts"] == "1"
    assert float(raw.headers["x-router-overhead-ms"]) >= 0.05
    assert len(raw.headers["x-request-id"]) == 32


async def test_request_id_is_echoed(client: openai.AsyncOpenAI) -> None:
    raw = await client.chat.completions.with_raw_response.create(
        model="gemini-flash", messages=[{"role": "user", "content": "hi"}], extra_headers={"x-request-id": "abc-123"}
    )
    assert raw.headers["x-request-id"] == "abc-123"


async def test_tool_call_response_keeps_null_content(client: openai.AsyncOpenAI) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    response = await client.chat.completions.create(
        model="gemini-flash",
        messages=[{"role": "user", "content": "weather?"}],
        tools=tools,  # type: ignore[list-item]
    )
    message = response.choices[0].message
    assert message.content is None
    assert message.tool_calls is not None
    assert message.tool_calls[0].function.name == "get_weather"
    assert response.choices[0].finish_reason == "tool_calls"


async def test_json_schema_and_vertex_extras_reach_the_router(
    client: openai.AsyncOpenAI, fake_router: FakeRouter
) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}}
    await client.chat.completions.create(
        model="gemini-flash",
        messages=[{"role": "user", "content": "json"}],
        response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": schema}},
        extra_body={
            "safety_settings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
            "thinking": {"type": "enabled", "budget_tokens": 512},
            "labels": {"team": "search"},
            "enforce_validation": True,
        },
        reasoning_effort="low",
    )
    kind, params = fake_router.calls[-1]
    assert kind == "acompletion"
    assert params["response_format"]["json_schema"]["schema"] == schema
    assert params["safety_settings"][0]["threshold"] == "BLOCK_NONE"
    assert params["thinking"] == {"type": "enabled", "budget_tokens": 512}
    assert params["labels"] == {"team": "search"}
    assert params["enforce_validation"] is True
    assert params["reasoning_effort"] == "low"


async def test_streaming_yields_chunks_in_order(client: openai.AsyncOpenAI, fake_router: FakeRouter) -> None:
    stream = await client.chat.completions.create(
        model="gemini-flash", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text = ""
    finish = None
    async for chunk in stream:
        text += chunk.choices[0].delta.content or ""
        finish = chunk.choices[0].finish_reason or finish
    assert text == "Hello"
    assert finish == "stop"
    assert fake_router.streams[-1].closed


async def test_midstream_failure_surfaces_as_sdk_api_error(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="midstream", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    received: list[str] = []

    async def consume() -> None:
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")

    with pytest.raises(openai.APIError, match="upstream stream broke"):
        await consume()
    assert received == ["Hel"]


async def test_text_completion_with_suffix_for_fim(client: openai.AsyncOpenAI, fake_router: FakeRouter) -> None:
    response = await client.completions.create(model="codestral", prompt="def add(a, b):", suffix="\n", max_tokens=9)
    assert response.choices[0].text == "return a + b"
    assert fake_router.calls[-1][1]["suffix"] == "\n"


async def test_embeddings_default_base64_is_decoded_by_the_sdk(client: openai.AsyncOpenAI) -> None:
    response = await client.embeddings.create(model="text-embedding", input=["a", "b"])
    assert [d.embedding for d in response.data] == [[0.5, -0.25, 1.0], [0.5, -0.25, 1.0]]


async def test_embeddings_float_format_is_plain_floats(client: openai.AsyncOpenAI, fake_router: FakeRouter) -> None:
    raw = await client.embeddings.with_raw_response.create(model="text-embedding", input="a", encoding_format="float")
    assert raw.http_response.json()["data"][0]["embedding"] == [0.5, -0.25, 1.0]
    assert fake_router.calls[-1][1]["encoding_format"] == "float"


async def test_embeddings_base64_is_little_endian_float32(client: openai.AsyncOpenAI) -> None:
    raw = await client.embeddings.with_raw_response.create(model="text-embedding", input="a", encoding_format="base64")
    encoded = raw.http_response.json()["data"][0]["embedding"]
    assert struct.unpack("<3f", base64.b64decode(encoded)) == (0.5, -0.25, 1.0)


async def test_image_generation(client: openai.AsyncOpenAI) -> None:
    response = await client.images.generate(model="imagen", prompt="a cat", n=1)
    assert response.data is not None
    assert response.data[0].b64_json == "aW1hZ2U="


async def test_speech_returns_binary_audio_with_its_content_type(client: openai.AsyncOpenAI) -> None:
    response = await client.audio.speech.create(model="tts", input="hello", voice="alloy")
    assert response.content == b"ID3fake-mp3-bytes"
    assert response.response.headers["content-type"] == "audio/mpeg"


async def test_models_lists_every_group(client: openai.AsyncOpenAI) -> None:
    page = await client.models.list()
    ids = [m.id for m in page.data]
    assert "gemini-flash" in ids
    assert "text-embedding" in ids
    assert (await client.models.retrieve("gemini-pro")).id == "gemini-pro"


async def test_unknown_model_is_sdk_not_found(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    assert info.value.code == "model_not_found"


async def test_rate_limit_is_sdk_rate_limit_error_with_retry_after(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        await client.chat.completions.create(model="error:429", messages=[{"role": "user", "content": "hi"}])
    assert info.value.response.headers["retry-after"] == "8"


async def test_all_deployments_failed_is_503_with_attempt_count(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        await client.chat.completions.create(model="error:503", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 503
    assert info.value.response.headers["x-router-attempts"] == "2"
    assert info.value.response.headers["retry-after"] == "3"


async def test_upstream_timeout_is_408(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        await client.chat.completions.create(model="error:408", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 408


async def test_unexpected_exception_is_generic_500_without_details(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        await client.chat.completions.create(model="error:crash", messages=[{"role": "user", "content": "hi"}])
    body = info.value.response.text
    assert "secret prompt text" not in body
    assert "Traceback" not in body
    assert info.value.code == "internal_error"


async def test_credentials_error_hides_the_credential_source(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        await client.chat.completions.create(model="error:creds", messages=[{"role": "user", "content": "hi"}])
    assert "/secret/" not in info.value.response.text


async def test_wrong_key_is_sdk_authentication_error(http: object) -> None:
    bad = openai.AsyncOpenAI(api_key="sk-wrong", base_url="http://proxy/v1", http_client=http, max_retries=0)  # type: ignore[arg-type]
    with pytest.raises(openai.AuthenticationError):
        await bad.chat.completions.create(model="gemini-flash", messages=[{"role": "user", "content": "hi"}])


async def test_invalid_body_is_sdk_bad_request(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="gemini-flash", messages="hi")  # type: ignore[arg-type]
    assert info.value.param == "messages"
