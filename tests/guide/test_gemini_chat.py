"""Guide sections "vertex_ai/ Route", "Systemnachricht", "Funktionsaufrufe", "JSON-Schema", "Grounding",
"Thinking", "Kontext-Caching", "Gemini Pro", "Gemini Pro Vision", "Funktionsaufrufe (Gemini)", "PDF / Videos /
Audio" — the SDK (``completion``) examples, run as written against the emulator."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

import router
from router import JSONSchemaValidationError, completion

from .conftest import Guide, body, path_tail

HELLO = [{"content": "Hello, how are you?", "role": "user"}]
COOKIES = [{"role": "user", "content": "List 5 popular cookie recipes."}]
RESPONSE_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"recipe_name": {"type": "string"}},
        "required": ["recipe_name"],
    },
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"}},
            "required": ["location"],
        },
    },
}


def test_guide_vertex_ai_route_credentials_json_string(guide: Guide) -> None:
    vertex_credentials_json = json.dumps(json.loads(guide.credentials_json()))
    response = completion(
        model="vertex_ai/gemini-pro",
        messages=[{"content": "Hello, how are you?", "role": "user"}],
        vertex_credentials=vertex_credentials_json,
        api_base=guide.url,
    )
    assert response.choices[0].message.content == "Echo: Hello, how are you?"
    sent = guide.only_request()
    # The project comes from the service-account JSON; LiteLLM's default location is us-central1.
    assert sent.path.startswith("/v1/projects/emulator-project/locations/us-central1/")
    assert path_tail(sent) == "publishers/google/models/gemini-pro:generateContent"
    assert body(sent)["contents"] == [{"role": "user", "parts": [{"text": "Hello, how are you?"}]}]


def test_guide_system_message(guide: Guide) -> None:
    response = completion(
        model="vertex_ai/gemini-pro",
        messages=[
            {"content": "You are a good bot.", "role": "system"},
            {"content": "Hello, how are you?", "role": "user"},
        ],
        vertex_credentials=guide.credentials_json(),
        api_base=guide.url,
    )
    # Gemini 1.0 has no systemInstruction: the system text goes first in the user turn (so it is echoed too).
    assert response.choices[0].message.content == "Echo: You are a good bot. Hello, how are you?"
    sent = body(guide.only_request())
    assert "systemInstruction" not in sent
    assert [c["role"] for c in sent["contents"]] == ["user"]
    assert "You are a good bot." in json.dumps(sent["contents"][0]["parts"])


def test_guide_function_calling_tool_choice_required(guide: Guide) -> None:
    messages = [
        {"role": "system", "content": "Your name is Litellm Bot, you are a helpful assistant"},
        {"role": "user", "content": "Hello, what is your name and can you tell me the weather?"},
    ]
    data = {
        "model": "vertex_ai/gemini-1.5-pro-preview-0514",
        "messages": messages,
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "vertex_credentials": guide.credentials_json(),
        "api_base": guide.url,
    }
    response = completion(**data)
    call = response.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert "location" in json.loads(call.function.arguments)
    assert response.choices[0].finish_reason == "tool_calls"
    sent = body(guide.only_request())
    assert sent["toolConfig"]["functionCallingConfig"]["mode"] == "ANY"
    assert sent["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"


def test_guide_json_schema_response_schema(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    # "!gcloud auth application-default login" → application default credentials from the environment.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = completion(
        model="vertex_ai/gemini-1.5-pro",
        messages=COOKIES,
        response_format={"type": "json_object", "response_schema": RESPONSE_SCHEMA},
        api_base=guide.url,
    )
    recipes = json.loads(response.choices[0].message.content)
    assert isinstance(recipes, list) and all("recipe_name" in r for r in recipes)
    config = body(guide.only_request())["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config.get("responseJsonSchema") or config.get("responseSchema")
    assert schema["items"]["required"] == ["recipe_name"]


def test_guide_json_schema_enforce_validation_passes_conforming_answer(
    guide: Guide, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = completion(
        model="vertex_ai/gemini-1.5-pro",
        messages=COOKIES,
        response_format={"type": "json_object", "response_schema": RESPONSE_SCHEMA, "enforce_validation": True},
        api_base=guide.url,
    )
    assert isinstance(json.loads(response.choices[0].message.content), list)


def test_guide_json_schema_enforce_validation_raises(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    # The emulator honours what Vertex enforces but not ``uniqueItems`` (it repeats one sample item), which is
    # the non-conforming answer the guide's except-branch is for.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    schema = {**RESPONSE_SCHEMA, "minItems": 5, "uniqueItems": True}
    with pytest.raises(JSONSchemaValidationError) as e:
        completion(
            model="vertex_ai/gemini-1.5-pro",
            messages=COOKIES,
            response_format={"type": "json_object", "response_schema": schema, "enforce_validation": True},
            api_base=guide.url,
        )
    print(f"Raw Response: {e.value.raw_response}")
    assert json.loads(e.value.raw_response) == [{"recipe_name": "recipe_name"}] * 5
    assert e.value.status_code == 502
    assert len(guide.requests()) == 1  # a validation failure is not retried


def test_guide_json_object_schema_in_prompt(guide: Guide) -> None:
    messages = [
        {
            "role": "user",
            "content": """
