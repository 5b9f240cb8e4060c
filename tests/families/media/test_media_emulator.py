"""The user guide's embedding, image and speech examples, translated by the media families and answered by the
local Vertex emulator (in-process): request built → sent → answer parsed into the OpenAI shape."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from router.errors import ContentPolicyError
from router.families import get_family
from router.families.base import CallKind, CallRequest, Target, UpstreamResponse
from router.types import EmbeddingResponse, ImageResponse, SpeechResponse
from tests.emulator_helpers import PROJECT, InProcessEmulator

KINDS: dict[str, CallKind] = {"embeddings": "embedding", "imagen": "image", "tts": "speech"}


async def call(emulator: InProcessEmulator, family_name: str, model: str, params: dict[str, Any], **target: Any) -> Any:
    """What the router does for one attempt: split, send each part, classify or parse, merge."""
    family = get_family(family_name)
    tgt = Target(
        family=family_name,
        model=model,
        project=PROJECT,
        location="us-central1",
        deployment_id="d1",
        api_base="http://emulator",
        **target,
    )
    request = CallRequest(KINDS[family_name], params)
    parts = family.split(request, tgt) or [request]
    results = []
    for part in parts:
        prepared = family.build_request(part, tgt)
        reply = await emulator.client.request(
            prepared.method, prepared.url, content=prepared.body, headers=prepared.headers
        )
        response = UpstreamResponse(reply.status_code, dict(reply.headers), reply.content)
        if response.status >= 400:
            raise family.classify_error(response, tgt)
        results.append(family.parse_response(response, part, tgt))
    return results[0] if len(parts) == 1 else family.merge(results, request, tgt)


async def test_guide_textembedding_gecko(emulator: InProcessEmulator) -> None:
    out = await call(emulator, "embeddings", "textembedding-gecko", {"input": ["good morning from litellm"]})
    assert isinstance(out, EmbeddingResponse)
    assert len(out.data) == 1
    assert len(out.data[0].embedding) == 768
    assert out.usage.prompt_tokens > 0


@pytest.mark.parametrize(
    "params",
    [
        {"input": ["good morning from litellm", "gm"], "input_type": "RETRIEVAL_DOCUMENT", "dimensions": 1},
        {"input": ["good morning from litellm", "gm"], "task_type": "RETRIEVAL_DOCUMENT", "title": "test",
         "dimensions": 1, "auto_truncate": True},
        {"input": ["good morning from litellm", "gm"], "dimensions": 1, "task_type": "RETRIEVAL_QUERY",
         "auto_truncate": True, "title": "test"},
    ],
)  # fmt: skip
async def test_guide_text_embedding_004_with_params(emulator: InProcessEmulator, params: dict[str, Any]) -> None:
    out = await call(emulator, "embeddings", "text-embedding-004", params)
    assert [len(d.embedding) for d in out.data] == [1, 1]


async def test_1000_inputs_through_the_emulator_come_back_in_order(emulator: InProcessEmulator) -> None:
    texts = [f"item number {i}" for i in range(1000)]
    out = await call(emulator, "embeddings", "text-embedding-005", {"input": texts, "dimensions": 8})
    assert len(out.data) == 1000
    # The emulator's vectors are a function of the text: each one matches a single-input call for that text.
    for i in (0, 249, 250, 999):
        single = await call(emulator, "embeddings", "text-embedding-005", {"input": texts[i], "dimensions": 8})
        assert out.data[i].embedding == single.data[0].embedding


async def test_custom_embedding_endpoint(emulator: InProcessEmulator) -> None:
    out = await call(
        emulator,
        "embeddings",
        "1731622468876",
        {"input": ["good morning from litellm", "this is another item"]},
        endpoint_id="1731622468876",
    )
    assert len(out.data) == 2


@pytest.mark.parametrize(
    ("inputs", "modalities"),
    [
        ("gs://cloud-samples-data/vertex-ai/llm/prompts/landmark1.png", ["image"]),
        ("data:image/jpeg;base64,/9j/4AAQSkZJRg==", ["image"]),
        (["hey", "gs://cloud-samples-data/vertex-ai/llm/prompts/landmark1.png"], ["text", "image"]),
        (["hey", "gs://my-bucket/embeddings/supermarket-video.mp4"], ["text", "video"]),
        (
            ["gs://cloud-samples-data/vertex-ai/llm/prompts/landmark1.png", "gs://my-bucket/embeddings/supermarket-video.mp4"],
            ["image", "video"],
        ),
        ([{"text": "Colosseum", "image": "gs://cloud-samples-data/vertex-ai/llm/prompts/landmark1.png"}],
         ["text", "image"]),
    ],
)  # fmt: skip
async def test_guide_multimodal_embeddings(emulator: InProcessEmulator, inputs: Any, modalities: list[str]) -> None:
    out = await call(emulator, "embeddings", "multimodalembedding@001", {"input": inputs})
    assert [d.modality for d in out.data] == modalities
    assert all(len(d.embedding) == 1408 for d in out.data)


async def test_gemini_embedding_2_returns_one_vector_per_input(emulator: InProcessEmulator) -> None:
    out = await call(emulator, "embeddings", "gemini-embedding-2", {"input": ["hello", "world"], "dimensions": 16})
    assert len(out.data) == 2
    assert out.data[0].embedding != out.data[1].embedding


@pytest.mark.parametrize("model", ["imagegeneration@006", "imagen-3.0-generate-001", "imagen-3.0-fast-generate-001"])
async def test_guide_image_generation(emulator: InProcessEmulator, model: str) -> None:
    out = await call(emulator, "imagen", model, {"prompt": "An olympic size swimming pool", "n": 2})
    assert isinstance(out, ImageResponse)
    assert len(out.data) == 2
    assert all(d.b64_json for d in out.data)


async def test_blocked_image_prompt_is_a_content_policy_error_with_the_reason(emulator: InProcessEmulator) -> None:
    with pytest.raises(ContentPolicyError, match="58061214"):
        await call(emulator, "imagen", "imagen-3.0-generate-002", {"prompt": "this is blocked"})


async def test_guide_speech_basic(emulator: InProcessEmulator) -> None:
    out = await call(emulator, "tts", "chirp", {"input": "hello what llm guardrail do you have"})
    assert isinstance(out, SpeechResponse)
    assert out.content_type == "audio/mpeg"
    assert out.content.startswith(b"ID3")


async def test_guide_speech_ssml_with_voice_dict(emulator: InProcessEmulator, tmp_path: Any) -> None:
    ssml = "<speak><p>Hello, world!</p><p>This is a test of the <break strength='medium' /> API.</p></speak>"
    out = await call(
        emulator, "tts", "chirp", {"input": ssml, "voice": {"languageCode": "en-US", "name": "en-US-Studio-O"}}
    )
    out.stream_to_file(tmp_path / "speech.mp3")
    assert (tmp_path / "speech.mp3").read_bytes() == out.content == b"".join(out.iter_bytes(7))


async def test_guide_speech_audio_config_slips_are_repaired_with_a_warning(emulator: InProcessEmulator) -> None:
    """The guide's audioConfig (audioEncoding LINEAR22, speakingRate "10") works: each slip is repaired to what
    Google accepts (LINEAR16, 4.0) and logged, instead of a 400 from upstream."""
    params = {
        "input": "<speak>hi</speak>",
        "use_ssml": True,
        "voice": {"languageCode": "en-UK", "name": "en-UK-Studio-O"},
        "audioConfig": {"audioEncoding": "LINEAR22", "speakingRate": "10"},
    }
    with capture_logs() as logs:
        out = await call(emulator, "tts", "chirp", params)
    assert out.content
    sent = emulator.app.requests[-1].body["audioConfig"]
    assert sent == {"audioEncoding": "LINEAR16", "speakingRate": 4.0}
    assert {e["key"] for e in logs if e["event"] == "audio_config_repaired"} == {"audioEncoding", "speakingRate"}
