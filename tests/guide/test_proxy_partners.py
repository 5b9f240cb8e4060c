"""The guide's proxy examples for partner models, embeddings, multimodal embeddings and TTS: its config.yaml
(configs/guide/), the proxy on a socket, then its ``openai`` SDK / ``curl`` requests (curl bodies made valid JSON:
the guide has trailing commas and ``# 👈`` comments inside them)."""

from __future__ import annotations

import base64

import httpx
import openai
import pytest

from .conftest import CONFIGS, Guide, body, path_tail
from .proxy import KEY, serve

AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
WHAT_LLM = {"messages": [{"role": "user", "content": "what llm are you"}]}
LANDMARK = "gs://cloud-samples-data/vertex-ai/llm/prompts/landmark1.png"
VIDEO = "gs://my-bucket/embeddings/supermarket-video.mp4"
JPEG_B64 = base64.b64encode(bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")).decode()


@pytest.fixture
def env(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> Guide:
    guide.config_env(monkeypatch)
    return guide


@pytest.mark.parametrize(
    ("config", "model_name", "route"),
    [
        (
            "anthropic-vertex.yaml",
            "anthropic-vertex",
            "publishers/anthropic/models/claude-3-sonnet@20240229:rawPredict",
        ),
        ("anthropic-llama.yaml", "anthropic-llama", "endpoints/openapi/chat/completions"),
        ("vertex-mistral.yaml", "vertex-mistral", "publishers/mistralai/models/mistral-large@2407:rawPredict"),
        ("jamba.yaml", "jamba-1.5-large", "publishers/ai21/models/jamba-1.5-large@001:rawPredict"),
        ("jamba.yaml", "jamba-1.5-mini", "publishers/ai21/models/jamba-1.5-mini@001:rawPredict"),
        ("llama3-1-8b-instruct.yaml", "llama3-1-8b-instruct", "endpoints/5464397967697903616/chat/completions"),
    ],
    ids=["claude", "llama_maas", "mistral", "ai21_jamba_large", "ai21_jamba_mini", "model_garden_openai_compatible"],
)
def test_guide_partner_proxy_curl(env: Guide, config: str, model_name: str, route: str) -> None:
    with serve(config) as url:
        reply = httpx.post(f"{url}/chat/completions", headers=AUTH, json={"model": model_name, **WHAT_LLM})
    assert reply.status_code == 200, reply.text
    assert reply.json()["choices"][0]["message"]["content"] == "Echo: what llm are you"
    sent = env.only_request()
    assert sent.path.split("/")[3] == "my-test-project"
    assert sent.location in ("us-east-1", "us-west-1")
    assert path_tail(sent) == route


def test_guide_claude_thinking_proxy_curl(env: Guide) -> None:
    with serve("claude-3-7-sonnet-thinking.yaml") as url:
        reply = httpx.post(
            f"{url}/v1/chat/completions",
            headers=AUTH,
            json={
                "model": "claude-3-7-sonnet-20250219",
                "messages": [{"role": "user", "content": "What is the capital of France?"}],
                "thinking": {"type": "enabled", "budget_tokens": 1024},
            },
        )
    assert reply.status_code == 200, reply.text
    message = reply.json()["choices"][0]["message"]
    assert message["content"] == "Echo: What is the capital of France?"
    assert message["reasoning_content"]
    assert message["thinking_blocks"][0]["type"] == "thinking"
    assert message["thinking_blocks"][0]["signature"]
    sent = env.only_request()
    assert path_tail(sent) == "publishers/anthropic/models/claude-3-7-sonnet@20250219:rawPredict"
    assert body(sent)["thinking"] == {"type": "enabled", "budget_tokens": 1024}


def test_guide_codestral_fim_proxy_curl(env: Guide) -> None:
    with serve("vertex-codestral.yaml") as url:
        reply = httpx.post(
            f"{url}/completions",
            headers=AUTH,
            json={
                "model": "vertex-codestral",
                "prompt": "def is_odd(n): \n return n % 2 == 1 \ndef test_is_odd():",
                "suffix": "return True",
                "temperature": 0,
                "top_p": 1,
                "max_tokens": 10,
                "min_tokens": 10,
                "seed": 10,
                "stop": ["return"],
            },
        )
    assert reply.status_code == 200, reply.text
    assert reply.json()["object"] == "text_completion"
    sent = env.only_request()
    assert path_tail(sent) == "publishers/mistralai/models/codestral@2405:rawPredict"
    assert body(sent)["suffix"] == "return True"
    assert body(sent)["min_tokens"] == 10


def test_guide_embeddings_proxy_openai_sdk_custom_model(env: Guide) -> None:
    with serve("embeddings-custom-model.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=url)
        response = client.embeddings.create(
            model="snowflake-arctic-embed-m-long-1731622468876",
            input=["good morning from litellm", "this is another item"],
        )
    assert [d.index for d in response.data] == [0, 1] and all(d.embedding for d in response.data)
    sent = env.only_request()
    assert path_tail(sent) == "endpoints/1731622468876:predict"
    assert body(sent)["instances"] == [{"inputs": "good morning from litellm"}, {"inputs": "this is another item"}]


def test_guide_embeddings_proxy_custom_model_with_mode_workaround(env: Guide, tmp_path) -> None:
    config = (CONFIGS / "embeddings-custom-model.yaml").read_text()
    patched = tmp_path / "embeddings-custom-model.yaml"
    patched.write_text(config.replace("litellm_settings:", "    model_info: {mode: embedding}\n\nlitellm_settings:"))
    with serve(patched) as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=url)
        response = client.embeddings.create(
            model="snowflake-arctic-embed-m-long-1731622468876",
            input=["good morning from litellm", "this is another item"],
        )
    assert [d.index for d in response.data] == [0, 1]
    assert path_tail(env.only_request()) == "endpoints/1731622468876:predict"


def test_guide_embeddings_proxy_openai_params(env: Guide) -> None:
    with serve("text-embedding-004.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=url)
        response = client.embeddings.create(
            model="text-embedding-004",
            input=["good morning from litellm", "gm"],
            dimensions=1,
            extra_body={"input_type": "RETRIEVAL_QUERY"},
        )
    assert [len(d.embedding) for d in response.data] == [1, 1]
    sent = body(env.only_request())
    assert [i["task_type"] for i in sent["instances"]] == ["RETRIEVAL_QUERY"] * 2
    assert sent["parameters"]["outputDimensionality"] == 1


def test_guide_embeddings_proxy_vertex_params(env: Guide) -> None:
    with serve("text-embedding-004.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=url)
        response = client.embeddings.create(
            model="text-embedding-004",
            input=["good morning from litellm", "gm"],
            dimensions=1,
            extra_body={"task_type": "RETRIEVAL_QUERY", "auto_truncate": True, "title": "test"},
        )
    assert [len(d.embedding) for d in response.data] == [1, 1]
    sent = body(env.only_request())
    assert sent["instances"][1] == {"content": "gm", "task_type": "RETRIEVAL_QUERY", "title": "test"}
    assert sent["parameters"] == {"outputDimensionality": 1, "autoTruncate": True}


@pytest.mark.parametrize(
    ("value", "instances"),
    [
        (LANDMARK, [{"image": {"gcsUri": LANDMARK}}]),
        ("data:image/jpeg;base64," + JPEG_B64, [{"image": {"bytesBase64Encoded": JPEG_B64, "mimeType": "image/jpeg"}}]),
        (["hey", LANDMARK], [{"text": "hey"}, {"image": {"gcsUri": LANDMARK}}]),
        (["hey", VIDEO], [{"text": "hey"}, {"video": {"gcsUri": VIDEO}}]),
        ([LANDMARK, VIDEO], [{"image": {"gcsUri": LANDMARK}}, {"video": {"gcsUri": VIDEO}}]),
    ],
    ids=["gcs_image", "base64_image", "text_and_image", "text_and_video", "image_and_video"],
)
def test_guide_multimodal_embeddings_proxy_openai_sdk(env: Guide, value: object, instances: list) -> None:
    with serve("multimodalembedding.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=url)
        response = client.embeddings.create(model="multimodalembedding@001", input=value)  # type: ignore[arg-type]
    assert len(response.data) == len(instances) and all(d.embedding for d in response.data)
    sent = [body(r)["instances"][0] for r in env.requests()]
    assert sent == instances


SSML = """
<speak>
    <p>Hello, world!</p>
    <p>This is a test of the <break strength="medium" /> text-to-speech API.</p>
</speak>
"""


def test_guide_tts_proxy_openai_sdk(env: Guide, tmp_path) -> None:
    with serve("vertex-tts.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=url)
        response = client.audio.speech.create(
            model="vertex-tts",
            input="the quick brown fox jumped over the lazy dogs",
            voice={"languageCode": "en-US", "name": "en-US-Studio-O"},  # type: ignore[arg-type]
        )
    assert response.content
    sent = env.only_request()
    assert sent.path == "/v1/text:synthesize"
    assert body(sent)["input"] == {"text": "the quick brown fox jumped over the lazy dogs"}
    assert body(sent)["voice"] == {"languageCode": "en-US", "name": "en-US-Studio-O"}


def test_guide_tts_proxy_ssml(env: Guide) -> None:
    with serve("vertex-tts.yaml") as url:
        client = openai.OpenAI(api_key="sk-1234", base_url=url)
        detected = client.audio.speech.create(
            model="vertex-tts",
            input=SSML,
            voice={"languageCode": "en-US", "name": "en-US-Studio-O"},  # type: ignore[arg-type]
        )
        forced = client.audio.speech.create(
            model="vertex-tts",
            input=SSML,
            voice={"languageCode": "en-US", "name": "en-US-Studio-O"},  # type: ignore[arg-type]
            extra_body={"use_ssml": True},
        )
    assert detected.content and forced.content
    assert [body(r)["input"] for r in env.requests()] == [{"ssml": SSML}, {"ssml": SSML}]


def _vertex_sdk_request(url: str) -> httpx.Response:
    # The Vertex AI SDK (google-cloud-aiplatform, not installed here) with api_endpoint=<proxy>/vertex-ai,
    # api_transport="rest" and the proxy key as its bearer token sends exactly this request for
    # MultiModalEmbeddingModel.get_embeddings(image=gs://..., contextual_text="Colosseum", dimension=1408).
    return httpx.post(
        f"{url}/vertex-ai/v1/projects/adroit-crow-413218/locations/us-central1/publishers/google/models/"
        "multimodalembedding:predict",
        headers=AUTH,
        json={"instances": [{"image": {"gcsUri": LANDMARK}, "text": "Colosseum"}], "parameters": {"dimension": 1408}},
    )


def _assert_passthrough(env: Guide, reply: httpx.Response) -> None:
    assert reply.status_code == 200, reply.text
    prediction = reply.json()["predictions"][0]
    assert len(prediction["imageEmbedding"]) == 1408
    assert len(prediction["textEmbedding"]) == 1408
    sent = env.only_request()
    assert sent.path == (
        "/v1/projects/adroit-crow-413218/locations/us-central1/publishers/google/models/multimodalembedding:predict"
    )
    assert "sk-1234" not in str(sent.headers)


def test_guide_multimodal_embeddings_vertex_sdk_passthrough(env: Guide) -> None:
    with serve("default-vertex-config.yaml") as url:
        _assert_passthrough(env, _vertex_sdk_request(url))


def test_guide_multimodal_embeddings_vertex_sdk_passthrough_with_a_model_list(env: Guide, tmp_path) -> None:
    config = tmp_path / "config.yaml"
    models = (CONFIGS / "multimodalembedding.yaml").read_text().split("litellm_settings:")[0]
    config.write_text(models + (CONFIGS / "default-vertex-config.yaml").read_text())
    with serve(config) as url:
        _assert_passthrough(env, _vertex_sdk_request(url))