List 5 popular cookie recipes.

Using this JSON schema:

    Recipe = {"recipe_name": str}

Return a `list[Recipe]`
""",
        }
    ]
    response = completion(
        model="vertex_ai/gemini-1.5-flash-preview-0514",
        messages=messages,
        response_format={"type": "json_object"},
        vertex_credentials=guide.credentials_json(),
        api_base=guide.url,
    )
    json.loads(response.choices[0].message.content)
    config = body(guide.only_request())["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert "responseSchema" not in config and "responseJsonSchema" not in config


@pytest.mark.parametrize(
    ("tool", "wire_key"),
    [({"googleSearch": {}}, "googleSearch"), ({"enterpriseWebSearch": {}}, "enterpriseWebSearch")],
    ids=["google_search", "enterprise_web_search"],
)
def test_guide_grounding(guide: Guide, monkeypatch: pytest.MonkeyPatch, tool: dict, wire_key: str) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    tools = [tool]
    resp = router.completion(
        model="vertex_ai/gemini-1.0-pro-001",
        messages=[{"role": "user", "content": "Who won the world cup?"}],
        tools=tools,
        api_base=guide.url,
    )
    assert resp.choices[0].message.content
    assert resp.choices[0].message.tool_calls is None
    sent = body(guide.only_request())
    assert sent["tools"] == [{wire_key: {}}]
    if wire_key == "googleSearch":
        assert resp._hidden_params["vertex_ai_grounding_metadata"]


def test_guide_grounding_google_search(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    resp = router.completion(
        model="vertex_ai/gemini-1.0-pro-001",
        messages=[{"role": "user", "content": "Who won the world cup?"}],
        tools=[{"googleSearch": {}}],
        api_base=guide.url,
    )
    metadata = resp._hidden_params["vertex_ai_grounding_metadata"]
    assert metadata[0]["webSearchQueries"] == ["Who won the world cup?"]
    assert metadata[0]["groundingChunks"][0]["web"]["uri"].startswith("https://")


def test_guide_grounding_migrated_from_vertex_sdk(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    tools = [{"googleSearch": {"disable_attributon": False}}]
    resp = router.completion(
        model="vertex_ai/gemini-1.0-pro-001",
        messages=[{"role": "user", "content": "Who won the world cup?"}],
        tools=tools,
        vertex_project="project-id",
        api_base=guide.url,
    )
    assert resp._hidden_params["vertex_ai_grounding_metadata"]
    sent = guide.only_request()
    assert sent.path.startswith("/v1/projects/project-id/")
    assert "googleSearch" in body(sent)["tools"][0]


@pytest.mark.parametrize(("effort", "budget"), [("low", 1024), ("medium", 2048), ("high", 4096)])
def test_guide_thinking_reasoning_effort(
    guide: Guide, monkeypatch: pytest.MonkeyPatch, effort: str, budget: int
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    resp = completion(
        model="vertex_ai/gemini-2.5-flash-preview-04-17",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        reasoning_effort=effort,
        vertex_project="project-id",
        vertex_location="us-central1",
        api_base=guide.url,
    )
    message = resp.choices[0].message
    assert message.content == "Echo: What is the capital of France?"
    assert message.reasoning_content
    # The guide's "Erwartete Antwort": usage with prompt_tokens_details.cached_tokens.
    usage = resp.model_dump()["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    sent = guide.only_request()
    assert sent.path.startswith("/v1/projects/project-id/locations/us-central1/")
    thinking = body(sent)["generationConfig"]["thinkingConfig"]
    assert thinking["thinkingBudget"] == budget
    assert thinking["includeThoughts"] is True


def test_guide_thinking_param_gemini(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = router.completion(
        model="vertex_ai/gemini-2.5-flash-preview-04-17",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        thinking={"type": "enabled", "budget_tokens": 1024},
        vertex_project="project-id",
        vertex_location="us-central1",
        api_base=guide.url,
    )
    assert response.choices[0].message.reasoning_content
    thinking = body(guide.only_request())["generationConfig"]["thinkingConfig"]
    assert thinking == {"thinkingBudget": 1024, "includeThoughts": True}


def test_guide_context_caching(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    # litellm.vertex_project / litellm.vertex_location are module globals; our module has none (no module
    # state) — the guide's own alternative, the environment, is what a user of this project sets.
    monkeypatch.setenv("VERTEXAI_PROJECT", "hardy-device-38811")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = router.completion(
        model="gemini-pro",
        messages=[{"role": "user", "content": "write code for saying hi from LiteLLM"}],
        api_base=guide.url,
    )
    assert response.choices[0].message.content == "Echo: write code for saying hi from LiteLLM"
    sent = guide.only_request()
    assert sent.path == (
        "/v1/projects/hardy-device-38811/locations/us-central1/publishers/google/models/gemini-pro:generateContent"
    )


def test_guide_dynamic_params_project_and_location(guide: Guide) -> None:
    response = completion(
        model="vertex_ai/gemini-pro",
        messages=[
            {"content": "You are a good bot.", "role": "system"},
            {"content": "Hello, how are you?", "role": "user"},
        ],
        vertex_credentials=guide.credentials_json(),
        vertex_project="my-special-project",
        vertex_location="my-special-location",
        api_base=guide.url,
    )
    assert response.choices[0].message.content == "Echo: You are a good bot. Hello, how are you?"
    sent = guide.only_request()
    assert sent.path.startswith("/v1/projects/my-special-project/locations/my-special-location/")


def test_guide_environment_variables(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    monkeypatch.setenv("VERTEXAI_LOCATION", "asia-southeast1")
    monkeypatch.setenv("VERTEXAI_PROJECT", "my-test-project")
    response = completion(model="vertex_ai/gemini-pro", messages=HELLO, api_base=guide.url)
    assert response.choices[0].message.content == "Echo: Hello, how are you?"
    assert guide.only_request().path.startswith("/v1/projects/my-test-project/locations/asia-southeast1/")


def test_guide_extra_google_application_credentials_temp_file(
    guide: Guide, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    # "Extra": the service-account JSON copied to a temporary file named by GOOGLE_APPLICATION_CREDENTIALS.
    temp = tmp_path / "vertex_key.json"
    temp.write_text(json.dumps(json.loads(guide.credentials_json()), indent=2))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(temp))
    response = completion(model="vertex_ai/gemini-pro", messages=HELLO, api_base=guide.url)
    assert response.choices[0].message.content == "Echo: Hello, how are you?"
    assert guide.only_request().path.startswith("/v1/projects/emulator-project/")


SAFETY_SETTINGS = [
    {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"},
    {"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"},
    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "threshold": "BLOCK_NONE"},
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "BLOCK_NONE"},
]


def test_guide_safety_settings_call_sdk(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = completion(
        model="vertex_ai/gemini-pro",
        messages=[{"role": "user", "content": "write code for saying hi from LiteLLM"}],
        safety_settings=SAFETY_SETTINGS,
        api_base=guide.url,
    )
    assert response.choices[0].message.content
    assert body(guide.only_request())["safetySettings"] == SAFETY_SETTINGS


@pytest.mark.parametrize(
    "model",
    ["gemini-pro", "vertex_ai/gemini-pro", "gemini-1.5-pro", "vertex_ai/gemini-1.5-pro",
     "gemini-1.5-flash-preview-0514", "vertex_ai/gemini-1.5-flash-preview-0514",
     "gemini-1.5-pro-preview-0514", "vertex_ai/gemini-1.5-pro-preview-0514",
     "gemini-pro-vision", "vertex_ai/gemini-pro-vision"],
)  # fmt: skip
def test_guide_gemini_model_table(guide: Guide, monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = completion(model=model, messages=HELLO, api_base=guide.url)
    assert response.choices[0].message.content == "Echo: Hello, how are you?"
    bare = model.removeprefix("vertex_ai/")
    assert path_tail(guide.only_request()) == f"publishers/google/models/{bare}:generateContent"


BOARDWALK = (
    "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/"
    "2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg"
)


def test_guide_gemini_vision_image_url(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = router.completion(
        model="vertex_ai/gemini-pro-vision",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Whats in this image?"},
                    {"type": "image_url", "image_url": {"url": BOARDWALK}},
                ],
            }
        ],
        api_base=guide.url,
    )
    assert response.choices[0].message.content == "Echo: Whats in this image?"
    parts = body(guide.only_request())["contents"][0]["parts"]
    assert parts[0] == {"text": "Whats in this image?"}
    assert parts[1]["fileData"] == {"fileUri": BOARDWALK, "mimeType": "image/jpeg"}


JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def test_guide_gemini_vision_base64_image(guide: Guide, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    image_path = tmp_path / "cached_logo.jpg"
    image_path.write_bytes(JPEG)

    def encode_image(image_path):
        with open(image_path, "rb") as image_file:
            return base64.b64encode(image_file.read()).decode("utf-8")

    base64_image = encode_image(image_path)
    response = router.completion(
        model="vertex_ai/gemini-pro-vision",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Whats in this image?"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + base64_image}},
                ],
            }
        ],
        api_base=guide.url,
    )
    assert response.choices[0].message.content == "Echo: Whats in this image?"
    parts = body(guide.only_request())["contents"][0]["parts"]
    assert parts[1]["inlineData"] == {"mimeType": "image/jpeg", "data": base64_image}


def test_guide_gemini_function_calling(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    monkeypatch.setenv("VERTEX_AI_PROJECT", "my-test-project")
    monkeypatch.setenv("VERTEX_AI_LOCATION", "us-central1")
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_current_weather",
                "description": "Get the current weather in a given location",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    },
                    "required": ["location"],
                },
            },
        }
    ]
    # A real model decides to call the tool in AUTO mode; the emulator needs its marker to do the same.
    messages = [{"role": "user", "content": "What's the weather like in Boston today? EMULATOR_CALL_TOOL"}]
    response = completion(model="vertex_ai/gemini-pro-vision", messages=messages, tools=tools, api_base=guide.url)
    assert isinstance(response.choices[0].message.tool_calls[0].function.name, str)
    assert isinstance(response.choices[0].message.tool_calls[0].function.arguments, str)
    declaration = body(guide.only_request())["tools"][0]["functionDeclarations"][0]
    assert declaration["name"] == "get_current_weather"


def test_guide_gemini_function_calling_env_names_vertex_ai_project(
    guide: Guide, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    monkeypatch.setenv("VERTEX_AI_PROJECT", "my-test-project")
    monkeypatch.setenv("VERTEX_AI_LOCATION", "europe-west1")
    completion(model="vertex_ai/gemini-pro-vision", messages=[{"role": "user", "content": "hi"}], api_base=guide.url)
    assert guide.only_request().path.startswith("/v1/projects/my-test-project/locations/europe-west1/")


SUMMARIZE = "You are a very professional document summarization specialist. Please summarize the given document."
PDF_URI = "gs://cloud-samples-data/generative-ai/pdf/2403.05530.pdf"


def test_guide_pdf_gs_uri(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = completion(
        model="vertex_ai/gemini-1.5-flash",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": SUMMARIZE},
                    {"type": "file", "file": {"file_id": PDF_URI, "format": "application/pdf"}},
                ],
            }
        ],
        max_tokens=300,
        api_base=guide.url,
    )
    assert response.choices[0].message.content == f"Echo: {SUMMARIZE}"
    sent = body(guide.only_request())
    assert sent["contents"][0]["parts"][1] == {"fileData": {"fileUri": PDF_URI, "mimeType": "application/pdf"}}
    assert sent["generationConfig"]["maxOutputTokens"] == 300


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_guide_pdf_gs_and_base64(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    # The guide downloads the PDF with requests.get; offline, the same bytes come from a local sample.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    encoded_file = base64.b64encode(PDF).decode("utf-8")
    response = completion(
        model="vertex_ai/gemini-1.5-flash",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": SUMMARIZE},
                    {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{encoded_file}"}},
                    {"type": "audio_input", "audio_input": {"audio_input": f"data:audio/mp3;base64,{encoded_file}"}},
                ],
            }
        ],
        max_tokens=300,
        api_base=guide.url,
    )
    assert response.choices[0].message.content == f"Echo: {SUMMARIZE}"
    parts = body(guide.only_request())["contents"][0]["parts"]
    assert parts[1] == {"inlineData": {"mimeType": "application/pdf", "data": encoded_file}}
    # audio/mp3 is sent under its registered name, audio/mpeg.
    assert parts[2] == {"inlineData": {"mimeType": "audio/mpeg", "data": encoded_file}}


def _metadata_server_only(guide: Guide, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No key file and no gcloud login: google-auth finds the attached service account through the metadata
    server (the emulator's, here), as on Cloud Run."""
    from google.auth.compute_engine import _metadata

    host = guide.url.removeprefix("http://")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("GCE_METADATA_HOST", host)
    monkeypatch.setenv("GCE_METADATA_IP", host)
    monkeypatch.setattr(_metadata, "_GCE_METADATA_HOST", host)  # google-auth reads the variable at import
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")


