"""OpenAI-format routes: OpenAPI MaaS, Model Garden endpoint chat, Mistral (chat and Codestral FIM), AI21."""

from __future__ import annotations

import jsonschema
import orjson

from tests.emulator_helpers import InProcessEmulator, chat_body, endpoint_path, model_path, sse_data, sse_json

OPENAPI = endpoint_path("openapi", "/chat/completions")
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"id": {"type": "integer", "minimum": 3}}, "required": ["id"]},
    },
}


async def test_openapi_chat_completion(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(OPENAPI, json=chat_body("hi there"))
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["model"] == "meta/llama-3.3-70b-instruct-maas"
    assert data["choices"][0]["message"] == {"role": "assistant", "content": "Echo: hi there"}
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}


async def test_openapi_chat_requires_a_model(emulator: InProcessEmulator) -> None:
    body = chat_body()
    del body["model"]
    response = await emulator.client.post(OPENAPI, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


async def test_openapi_stream_ends_with_done(emulator: InProcessEmulator) -> None:
    body = chat_body("a b", stream=True, stream_options={"include_usage": True})
    response = await emulator.client.post(OPENAPI, json=body)
    data = sse_data(response.text)
    assert data[-1] == "[DONE]"
    chunks = sse_json(response.text)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "Echo: a b"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 3


async def test_required_tool_choice_returns_a_tool_call(emulator: InProcessEmulator) -> None:
    body = chat_body("x", tools=[TOOL], tool_choice="required")
    choice = (await emulator.client.post(OPENAPI, json=body)).json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["function"]["name"] == "lookup"
    jsonschema.validate(orjson.loads(call["function"]["arguments"]), TOOL["function"]["parameters"])


async def test_json_schema_response_format(emulator: InProcessEmulator) -> None:
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    body = chat_body("x", response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": schema}})
    content = (await emulator.client.post(OPENAPI, json=body)).json()["choices"][0]["message"]["content"]
    jsonschema.validate(orjson.loads(content), schema)


async def test_model_garden_endpoint_chat_accepts_an_empty_model(emulator: InProcessEmulator) -> None:
    path = endpoint_path("987654321", "/chat/completions", version="v1beta1")
    response = await emulator.client.post(path, json=chat_body("hey", model=""))
    assert response.json()["choices"][0]["message"]["content"] == "Echo: hey"
    assert emulator.app.requests[-1].model == "987654321"


async def test_mistral_chat_and_stream(emulator: InProcessEmulator) -> None:
    path = model_path("mistral-large-2411", "rawPredict", publisher="mistralai")
    unary = (await emulator.client.post(path, json=chat_body("bonjour", model="mistral-large-2411"))).json()
    assert unary["choices"][0]["message"]["content"] == "Echo: bonjour"
    stream_path = model_path("mistral-large-2411", "streamRawPredict", publisher="mistralai")
    streamed = await emulator.client.post(
        stream_path, json=chat_body("bonjour", model="mistral-large-2411", stream=True)
    )
    assert sse_data(streamed.text)[-1] == "[DONE]"


async def test_codestral_fim_completes_the_prompt(emulator: InProcessEmulator) -> None:
    path = model_path("codestral-2501", "rawPredict", publisher="mistralai")
    body = {
        "model": "codestral",
        "prompt": "def add(a, b):\n    return",
        "suffix": "\nprint(add(1, 2))",
        "max_tokens": 20,
    }
    data = (await emulator.client.post(path, json=body)).json()
    assert data["choices"][0]["message"]["content"] == "Echo: return"
    assert data["usage"]["prompt_tokens"] == 6


async def test_ai21_jamba_on_v1beta1(emulator: InProcessEmulator) -> None:
    path = model_path("jamba-1.5-mini@001", "rawPredict", publisher="ai21", version="v1beta1")
    data = (await emulator.client.post(path, json=chat_body("shalom", model="jamba-1.5-mini@001"))).json()
    assert data["choices"][0]["message"]["content"] == "Echo: shalom"


async def test_context_too_long_gives_the_openai_style_message(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(OPENAPI, json=chat_body("EMULATOR_TOO_LONG"))
    assert response.status_code == 400
    assert "maximum context length" in response.json()["error"]["message"]
