"""The guide's proxy examples for Gemini: its config.yaml (configs/guide/), ``vertex-router serve`` (the proxy app
on a socket), then the guide's ``openai`` SDK and ``curl`` requests. The curl bodies are the guide's, made valid
JSON (the guide has trailing commas and ``# 👈`` comments inside the JSON)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from .conftest import Guide, body, path_tail
from .proxy import KEY, serve

AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
RESPONSE_SCHEMA = {
    "type": "array",
    "items": {"type": "object", "properties": {"recipe_name": {"type": "string"}}, "required": ["recipe_name"]},
}
SAFETY_SETTINGS = [
    {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"},
    {"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"},
    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "threshold": "BLOCK_NONE"},
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "BLOCK_NONE"},
]


@pytest.fixture
def env(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> Guide:
    guide.config_env(monkeypatch)
    return guide


@pytest.fixture
def gemini_pro(env: Guide) -> Iterator[str]:
    with serve("gemini-pro.yaml") as url:
        yield url


def test_guide_json_schema_proxy_curl(env: Guide, gemini_pro: str) -> None:
    reply = httpx.post(
        f"{gemini_pro}/chat/completions",
        headers=AUTH,
        json={
            "model": "gemini-pro",
            "messages": [{"role": "user", "content": "List 5 popular cookie recipes."}],
            "response_format": {"type": "json_object", "response_schema": RESPONSE_SCHEMA},
        },
    )
    assert reply.status_code == 200, reply.text
    recipes = json.loads(reply.json()["choices"][0]["message"]["content"])
    assert all("recipe_name" in r for r in recipes)
    sent = env.only_request()
    assert sent.path.startswith("/v1/projects/project-id/locations/us-central1/")
    assert path_tail(sent) == "publishers/google/models/gemini-1.5-pro:generateContent"
    assert body(sent)["generationConfig"]["responseMimeType"] == "application/json"


def test_guide_json_schema_enforce_validation_proxy_curl(env: Guide, gemini_pro: str) -> None:
    # The guide's curl puts enforce_validation next to response_schema inside response_format.
    reply = httpx.post(
        f"{gemini_pro}/chat/completions",
        headers=AUTH,
        json={
            "model": "gemini-pro",
            "messages": [{"role": "user", "content": "List 5 popular cookie recipes."}],
            "response_format": {
                "type": "json_object",
                "response_schema": {**RESPONSE_SCHEMA, "minItems": 5, "uniqueItems": True},
                "enforce_validation": True,
            },
        },
    )
    assert reply.status_code == 502, reply.text
    assert reply.json()["error"]["code"] == "json_schema_validation_failed"


@pytest.mark.parametrize("tool", ["googleSearch", "enterpriseWebSearch"])
def test_guide_grounding_proxy_openai_sdk(env: Guide, gemini_pro: str, tool: str) -> None:
    client = openai.OpenAI(api_key="sk-1234", base_url=f"{gemini_pro}/v1/")
    response = client.chat.completions.create(
        model="gemini-pro",
        messages=[{"role": "user", "content": "Who won the world cup?"}],
        tools=[{tool: {}}],  # type: ignore[list-item]
    )
    assert response.choices[0].message.content
    assert body(env.only_request())["tools"] == [{tool: {}}]


def test_guide_grounding_proxy_curl(env: Guide, gemini_pro: str) -> None:
    reply = httpx.post(
        f"{gemini_pro}/v1/chat/completions",
        headers=AUTH,
        json={
            "model": "gemini-pro",
            "messages": [{"role": "user", "content": "Who won the world cup?"}],
            "tools": [{"googleSearch": {}}],
        },
    )
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["choices"][0]["message"]["content"]
    # LiteLLM's proxy returns the grounding metadata in the body as vertex_ai_grounding_metadata.
    assert answer["vertex_ai_grounding_metadata"][0]["webSearchQueries"] == ["Who won the world cup?"]


def test_guide_thinking_reasoning_effort_proxy_curl(env: Guide) -> None:
    with serve("gemini-2.5-flash-thinking.yaml") as url:
        reply = httpx.post(
            f"{url}/v1/chat/completions",
            headers=AUTH,
            json={
                "model": "gemini-2.5-flash",
                "messages": [{"role": "user", "content": "What is the capital of France?"}],
                "reasoning_effort": "low",
            },
        )
    assert reply.status_code == 200, reply.text
    message = reply.json()["choices"][0]["message"]
    assert message["content"] == "Echo: What is the capital of France?"
    assert message["reasoning_content"]
    thinking = body(env.only_request())["generationConfig"]["thinkingConfig"]
    assert thinking == {"thinkingBudget": 1024, "includeThoughts": True}


def test_guide_thinking_param_proxy_curl_with_provider_model_name(env: Guide) -> None:
    # The guide's curl names the provider model, not the config's model_name.
    with serve("gemini-2.5-flash-thinking.yaml") as url:
        reply = httpx.post(
            f"{url}/v1/chat/completions",
            headers=AUTH,
            json={
                "model": "vertex_ai/gemini-2.5-flash-preview-04-17",
                "messages": [{"role": "user", "content": "What is the capital of France?"}],
                "thinking": {"type": "enabled", "budget_tokens": 1024},
            },
        )
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["reasoning_content"]
    thinking = body(env.only_request())["generationConfig"]["thinkingConfig"]
    assert thinking == {"thinkingBudget": 1024, "includeThoughts": True}


def test_guide_proxy_location_per_model(env: Guide) -> None:
    with serve("gemini-vision-per-location.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=url)
        for _ in range(6):
            response = client.chat.completions.create(
                model="gemini-vision", messages=[{"role": "user", "content": "what llm are you"}]
            )
            assert response.choices[0].message.content == "Echo: what llm are you"
    sent = env.requests()
    assert {(r.path.split("/")[3], r.location) for r in sent} <= {
        ("project-id", "us-central1"),
        ("project-id2", "us-east"),
    }
    assert all(path_tail(r) == "publishers/google/models/gemini-1.0-pro-vision-001:generateContent" for r in sent)


def test_guide_proxy_one_location_for_all_openai_sdk(env: Guide) -> None:
    with serve("team1-gemini-pro.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=url)  # litellm-proxy-base url, no /v1
        response = client.chat.completions.create(
            model="team1-gemini-pro", messages=[{"role": "user", "content": "what llm are you"}]
        )
        curl = httpx.post(
            f"{url}/chat/completions",
            headers=AUTH,
            json={"model": "team1-gemini-pro", "messages": [{"role": "user", "content": "what llm are you"}]},
        )
    assert response.choices[0].message.content == "Echo: what llm are you"
    assert curl.status_code == 200 and curl.json()["choices"][0]["message"]["content"] == "Echo: what llm are you"
    paths = [r.path for r in env.requests()]
    assert (
        paths
        == ["/v1/projects/hardy-device-38811/locations/us-central1/publishers/google/models/gemini-pro:generateContent"]
        * 2
    )


def test_guide_proxy_one_location_for_all_typo_is_a_config_error(tmp_path) -> None:
    # The guide's YAML as printed ("-model_name:" without a space) must fail at load, not at the first request.
    from router import ConfigError
    from router.config import load_config

    broken = tmp_path / "config.yaml"
    broken.write_text(
        'litellm_settings:\n  vertex_project: "hardy-device-38811"\n  vertex_location: "us-central1"\n'
        "model_list:\n  -model_name: team1-gemini-pro\n  litellm_params:\n    model: gemini-pro\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(broken, environ={})
    assert "model_list" in str(caught.value)


def test_guide_dynamic_params_proxy_config(env: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEX_FILE_PATH_ENV_VAR", str(env.credentials))
    with serve("gemini-1.5-pro-env-credentials.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=f"{url}/v1")
        response = client.chat.completions.create(
            model="gemini-1.5-pro", messages=[{"role": "user", "content": "Hello, how are you?"}]
        )
    assert response.choices[0].message.content == "Echo: Hello, how are you?"
    assert env.only_request().path == (
        "/v1/projects/my-special-project/locations/my-special-location/publishers/google/models/"
        "gemini-1.5-pro:generateContent"
    )


def test_guide_safety_settings_config(env: Guide) -> None:
    with serve("gemini-experimental-safety.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=f"{url}/v1")
        client.chat.completions.create(
            model="gemini-experimental", messages=[{"role": "user", "content": "Can you write exploits?"}]
        )
    assert body(env.only_request())["safetySettings"] == SAFETY_SETTINGS


def test_guide_safety_settings_call_proxy(env: Guide) -> None:
    # Option 2: per call through the proxy (extra_body), on the same config.
    with serve("gemini-experimental-safety.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=f"{url}/v1")
        response = client.chat.completions.create(
            model="gemini-experimental",
            messages=[{"role": "user", "content": "Can you write exploits?"}],
            max_tokens=8192,
            stream=False,
            temperature=0.0,
            extra_body={"safety_settings": SAFETY_SETTINGS},
        )
    assert response.choices[0].message.content == "Echo: Can you write exploits?"
    sent = body(env.only_request())
    assert sent["safetySettings"] == SAFETY_SETTINGS
    assert sent["generationConfig"]["maxOutputTokens"] == 8192
    assert sent["generationConfig"]["temperature"] == 0.0


def test_guide_safety_settings_global(env: Guide) -> None:
    with serve("gemini-experimental-safety-global.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=f"{url}/v1")
        client.chat.completions.create(
            model="gemini-experimental",
            messages=[{"role": "user", "content": "write code for saying hi from LiteLLM"}],
        )
    assert body(env.only_request())["safetySettings"] == SAFETY_SETTINGS


def test_guide_finetuned_gemini_proxy(env: Guide) -> None:
    with serve("finetuned-gemini.yaml") as url:
        # api_key="your-litellm-key" in the guide is the placeholder for the proxy key.
        client = openai.OpenAI(api_key=KEY, base_url=url)
        response = client.chat.completions.create(
            model="finetuned-gemini", messages=[{"role": "user", "content": "hi"}]
        )
        curl = httpx.post(
            f"{url}/v1/chat/completions",
            headers=AUTH,
            json={
                "model": "finetuned-gemini",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            },
        )
    assert response.choices[0].message.content == "Echo: hi"
    assert curl.status_code == 200, curl.text
    assert curl.json()["choices"][0]["message"]["content"] == "Echo: hi"
    paths = [r.path for r in env.requests()]
    assert (
        paths
        == ["/v1/projects/hardy-device-38811/locations/us-central1/endpoints/4965075652664360960:generateContent"] * 2
    )
    assert body(env.requests()[1])["contents"] == [{"role": "user", "parts": [{"text": "hi"}]}]


def test_guide_finetuned_gemini_proxy_curl_key_without_bearer(env: Guide) -> None:
    with serve("finetuned-gemini.yaml") as url:
        curl = httpx.post(
            f"{url}/v1/chat/completions",
            headers={"Content-Type": "application/json", "Authorization": KEY},
            json={
                "model": "finetuned-gemini",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            },
        )
    assert curl.status_code == 200, curl.text


PDF_URI = "gs://cloud-samples-data/generative-ai/pdf/2403.05530.pdf"
SUMMARIZE = "You are a very professional document summarization specialist. Please summarize the given document"


def test_guide_pdf_proxy_curl(env: Guide) -> None:
    with serve("gemini-1.5-flash-files.yaml") as url:
        reply = httpx.post(
            f"{url}/v1/chat/completions",
            headers=AUTH,
            json={
                "model": "gemini-1.5-flash",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": SUMMARIZE},
                            {"type": "file", "file": {"file_id": PDF_URI, "format": "application/pdf"}},
                        ],
                    }
                ],
                "max_tokens": 300,
            },
        )
    assert reply.status_code == 200, reply.text
    sent = env.only_request()
    assert sent.path.startswith("/v1/projects/emulator-project/locations/us-central1/")
    assert body(sent)["contents"][0]["parts"][1] == {"fileData": {"fileUri": PDF_URI, "mimeType": "application/pdf"}}


def test_guide_pdf_and_audio_base64_proxy_curl(env: Guide) -> None:
    encoded_file = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
    with serve("gemini-1.5-flash-files.yaml") as url:
        reply = httpx.post(
            f"{url}/v1/chat/completions",
            headers=AUTH,
            json={
                "model": "gemini-1.5-flash",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": SUMMARIZE},
                            {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{encoded_file}"}},
                            {
                                "type": "audio_input",
                                "audio_input": {"audio_input": f"data:audio/mp3;base64,{encoded_file}"},
                            },
                        ],
                    }
                ],
                "max_tokens": 300,
            },
        )
    assert reply.status_code == 200, reply.text
    parts = body(env.only_request())["contents"][0]["parts"]
    assert parts[1] == {"inlineData": {"mimeType": "application/pdf", "data": encoded_file}}
    assert parts[2] == {"inlineData": {"mimeType": "audio/mpeg", "data": encoded_file}}