def test_guide_extra_cloud_run_service_account(guide: Guide, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _metadata_server_only(guide, monkeypatch, tmp_path)
    response = completion(model="vertex_ai/gemini-pro", messages=HELLO, api_base=guide.url)
    assert response.choices[0].message.content == "Echo: Hello, how are you?"


def test_guide_extra_cloud_run_service_account_with_project_env(
    guide: Guide, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _metadata_server_only(guide, monkeypatch, tmp_path)
    monkeypatch.setenv("VERTEXAI_PROJECT", "my-cloud-run-project")
    response = completion(model="vertex_ai/gemini-pro", messages=HELLO, api_base=guide.url)
    assert response.choices[0].message.content == "Echo: Hello, how are you?"
    assert guide.only_request().path.startswith("/v1/projects/my-cloud-run-project/locations/us-central1/")


@pytest.mark.parametrize(
    ("url", "mime"),
    [
        ("gs://cloud-samples-data/generative-ai/image/boats.jpeg", "image/jpeg"),
        ("https://storage.googleapis.com/github-repo/img/gemini/intro/landmark3.jpg", "image/jpeg"),
        (
            "https://storage.googleapis.com/github-repo/img/gemini/multimodality_usecases_overview/pixel8.mp4",
            "video/mp4",
        ),
    ],
    ids=["gcs_image", "https_image", "video"],
)
@pytest.mark.parametrize("part_type", ["image_url", "file"])
def test_guide_gemini_vision_supported_url_kinds(
    guide: Guide, monkeypatch: pytest.MonkeyPatch, url: str, mime: str, part_type: str
) -> None:
    # The URL kinds the guide lists for image_url (Gemini Pro Vision) and for file parts (PDF / Videos / Audio).
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    part = {"type": "image_url", "image_url": {"url": url}} if part_type == "image_url" else {
        "type": "file", "file": {"file_id": url}
    }  # fmt: skip
    response = completion(
        model="vertex_ai/gemini-1.5-flash",
        messages=[{"role": "user", "content": [{"type": "text", "text": "Whats in this?"}, part]}],
        api_base=guide.url,
    )
    assert response.choices[0].message.content == "Echo: Whats in this?"
    parts = body(guide.only_request())["contents"][0]["parts"]
    assert parts[1] == {"fileData": {"fileUri": url, "mimeType": mime}}
