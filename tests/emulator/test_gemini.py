"""Gemini routes: generateContent, streamGenerateContent (SSE and JSON array), countTokens, and Vertex's rejections."""

from __future__ import annotations

from typing import Any

import jsonschema
import orjson

from tests.emulator_helpers import InProcessEmulator, endpoint_path, gemini_body, model_path, sse_json

MODEL = "gemini-2.5-flash"


async def generate(
    emulator: InProcessEmulator, body: Any, *, location: str = "us-central1", verb: str = "generateContent"
) -> Any:
    return await emulator.client.post(model_path(MODEL, verb, location=location), json=body)


async def test_generate_content_echoes_the_last_user_text_with_consistent_usage(emulator: InProcessEmulator) -> None:
    body = gemini_body("what is the weather", systemInstruction={"parts": [{"text": "be brief"}]})
    response = await generate(emulator, body)
    assert response.status_code == 200
    data = response.json()
    candidate = data["candidates"][0]
    assert candidate["content"] == {"role": "model", "parts": [{"text": "Echo: what is the weather"}]}
    assert candidate["finishReason"] == "STOP"
    usage = data["usageMetadata"]
    assert usage["promptTokenCount"] == 6  # 4 words of contents + 2 of the system instruction
    assert usage["candidatesTokenCount"] == 5
    assert usage["totalTokenCount"] == 11
    assert data["modelVersion"] == MODEL
    assert data["responseId"]


async def test_answers_are_identical_across_regions(emulator: InProcessEmulator) -> None:
    first = (await generate(emulator, gemini_body("same question"), location="us-central1")).json()
    second = (await generate(emulator, gemini_body("same question"), location="europe-west4")).json()
    assert first["candidates"] == second["candidates"]
    assert first["responseId"] == second["responseId"]


async def test_snake_case_fields_are_accepted_like_vertex_does(emulator: InProcessEmulator) -> None:
    body = gemini_body("hi", system_instruction={"parts": [{"text": "s"}]}, generation_config={"max_output_tokens": 2})
    response = await generate(emulator, body)
    assert response.status_code == 200
    assert response.json()["candidates"][0]["content"]["parts"][0]["text"] == "Echo: hi"


async def test_max_output_tokens_truncates_and_reports_max_tokens(emulator: InProcessEmulator) -> None:
    body = gemini_body("one two three four five", generationConfig={"maxOutputTokens": 3})
    candidate = (await generate(emulator, body)).json()["candidates"][0]
    assert candidate["content"]["parts"][0]["text"] == "Echo: one two"
    assert candidate["finishReason"] == "MAX_TOKENS"


async def test_stop_sequence_cuts_the_answer(emulator: InProcessEmulator) -> None:
    body = gemini_body("alpha STOP beta", generationConfig={"stopSequences": ["STOP"]})
    candidate = (await generate(emulator, body)).json()["candidates"][0]
    assert candidate["content"]["parts"][0]["text"] == "Echo: alpha "
    assert candidate["finishReason"] == "STOP"


async def test_candidate_count_gives_that_many_candidates(emulator: InProcessEmulator) -> None:
    data = (await generate(emulator, gemini_body("x", generationConfig={"candidateCount": 3}))).json()
    assert [c["index"] for c in data["candidates"]] == [0, 1, 2]


WEATHER_TOOL = {
    "functionDeclarations": [
        {"name": "search_docs", "parameters": {"type": "OBJECT", "properties": {"q": {"type": "STRING"}}}},
        {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "minLength": 2},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer", "minimum": 1, "maximum": 7},
                },
                "required": ["city", "unit"],
            },
        },
    ]
}


async def test_forced_tool_calls_the_first_allowed_function_with_schema_valid_args(emulator: InProcessEmulator) -> None:
    config = {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}}
    body = gemini_body("weather in Paris", tools=[WEATHER_TOOL], toolConfig=config)
    part = (await generate(emulator, body)).json()["candidates"][0]["content"]["parts"][0]
    call = part["functionCall"]
    assert call["name"] == "get_weather"
    jsonschema.validate(call["args"], WEATHER_TOOL["functionDeclarations"][1]["parameters"])


async def test_forced_tool_without_allowed_names_calls_the_first_declared(emulator: InProcessEmulator) -> None:
    body = gemini_body("x", tools=[WEATHER_TOOL], toolConfig={"functionCallingConfig": {"mode": "ANY"}})
    part = (await generate(emulator, body)).json()["candidates"][0]["content"]["parts"][0]
    assert part["functionCall"] == {"name": "search_docs", "args": {"q": "q"}}


