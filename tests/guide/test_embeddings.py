"""Guide sections "Embedding-Modelle" and "Multi-modale Embeddings" — the SDK examples against the emulator.

``litellm.vertex_project = ...`` / ``litellm.vertex_location = ...`` are module globals in LiteLLM; our module
has no state, so the guide's other spelling, the environment, carries them.
"""

from __future__ import annotations

import base64

import pytest

import router
from router import embedding

from .conftest import Guide, body, path_tail

LANDMARK = "gs://cloud-samples-data/vertex-ai/llm/prompts/landmark1.png"
VIDEO = "gs://my-bucket/embeddings/supermarket-video.mp4"
JPEG_B64 = base64.b64encode(bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")).decode()


@pytest.fixture
def env(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> Guide:
    monkeypatch.setenv("VERTEXAI_PROJECT", "hardy-device-38811")  # litellm.vertex_project = "hardy-device-38811"
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")  # litellm.vertex_location = "us-central1"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    return guide


def test_guide_embeddings_basic(env: Guide) -> None:
    response = embedding(model="vertex_ai/textembedding-gecko", input=["good morning from litellm"], api_base=env.url)
    assert response.object == "list"
    assert len(response.data) == 1 and response.data[0].embedding
    assert response.usage.prompt_tokens > 0
    sent = env.only_request()
    assert sent.path == (
        "/v1/projects/hardy-device-38811/locations/us-central1/publishers/google/models/textembedding-gecko:predict"
    )
    assert body(sent)["instances"] == [{"content": "good morning from litellm"}]


@pytest.mark.parametrize(
    "model",
    ["text-embedding-004", "text-multilingual-embedding-002", "textembedding-gecko",
     "textembedding-gecko-multilingual", "textembedding-gecko-multilingual@001", "textembedding-gecko@001",
     "textembedding-gecko@003", "text-embedding-preview-0409", "text-multilingual-embedding-preview-0409"],
)  # fmt: skip
def test_guide_embeddings_model_table(env: Guide, model: str) -> None:
    response = embedding(model=f"vertex_ai/{model}", input="good morning from litellm", api_base=env.url)
    assert response.data[0].embedding
    assert path_tail(env.only_request()) == f"publishers/google/models/{model}:predict"


def test_guide_embeddings_custom_model_endpoint(env: Guide) -> None:
    # "Feinabgestimmte ODER benutzerdefinierte Embedding-Modelle": vertex_ai/<your-model-id>, a deployed endpoint.
    response = embedding(model="vertex_ai/1731622468876", input=["good morning from litellm"], api_base=env.url)
    assert response.data[0].embedding
    sent = env.only_request()
    assert path_tail(sent) == "endpoints/1731622468876:predict"
    # A custom container reads the text under "inputs" (embedding_instance_key switches it to "content").
    assert body(sent)["instances"] == [{"inputs": "good morning from litellm"}]


def test_guide_embeddings_openai_params(env: Guide) -> None:
    response = router.embedding(
        model="vertex_ai/text-embedding-004",
        input=["good morning from litellm", "gm"],
        input_type="RETRIEVAL_DOCUMENT",
        dimensions=1,
        api_base=env.url,
    )
    assert [len(d.embedding) for d in response.data] == [1, 1]
    assert [d.index for d in response.data] == [0, 1]
    sent = body(env.only_request())
    assert [i["task_type"] for i in sent["instances"]] == ["RETRIEVAL_DOCUMENT", "RETRIEVAL_DOCUMENT"]
    assert sent["parameters"]["outputDimensionality"] == 1


def test_guide_embeddings_vertex_params(env: Guide) -> None:
    response = router.embedding(
        model="vertex_ai/text-embedding-004",
        input=["good morning from litellm", "gm"],
        task_type="RETRIEVAL_DOCUMENT",
        title="test",
        dimensions=1,
        auto_truncate=True,
        api_base=env.url,
    )
    assert [len(d.embedding) for d in response.data] == [1, 1]
    sent = body(env.only_request())
    assert sent["instances"] == [
        {"content": "good morning from litellm", "task_type": "RETRIEVAL_DOCUMENT", "title": "test"},
        {"content": "gm", "task_type": "RETRIEVAL_DOCUMENT", "title": "test"},
    ]
    assert sent["parameters"] == {"outputDimensionality": 1, "autoTruncate": True}


async def test_guide_multimodal_embeddings_gcs_image(env: Guide) -> None:
    response = await router.aembedding(
        model="vertex_ai/multimodalembedding@001",
        input="gs://cloud-samples-data/vertex-ai/llm/prompts/landmark1.png",  # will be sent as a gcs image
        api_base=env.url,
    )
    assert len(response.data) == 1 and response.data[0].embedding
    sent = env.only_request()
    assert path_tail(sent) == "publishers/google/models/multimodalembedding@001:predict"
    assert body(sent)["instances"] == [{"image": {"gcsUri": LANDMARK}}]


async def test_guide_multimodal_embeddings_base64_image(env: Guide) -> None:
    response = await router.aembedding(
        model="vertex_ai/multimodalembedding@001",
        input="data:image/jpeg;base64," + JPEG_B64,  # will be sent as a base64 encoded image
        api_base=env.url,
    )
    assert response.data[0].embedding
    assert body(env.only_request())["instances"] == [
        {"image": {"bytesBase64Encoded": JPEG_B64, "mimeType": "image/jpeg"}}
    ]


def _instances(guide: Guide) -> list[dict]:
    """multimodalembedding@001 takes one instance per request, so a list input is one request per item."""
    sent = guide.requests()
    assert all(path_tail(r) == "publishers/google/models/multimodalembedding@001:predict" for r in sent)
    assert all(len(body(r)["instances"]) == 1 for r in sent)
    return [body(r)["instances"][0] for r in sent]


async def test_guide_multimodal_embeddings_text_and_image(env: Guide) -> None:
    response = await router.aembedding(
        model="vertex_ai/multimodalembedding@001",
        input=["hey", "gs://cloud-samples-data/vertex-ai/llm/prompts/landmark1.png"],
        api_base=env.url,
    )
    assert [d.index for d in response.data] == [0, 1] and all(d.embedding for d in response.data)
    assert _instances(env) == [{"text": "hey"}, {"image": {"gcsUri": LANDMARK}}]


async def test_guide_multimodal_embeddings_text_and_video(env: Guide) -> None:
    response = await router.aembedding(
        model="vertex_ai/multimodalembedding@001",
        input=["hey", "gs://my-bucket/embeddings/supermarket-video.mp4"],
        api_base=env.url,
    )
    assert [d.index for d in response.data] == [0, 1] and all(d.embedding for d in response.data)
    assert _instances(env) == [{"text": "hey"}, {"video": {"gcsUri": VIDEO}}]


async def test_guide_multimodal_embeddings_image_and_video(env: Guide) -> None:
    response = await router.aembedding(
        model="vertex_ai/multimodalembedding@001",
        input=[
            "gs://cloud-samples-data/vertex-ai/llm/prompts/landmark1.png",
            "gs://my-bucket/embeddings/supermarket-video.mp4",
        ],
        api_base=env.url,
    )
    assert [d.index for d in response.data] == [0, 1] and all(d.embedding for d in response.data)
    assert _instances(env) == [{"image": {"gcsUri": LANDMARK}}, {"video": {"gcsUri": VIDEO}}]
