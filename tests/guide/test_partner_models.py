"""Guide sections "Anthropic", "Meta/Llama API", "Mistral API", "Codestral FIM", "AI21-Modelle", "Feinabgestimmte
Modelle", "Model Garden" and the PaLM tables — the SDK examples, run as written against the emulator.

The guide's ``os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = ""`` means "use your gcloud login"; here that login is
the emulator's service-account file.
"""

from __future__ import annotations

import pytest

from router import completion, text_completion

from .conftest import Guide, body, path_tail

HI = [{"role": "user", "content": "hi"}]
vertex_ai_project = "your-vertex-project"  # can also set this as os.environ["VERTEXAI_PROJECT"]
vertex_ai_location = "your-vertex-location"  # can also set this as os.environ["VERTEXAI_LOCATION"]


@pytest.fixture
def adc(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> Guide:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    return guide


def test_guide_claude(adc: Guide) -> None:
    model = "claude-3-sonnet@20240229"
    response = completion(
        model="vertex_ai/" + model,
        messages=[{"role": "user", "content": "hi"}],
        temperature=0.7,
        vertex_ai_project=vertex_ai_project,
        vertex_ai_location=vertex_ai_location,
        api_base=adc.url,
    )
    assert response.choices[0].message.content == "Echo: hi"
    sent = adc.only_request()
    assert sent.path == (
        "/v1/projects/your-vertex-project/locations/your-vertex-location/publishers/anthropic/models/"
        "claude-3-sonnet@20240229:rawPredict"
    )
    assert body(sent)["temperature"] == 0.7
    assert body(sent)["anthropic_version"] == "vertex-2023-10-16"
    assert body(sent)["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


@pytest.mark.parametrize(
    "model",
    ["claude-3-opus@20240229", "claude-3-5-sonnet@20240620", "claude-3-sonnet@20240229", "claude-3-haiku@20240307",
     "claude-3-7-sonnet@20250219"],
)  # fmt: skip
def test_guide_claude_model_table(adc: Guide, monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "my-test-project")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-east5")
    messages = HI
    response = completion(model="vertex_ai/" + model, messages=messages, api_base=adc.url)
    assert response.choices[0].message.content == "Echo: hi"
    assert path_tail(adc.only_request()) == f"publishers/anthropic/models/{model}:rawPredict"


def test_guide_claude_thinking(adc: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "my-test-project")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-east5")
    resp = completion(
        model="vertex_ai/claude-3-7-sonnet-20250219",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        thinking={"type": "enabled", "budget_tokens": 1024},
        api_base=adc.url,
    )
    message = resp.choices[0].message
    assert message.content == "Echo: What is the capital of France?"
    assert message.reasoning_content
    blocks = message.thinking_blocks
    assert blocks[0]["type"] == "thinking"
    assert blocks[0]["thinking"] == message.reasoning_content
    assert blocks[0]["signature"]
    usage = resp.model_dump()["usage"]  # the guide's "Erwartete Antwort" fields
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    assert usage["cache_creation_input_tokens"] == 0 and usage["cache_read_input_tokens"] == 0
    sent = adc.only_request()
    # Vertex names Claude versions with '@'; the guide's '-20250219' spelling must reach the same model.
    assert path_tail(sent) == "publishers/anthropic/models/claude-3-7-sonnet@20250219:rawPredict"
    assert body(sent)["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body(sent)["max_tokens"] > 1024


def test_guide_llama_maas(adc: Guide) -> None:
    model = "meta/llama3-405b-instruct-maas"
    response = completion(
        model="vertex_ai/" + model,
        messages=[{"role": "user", "content": "hi"}],
        vertex_ai_project=vertex_ai_project,
        vertex_ai_location=vertex_ai_location,
        api_base=adc.url,
    )
    assert response.choices[0].message.content == "Echo: hi"
    sent = adc.only_request()
    assert path_tail(sent) == "endpoints/openapi/chat/completions"
    assert body(sent)["model"] == "meta/llama3-405b-instruct-maas"
    assert body(sent)["messages"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    "model",
    ["meta/llama-3.2-90b-vision-instruct-maas", "meta/llama3-8b-instruct-maas", "meta/llama3-70b-instruct-maas",
     "meta/llama3-405b-instruct-maas", "meta/llama-4-scout-17b-16e-instruct-maas",
     "meta/llama-4-scout-128b-16e-instruct-maas", "meta/llama-4-maverick-17b-128e-instruct-maas",
     "meta/llama-4-maverick-17b-16e-instruct-maas"],
)  # fmt: skip
def test_guide_llama_model_table(adc: Guide, monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "my-test-project")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")
    messages = HI
    response = completion(model="vertex_ai/" + model, messages=messages, api_base=adc.url)
    assert response.choices[0].message.content == "Echo: hi"
    assert body(adc.only_request())["model"] == model


def test_guide_mistral(adc: Guide) -> None:
    model = "mistral-large@2407"
    response = completion(
        model="vertex_ai/" + model,
        messages=[{"role": "user", "content": "hi"}],
        vertex_ai_project=vertex_ai_project,
        vertex_ai_location=vertex_ai_location,
        api_base=adc.url,
    )
    assert response.choices[0].message.content == "Echo: hi"
    sent = adc.only_request()
    assert path_tail(sent) == "publishers/mistralai/models/mistral-large@2407:rawPredict"
    assert body(sent)["messages"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("model", "wire_model"),
    [("mistral-large@latest", "mistral-large@latest"), ("mistral-large@2407", "mistral-large@2407"),
     ("mistral-nemo@latest", "mistral-nemo@latest"), ("codestral@latest", "codestral@latest"),
     ("codestral@2405", "codestral@2405")],
)  # fmt: skip
def test_guide_mistral_model_table(adc: Guide, monkeypatch: pytest.MonkeyPatch, model: str, wire_model: str) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "my-test-project")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")
    messages = HI
    response = completion(model="vertex_ai/" + model, messages=messages, api_base=adc.url)
    assert response.choices[0].message.content == "Echo: hi"
    assert path_tail(adc.only_request()).startswith(f"publishers/mistralai/models/{wire_model}:")


FIM_PROMPT = "def is_odd(n): \n return n % 2 == 1 \ndef test_is_odd():"


def test_guide_codestral_fim(adc: Guide) -> None:
    model = "codestral@2405"
    response = text_completion(
        model="vertex_ai/" + model,
        vertex_ai_project=vertex_ai_project,
        vertex_ai_location=vertex_ai_location,
        prompt=FIM_PROMPT,
        suffix="return True",  # optional
        temperature=0,  # optional
        top_p=1,  # optional
        max_tokens=10,  # optional
        min_tokens=10,  # optional
        seed=10,  # optional
        stop=["return"],  # optional
        api_base=adc.url,
    )
    assert response.object == "text_completion"
    assert isinstance(response.choices[0].text, str)
    sent = adc.only_request()
    assert path_tail(sent) == "publishers/mistralai/models/codestral@2405:rawPredict"
    wire = body(sent)
    assert wire["prompt"] == FIM_PROMPT
    assert wire["suffix"] == "return True"
    assert wire["temperature"] == 0
    assert wire["top_p"] == 1
    assert wire["max_tokens"] == 10
    assert wire["min_tokens"] == 10
    assert wire["random_seed"] == 10 and "seed" not in wire  # Mistral's name for it
    assert wire["stop"] == ["return"]


def test_guide_ai21_jamba(adc: Guide) -> None:
    model = "meta/jamba-1.5-mini@001"
    response = completion(
        model="vertex_ai/" + model,
        messages=[{"role": "user", "content": "hi"}],
        vertex_ai_project=vertex_ai_project,
        vertex_ai_location=vertex_ai_location,
        api_base=adc.url,
    )
    assert response.choices[0].message.content == "Echo: hi"
    sent = adc.only_request()
    assert path_tail(sent) == "publishers/ai21/models/jamba-1.5-mini@001:rawPredict"
    assert body(sent)["messages"] == [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize("model", ["jamba-1.5-mini@001", "jamba-1.5-large@001"])
def test_guide_ai21_model_table(adc: Guide, monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "my-test-project")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")
    messages = HI
    response = completion(model="vertex_ai/" + model, messages=messages, api_base=adc.url)
    assert response.choices[0].message.content == "Echo: hi"
    assert path_tail(adc.only_request()) == f"publishers/ai21/models/{model}:rawPredict"


def test_guide_finetuned_gemini_endpoint(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "hardy-device-38811")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = completion(
        model="vertex_ai/gemini/4965075652664360960",
        messages=[{"content": "Hello, how are you?", "role": "user"}],
        api_base=guide.url,
    )
    assert response.choices[0].message.content == "Echo: Hello, how are you?"
    sent = guide.only_request()
    assert sent.path == (
        "/v1/projects/hardy-device-38811/locations/us-central1/endpoints/4965075652664360960:generateContent"
    )
    assert body(sent)["contents"] == [{"role": "user", "parts": [{"text": "Hello, how are you?"}]}]


def test_guide_model_garden_openai_compatible(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "hardy-device-38811")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = completion(
        model="vertex_ai/openai/5464397967697903616",
        messages=[{"content": "Hello, how are you?", "role": "user"}],
        api_base=guide.url,
    )
    assert response.choices[0].message.content == "Echo: Hello, how are you?"
    sent = guide.only_request()
    assert sent.path == (
        "/v1beta1/projects/hardy-device-38811/locations/us-central1/endpoints/5464397967697903616/chat/completions"
    )
    assert body(sent)["messages"] == [{"content": "Hello, how are you?", "role": "user"}]


def test_guide_model_garden_non_openai(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "hardy-device-38811")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    response = completion(
        model="vertex_ai/5464397967697903616",
        messages=[{"content": "Hello, how are you?", "role": "user"}],
        api_base=guide.url,
    )
    assert "Hello, how are you?" in response.choices[0].message.content
    sent = guide.only_request()
    assert sent.path == "/v1/projects/hardy-device-38811/locations/us-central1/endpoints/5464397967697903616:predict"
    assert "Hello, how are you?" in str(body(sent)["instances"])


def test_guide_model_tables_positional_call_form(adc: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "my-test-project")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-east5")
    messages = HI
    response = completion("vertex_ai/claude-3-opus@20240229", messages, api_base=adc.url)  # type: ignore[misc]
    assert response.choices[0].message.content == "Echo: hi"