async def test_auto_mode_answers_with_text(emulator: InProcessEmulator) -> None:
    body = gemini_body("x", tools=[WEATHER_TOOL])
    part = (await generate(emulator, body)).json()["candidates"][0]["content"]["parts"][0]
    assert part == {"text": "Echo: x"}


async def test_function_response_turn_is_echoed(emulator: InProcessEmulator) -> None:
    contents = [
        {"role": "user", "parts": [{"text": "weather?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"t": 5}}}]},
    ]
    text = (await generate(emulator, {"contents": contents})).json()["candidates"][0]["content"]["parts"][0]["text"]
    assert text == 'Echo: Received get_weather={"t":5}'


async def test_response_schema_gives_conforming_json(emulator: InProcessEmulator) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "score": {"type": "number", "minimum": 0.5},
            "kind": {"anyOf": [{"type": "null"}, {"type": "string", "enum": ["a", "b"]}]},
        },
        "required": ["name", "tags", "score"],
        "additionalProperties": False,
    }
    config = {"responseMimeType": "application/json", "responseJsonSchema": schema}
    text = (await generate(emulator, gemini_body("x", generationConfig=config))).json()["candidates"][0]["content"][
        "parts"
    ][0]["text"]
    jsonschema.validate(orjson.loads(text), schema)


async def test_include_thoughts_adds_a_thought_part_and_counts_it(emulator: InProcessEmulator) -> None:
    body = gemini_body("ponder this", generationConfig={"thinkingConfig": {"includeThoughts": True}})
    data = (await generate(emulator, body)).json()
    parts = data["candidates"][0]["content"]["parts"]
    assert parts[0]["thought"] is True
    assert parts[1] == {"text": "Echo: ponder this"}
    usage = data["usageMetadata"]
    assert usage["thoughtsTokenCount"] == 4
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"] + 4


async def test_google_search_tool_adds_grounding_metadata(emulator: InProcessEmulator) -> None:
    body = gemini_body("latest news", tools=[{"googleSearch": {}}])
    candidate = (await generate(emulator, body)).json()["candidates"][0]
    grounding = candidate["groundingMetadata"]
    assert grounding["webSearchQueries"] == ["latest news"]
    assert grounding["groundingChunks"][0]["web"]["uri"].startswith("https://")
    assert grounding["groundingSupports"][0]["groundingChunkIndices"] == [0]


async def test_block_marker_gives_prompt_feedback_and_no_candidates(emulator: InProcessEmulator) -> None:
    data = (await generate(emulator, gemini_body("please EMULATOR_BLOCK this"))).json()
    assert "candidates" not in data
    assert data["promptFeedback"]["blockReason"] == "SAFETY"


async def test_safety_stop_marker_ends_the_candidate_with_safety(emulator: InProcessEmulator) -> None:
    candidate = (await generate(emulator, gemini_body("EMULATOR_SAFETY_STOP now"))).json()["candidates"][0]
    assert candidate["finishReason"] == "SAFETY"
    assert "content" not in candidate


# -------------------------------------------------------------------------------------------- streaming


async def test_sse_stream_splits_text_and_ends_with_finish_reason_and_usage(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(
        model_path(MODEL, "streamGenerateContent") + "?alt=sse", json=gemini_body("a b c")
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    events = sse_json(response.text)
    assert len(events) == 4
    text = "".join(e["candidates"][0]["content"]["parts"][0]["text"] for e in events)
    assert text == "Echo: a b c"
    assert all("finishReason" not in e["candidates"][0] for e in events[:-1])
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert events[-1]["usageMetadata"]["candidatesTokenCount"] == 4


async def test_stream_without_alt_sse_is_one_json_array(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(model_path(MODEL, "streamGenerateContent"), json=gemini_body("a b"))
    events = orjson.loads(response.content)
    assert isinstance(events, list)
    assert "".join(e["candidates"][0]["content"]["parts"][0]["text"] for e in events) == "Echo: a b"


async def test_stream_of_forced_call_sends_the_call_in_one_event(emulator: InProcessEmulator) -> None:
    body = gemini_body("x", tools=[WEATHER_TOOL], toolConfig={"functionCallingConfig": {"mode": "ANY"}})
    response = await emulator.client.post(model_path(MODEL, "streamGenerateContent") + "?alt=sse", json=body)
    events = sse_json(response.text)
    assert len(events) == 1
    assert events[0]["candidates"][0]["content"]["parts"][0]["functionCall"]["name"] == "search_docs"
    assert events[0]["candidates"][0]["finishReason"] == "STOP"


async def test_stream_of_blocked_prompt_is_one_prompt_feedback_event(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(
        model_path(MODEL, "streamGenerateContent") + "?alt=sse", json=gemini_body("EMULATOR_BLOCK")
    )
    events = sse_json(response.text)
    assert [e["promptFeedback"]["blockReason"] for e in events] == ["SAFETY"]


async def test_count_tokens_counts_words(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(model_path(MODEL, "countTokens"), json=gemini_body("one two three"))
    assert response.json()["totalTokens"] == 3


async def test_deployed_endpoint_generate_content(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(endpoint_path("1234567890", ":generateContent"), json=gemini_body("tuned"))
    data = response.json()
    assert data["candidates"][0]["content"]["parts"][0]["text"] == "Echo: tuned"
    assert data["modelVersion"] == "1234567890"


async def test_v1beta1_paths_are_served(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(model_path(MODEL, "generateContent", version="v1beta1"), json=gemini_body())
    assert response.status_code == 200


# -------------------------------------------------------------------------------------------- rejections


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) <= {"code", "message", "status", "details"}
    return dict(body["error"])


async def test_unknown_field_is_rejected_with_googles_message(emulator: InProcessEmulator) -> None:
    response = await generate(emulator, gemini_body("x", generationConfig={"temprature": 1}))
    assert response.status_code == 400
    error = error_of(response)
    assert error["status"] == "INVALID_ARGUMENT"
    assert (
        error["message"]
        == "Invalid JSON payload received. Unknown name \"temprature\" at 'generation_config': Cannot find field."
    )
    violation = error["details"][0]["fieldViolations"][0]
    assert violation["field"] == "generation_config"


async def test_wrong_enum_value_is_rejected(emulator: InProcessEmulator) -> None:
    body = gemini_body("x", toolConfig={"functionCallingConfig": {"mode": "SOMETIMES"}})
    error = error_of(await generate(emulator, body))
    assert error["code"] == 400
    assert error["message"].startswith("Invalid value at 'tool_config.function_calling_config.mode'")
    assert '"SOMETIMES"' in error["message"]


async def test_wrong_json_type_is_rejected(emulator: InProcessEmulator) -> None:
    error = error_of(await generate(emulator, gemini_body("x", generationConfig={"temperature": "hot"})))
    assert error["message"] == "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\""


async def test_missing_contents_is_rejected(emulator: InProcessEmulator) -> None:
    error = error_of(await generate(emulator, {"generationConfig": {}}))
    assert error["message"].startswith("Unable to submit request because at least one contents field is required.")


async def test_wrong_role_is_rejected(emulator: InProcessEmulator) -> None:
    body = {"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}
    error = error_of(await generate(emulator, body))
    assert "Please use a valid role: user, model." in error["message"]


async def test_content_without_parts_is_rejected(emulator: InProcessEmulator) -> None:
    error = error_of(await generate(emulator, {"contents": [{"role": "user", "parts": []}]}))
    assert "at least one parts field" in error["message"]


async def test_invalid_json_is_rejected(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(model_path(MODEL, "generateContent"), content=b"{not json")
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("Invalid JSON payload received.")


async def test_too_long_marker_gives_the_context_window_message(emulator: InProcessEmulator) -> None:
    error = error_of(await generate(emulator, gemini_body("EMULATOR_TOO_LONG")))
    assert error["message"] == "The input token count (1048577) exceeds the maximum number of tokens allowed (1048576)."


async def test_input_above_the_configured_limit_is_rejected() -> None:
    import httpx

    from router.emulator.app import create_app
    from router.emulator.call import EmulatorSettings

    app = create_app(require_auth=False, settings=EmulatorSettings(max_input_tokens=3))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        ok = await client.post(model_path(MODEL, "generateContent"), json=gemini_body("one two three"))
        too_long = await client.post(model_path(MODEL, "generateContent"), json=gemini_body("one two three four"))
    assert ok.status_code == 200
    assert (
        too_long.json()["error"]["message"]
        == "The input token count (4) exceeds the maximum number of tokens allowed (3)."
    )


async def test_unknown_model_marker_answers_404(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(model_path("gemini-does-not-exist", "generateContent"), json=gemini_body())
    assert response.status_code == 404
    assert error_of(response)["status"] == "NOT_FOUND"


async def test_unknown_path_answers_404_with_google_body(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post("/v1/projects/p/locations/l/somethingElse", json={})
    assert response.status_code == 404
    assert error_of(response)["status"] == "NOT_FOUND"
