"""Tables: OpenAI voices → Google voices, OpenAI sizes → Imagen aspect ratios."""

from __future__ import annotations

import pytest

from router.errors import InvalidRequestError
from router.families.imagen import nearest_aspect_ratio
from router.families.tts_voices import OPENAI_TO_GEMINI, OPENAI_TO_GOOGLE, voice_params

OPENAI_VOICES = {
    "alloy", "ash", "ballad", "cedar", "coral", "echo", "fable", "marin", "nova", "onyx", "sage", "shimmer", "verse",
}  # fmt: skip


def test_every_openai_voice_has_a_google_and_a_gemini_voice() -> None:
    assert set(OPENAI_TO_GOOGLE) == OPENAI_VOICES
    assert set(OPENAI_TO_GEMINI) == OPENAI_VOICES


@pytest.mark.parametrize("voice", sorted(OPENAI_VOICES))
def test_openai_voice_maps_to_a_google_voice_with_its_language(voice: str) -> None:
    params = voice_params(voice, language_code=None, gemini_model=None)
    assert params["name"] == OPENAI_TO_GOOGLE[voice]
    assert params["name"].startswith(params["languageCode"] + "-")


def test_distinct_openai_voices_sound_distinct() -> None:
    assert len(set(OPENAI_TO_GOOGLE.values())) == len(OPENAI_TO_GOOGLE)
    assert len(set(OPENAI_TO_GEMINI.values())) == len(OPENAI_TO_GEMINI)


def test_dict_voice_in_snake_case_is_sent_in_camel_case() -> None:
    params = voice_params({"language_code": "fr-FR", "ssml_gender": "FEMALE"}, language_code=None, gemini_model=None)
    assert params == {"languageCode": "fr-FR", "ssmlGender": "FEMALE"}


def test_voice_of_wrong_type_is_refused() -> None:
    with pytest.raises(InvalidRequestError):
        voice_params(3, language_code=None, gemini_model=None)


@pytest.mark.parametrize(
    ("size", "ratio", "exact"),
    [
        ("1024x1024", "1:1", True),
        ("256x256", "1:1", True),
        ("1792x1024", "16:9", False),
        ("1024x1792", "9:16", False),
        ("1536x1024", "4:3", False),
        ("1024x1536", "3:4", False),
        ("1920x1080", "16:9", True),
        ("896x1280", "3:4", False),
        ("1408x768", "16:9", False),
        ("3000x1000", "16:9", False),
    ],
)
def test_size_becomes_the_nearest_imagen_aspect_ratio(size: str, ratio: str, exact: bool) -> None:
    assert nearest_aspect_ratio(size) == (ratio, exact)


@pytest.mark.parametrize("size", ["big", "0x100", "100x0", "1024", "x768"])
def test_unreadable_size_is_refused(size: str) -> None:
    with pytest.raises(InvalidRequestError):
        nearest_aspect_ratio(size)
