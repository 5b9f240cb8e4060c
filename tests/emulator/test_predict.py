""":predict routes (embeddings, multimodal, Imagen, Model Garden, PaLM), embedContent, and Cloud TTS."""

from __future__ import annotations

import base64
import math

import httpx

from router.emulator.app import create_app
from router.emulator.call import EmulatorSettings
from tests.emulator_helpers import InProcessEmulator, endpoint_path, model_path


async def embed(
    emulator: InProcessEmulator, instances: list[dict[str, object]], **parameters: object
) -> httpx.Response:
    body = {"instances": instances, "parameters": parameters}
    return await emulator.client.post(model_path("text-embedding-005", "predict"), json=body)


async def test_text_embeddings_have_requested_dimensions_and_statistics(emulator: InProcessEmulator) -> None:
    response = await embed(
        emulator,
        [{"content": "hello world", "task_type": "RETRIEVAL_DOCUMENT", "title": "T"}, {"content": "other"}],
        outputDimensionality=256,
    )
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == 2
    values = predictions[0]["embeddings"]["values"]
    assert len(values) == 256
    assert math.isclose(sum(v * v for v in values), 1.0, rel_tol=1e-3)
    assert predictions[0]["embeddings"]["statistics"] == {"token_count": 2, "truncated": False}
    assert predictions[0]["embeddings"]["values"] != predictions[1]["embeddings"]["values"]
    assert response.json()["metadata"]["billableCharacterCount"] == len("hello world") + len("other")


async def test_same_text_gives_the_same_vector_in_every_region(emulator: InProcessEmulator) -> None:
    body = {"instances": [{"content": "stable"}]}
    a = await emulator.client.post(model_path("text-embedding-005", "predict", location="us-central1"), json=body)
    b = await emulator.client.post(model_path("text-embedding-005", "predict", location="europe-west1"), json=body)
    assert a.json()["predictions"] == b.json()["predictions"]


async def test_invalid_task_type_is_rejected(emulator: InProcessEmulator) -> None:
    response = await embed(emulator, [{"content": "x", "task_type": "SUMMARIZE"}])
    assert response.status_code == 400


async def test_too_long_input_without_auto_truncate_is_rejected() -> None:
    app = create_app(require_auth=False, settings=EmulatorSettings(embedding_max_tokens=3))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        path = model_path("text-embedding-005", "predict")
        truncated = await client.post(path, json={"instances": [{"content": "a b c d e"}]})
        rejected = await client.post(
            path, json={"instances": [{"content": "a b c d e"}], "parameters": {"autoTruncate": False}}
        )
    assert truncated.json()["predictions"][0]["embeddings"]["statistics"] == {"token_count": 3, "truncated": True}
    assert rejected.status_code == 400
    assert "input token count is 5" in rejected.json()["error"]["message"]


async def test_multimodal_embeddings_per_modality(emulator: InProcessEmulator) -> None:
    body = {
        "instances": [{"text": "a cat", "image": {"gcsUri": "gs://b/cat.png"}}, {"video": {"gcsUri": "gs://b/v.mp4"}}],
        "parameters": {"dimension": 128},
    }
    predictions = (await emulator.client.post(model_path("multimodalembedding@001", "predict"), json=body)).json()[
        "predictions"
    ]
    assert len(predictions[0]["textEmbedding"]) == 128
    assert len(predictions[0]["imageEmbedding"]) == 128
    assert len(predictions[1]["videoEmbeddings"][0]["embedding"]) == 128


async def test_multimodal_rejects_an_unsupported_dimension(emulator: InProcessEmulator) -> None:
    body = {"instances": [{"text": "x"}], "parameters": {"dimension": 100}}
    assert (await emulator.client.post(model_path("multimodalembedding@001", "predict"), json=body)).status_code == 400


async def test_embed_content_for_gemini_embedding(emulator: InProcessEmulator) -> None:
    body = {"content": {"parts": [{"text": "hello"}, {"text": "world"}]}, "outputDimensionality": 768}
    data = (await emulator.client.post(model_path("gemini-embedding-2", "embedContent"), json=body)).json()
    assert len(data["embedding"]["values"]) == 768
    assert data["usageMetadata"]["promptTokenCount"] == 2


