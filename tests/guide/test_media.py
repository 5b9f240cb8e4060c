"""Guide sections "Bildgenerierungsmodelle" and "Text-to-Speech-APIs" — the SDK examples against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

import router

from .conftest import Guide, body, path_tail

SSML = """
<speak>
    <p>Hello, world!</p>
    <p>This is a test of the <break strength="medium" /> text-to-speech API.</p>
</speak>
"""


@pytest.fixture
def adc(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> Guide:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    return guide


@pytest.mark.parametrize("n", [None, 1], ids=["default", "n_1"])
async def test_guide_imagen_generation(adc: Guide, n: int | None) -> None:
    extra = {} if n is None else {"n": n}
    response = await router.aimage_generation(
        prompt="An olympic size swimming pool",
        model="vertex_ai/imagegeneration@006",
        vertex_ai_project="adroit-crow-413218",
        vertex_ai_location="us-central1",
        api_base=adc.url,
        **extra,
    )
    assert len(response.data) == 1
    assert response.data[0].b64_json
    sent = adc.only_request()
    assert sent.path == (
        "/v1/projects/adroit-crow-413218/locations/us-central1/publishers/google/models/imagegeneration@006:predict"
    )
    assert body(sent)["instances"] == [{"prompt": "An olympic size swimming pool"}]
    assert body(sent)["parameters"]["sampleCount"] == 1


@pytest.mark.parametrize(
    "model",
    ["imagen-3.0-generate-001", "imagen-3.0-fast-generate-001", "imagegeneration@006", "imagegeneration@005",
     "imagegeneration@002"],
)  # fmt: skip
def test_guide_imagen_model_table(adc: Guide, monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "adroit-crow-413218")
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")
    prompt = "An olympic size swimming pool"
    response = router.image_generation(model=f"vertex_ai/{model}", prompt=prompt, api_base=adc.url)
    assert response.data[0].b64_json
    assert path_tail(adc.only_request()) == f"publishers/google/models/{model}:predict"


def test_guide_tts_sync(adc: Guide, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "adroit-crow-413218")
    speech_file_path = tmp_path / "speech_vertex.mp3"
    response = router.speech(model="vertex_ai/", input="hello what llm guardrail do you have", api_base=adc.url)
    response.stream_to_file(speech_file_path)
    assert speech_file_path.stat().st_size > 0
    sent = adc.only_request()
    assert sent.path == "/v1/text:synthesize"
    assert body(sent)["input"] == {"text": "hello what llm guardrail do you have"}
    assert body(sent)["audioConfig"]["audioEncoding"] == "MP3"


async def test_guide_tts_async(adc: Guide, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "adroit-crow-413218")
    speech_file_path = tmp_path / "speech_vertex.mp3"
    # The guide forgets the ``await``; aspeech is a coroutine function in both libraries.
    response = await router.aspeech(model="vertex_ai/", input="hello what llm guardrail do you have", api_base=adc.url)
    response.stream_to_file(speech_file_path)
    assert speech_file_path.read_bytes() == response.read()
    assert body(adc.only_request())["input"] == {"text": "hello what llm guardrail do you have"}


def test_guide_tts_ssml_detected(adc: Guide, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "adroit-crow-413218")
    speech_file_path = tmp_path / "speech_vertex.mp3"
    response = router.speech(
        input=SSML,
        model="vertex_ai/test",
        voice={"languageCode": "en-UK", "name": "en-UK-Studio-O"},
        audioConfig={"audioEncoding": "LINEAR22", "speakingRate": "10"},
        api_base=adc.url,
    )
    response.stream_to_file(speech_file_path)
    assert speech_file_path.stat().st_size > 0
    sent = body(adc.only_request())
    assert sent["input"] == {"ssml": SSML}
    assert sent["voice"] == {"languageCode": "en-UK", "name": "en-UK-Studio-O"}
    # The guide's slips (LINEAR22, a string rate) are repaired with a warning rather than sent to fail upstream.
    assert sent["audioConfig"]["audioEncoding"] == "LINEAR16"
    assert sent["audioConfig"]["speakingRate"] == 4.0  # "10" as a number, capped at Google's maximum


def test_guide_tts_use_ssml_forced(adc: Guide, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VERTEXAI_PROJECT", "adroit-crow-413218")
    plain = "Hello, world! No speak tags here."
    response = router.speech(
        input=plain,
        use_ssml=True,
        model="vertex_ai/test",
        voice={"languageCode": "en-UK", "name": "en-UK-Studio-O"},
        audioConfig={"audioEncoding": "LINEAR22", "speakingRate": "10"},
        api_base=adc.url,
    )
    response.stream_to_file(tmp_path / "speech_vertex.mp3")
    # Google reads SSML only inside <speak>; forcing SSML on plain text wraps it.
    assert body(adc.only_request())["input"] == {"ssml": f"<speak>{plain}</speak>"}