async def test_imagen_returns_decodable_pngs(emulator: InProcessEmulator) -> None:
    body = {"instances": [{"prompt": "a cat"}], "parameters": {"sampleCount": 2, "aspectRatio": "16:9"}}
    predictions = (await emulator.client.post(model_path("imagen-4.0-generate-001", "predict"), json=body)).json()[
        "predictions"
    ]
    assert len(predictions) == 2
    for prediction in predictions:
        assert prediction["mimeType"] == "image/png"
        assert base64.b64decode(prediction["bytesBase64Encoded"]).startswith(b"\x89PNG\r\n\x1a\n")


async def test_imagen_blocked_prompt_with_and_without_rai_reason(emulator: InProcessEmulator) -> None:
    path = model_path("imagegeneration@006", "predict")
    silent = await emulator.client.post(path, json={"instances": [{"prompt": "something blocked"}]})
    assert silent.json() == {}
    with_reason = await emulator.client.post(
        path, json={"instances": [{"prompt": "something blocked"}], "parameters": {"includeRaiReason": True}}
    )
    assert "raiFilteredReason" in with_reason.json()["predictions"][0]


async def test_imagen_rejects_too_many_samples(emulator: InProcessEmulator) -> None:
    body = {"instances": [{"prompt": "x"}], "parameters": {"sampleCount": 9}}
    assert (await emulator.client.post(model_path("imagen-4.0-generate-001", "predict"), json=body)).status_code == 400


async def test_palm_models_are_retired_404(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(
        model_path("chat-bison", "predict"), json={"instances": [{"messages": [{"content": "hi"}]}]}
    )
    assert response.status_code == 404
    assert "was not found" in response.json()["error"]["message"]


async def test_palm_models_are_served_when_enabled() -> None:
    app = create_app(require_auth=False, settings=EmulatorSettings(serve_palm=True))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        chat = await client.post(
            model_path("chat-bison@002", "predict"),
            json={"instances": [{"messages": [{"author": "user", "content": "hi"}]}]},
        )
        text = await client.post(model_path("text-bison", "predict"), json={"instances": [{"prompt": "hello"}]})
    assert chat.json()["predictions"][0]["candidates"][0]["content"] == "Echo: hi"
    assert text.json()["predictions"][0]["content"] == "Echo: hello"


async def test_model_garden_endpoint_predict_kinds(emulator: InProcessEmulator) -> None:
    path = endpoint_path("5555", ":predict")
    prompt = (await emulator.client.post(path, json={"instances": [{"prompt": "hi", "max_tokens": 5}]})).json()
    assert prompt["predictions"] == ["Prompt:\nhi\nOutput:\nEcho: hi"]
    assert prompt["deployedModelId"] == "5555"
    vectors = (await emulator.client.post(path, json={"instances": [{"inputs": "text"}]})).json()
    assert len(vectors["predictions"][0][0]) == 768
    chat = {"@requestFormat": "chatCompletions", "messages": [{"role": "user", "content": "yo"}], "max_tokens": 10}
    gemma = (await emulator.client.post(path, json={"instances": [chat]})).json()
    assert gemma["predictions"][0]["choices"][0]["message"]["content"] == "Echo: yo"


async def test_text_to_speech_returns_base64_audio(emulator: InProcessEmulator) -> None:
    body = {
        "input": {"text": "Hello world"},
        "voice": {"languageCode": "en-US", "name": "en-US-Studio-O"},
        "audioConfig": {"audioEncoding": "LINEAR16", "speakingRate": "1.5"},
    }
    response = await emulator.client.post("/v1/text:synthesize", json=body)
    audio = base64.b64decode(response.json()["audioContent"])
    assert audio[:4] == b"RIFF"
    assert audio[8:12] == b"WAVE"
    mp3 = await emulator.client.post("/v1/text:synthesize", json={**body, "audioConfig": {"audioEncoding": "MP3"}})
    assert base64.b64decode(mp3.json()["audioContent"]).startswith(b"ID3")


async def test_text_to_speech_rejects_missing_input_and_bad_encoding(emulator: InProcessEmulator) -> None:
    voice = {"languageCode": "en-US"}
    assert (await emulator.client.post("/v1/text:synthesize", json={"voice": voice})).status_code == 400
    bad = {"input": {"text": "x"}, "voice": voice, "audioConfig": {"audioEncoding": "WAV"}}
    assert (await emulator.client.post("/v1/text:synthesize", json=bad)).status_code == 400
