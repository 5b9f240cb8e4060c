"""Voice selection for Cloud Text-to-Speech: OpenAI voice names → Google voices, Google voice names, dicts.

OpenAI voice → Google voice (classic Cloud TTS). alloy, fable, onyx and shimmer keep the voices LiteLLM picks, so a
migrating user hears the same voice; the others map to GA Neural2 voices of the same gender:

    alloy   en-US-Studio-O    female     |  nova    en-US-Neural2-F   female
    ash     en-US-Neural2-D   male       |  onyx    en-US-Wavenet-D   male
    ballad  en-GB-Neural2-D   male       |  sage    en-US-Neural2-E   female
    cedar   en-US-Neural2-A   male       |  shimmer en-US-Wavenet-F   female
    coral   en-US-Neural2-C   female     |  verse   en-US-Neural2-I   male
    echo    en-US-Neural2-J   male       |  marin   en-US-Neural2-H   female
    fable   en-GB-Studio-B    male       |
    (no voice: alloy's)

Gemini-TTS models (``gemini-*-tts``) take Gemini's prebuilt voices instead; OpenAI names map to:
alloy Kore, ash Puck, ballad Enceladus, cedar Algieba, coral Zephyr, echo Charon, fable Fenrir, marin Sulafat,
nova Aoede, onyx Orus, sage Autonoe, shimmer Leda, verse Iapetus (no voice: Kore).

Any other string is a Google voice name: ``en-GB-Neural2-A`` → languageCode ``en-GB`` (from the name's prefix;
``language_code`` overrides). A dict is Google's VoiceSelectionParams (camelCase, snake_case accepted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from router.errors import InvalidRequestError

OPENAI_TO_GOOGLE: dict[str, str] = {
    "alloy": "en-US-Studio-O",
    "ash": "en-US-Neural2-D",
    "ballad": "en-GB-Neural2-D",
    "cedar": "en-US-Neural2-A",
    "coral": "en-US-Neural2-C",
    "echo": "en-US-Neural2-J",
    "fable": "en-GB-Studio-B",
    "marin": "en-US-Neural2-H",
    "nova": "en-US-Neural2-F",
    "onyx": "en-US-Wavenet-D",
    "sage": "en-US-Neural2-E",
    "shimmer": "en-US-Wavenet-F",
    "verse": "en-US-Neural2-I",
}
OPENAI_TO_GEMINI: dict[str, str] = {
    "alloy": "Kore",
    "ash": "Puck",
    "ballad": "Enceladus",
    "cedar": "Algieba",
    "coral": "Zephyr",
    "echo": "Charon",
    "fable": "Fenrir",
    "marin": "Sulafat",
    "nova": "Aoede",
    "onyx": "Orus",
    "sage": "Autonoe",
    "shimmer": "Leda",
    "verse": "Iapetus",
}
DEFAULT_LANGUAGE = "en-US"
# BCP-47 language-region prefix of a Google voice name: en-US-..., cmn-CN-..., fil-PH-...
_LANGUAGE_PREFIX = re.compile(r"^([a-z]{2,3}-[A-Za-z]{2,3})-")
_SNAKE = {"language_code": "languageCode", "ssml_gender": "ssmlGender", "model_name": "modelName"}


def voice_params(voice: Any, *, language_code: str | None, gemini_model: str | None) -> dict[str, Any]:
    """VoiceSelectionParams for a request. ``gemini_model`` is set for Gemini-TTS models (it becomes modelName)."""
    if isinstance(voice, Mapping):
        out: dict[str, Any] = {_SNAKE.get(str(k), str(k)): v for k, v in voice.items()}
        if language_code:
            out["languageCode"] = language_code
        out.setdefault("languageCode", _language_of(str(out.get("name", ""))) or DEFAULT_LANGUAGE)
        if gemini_model:
            out.setdefault("modelName", gemini_model)
        return out
    if voice is not None and not isinstance(voice, str):
        raise InvalidRequestError("voice must be a voice name or an object", param="voice")
    if gemini_model:
        name = OPENAI_TO_GEMINI.get(voice or "alloy", voice or "Kore")
        return {"languageCode": language_code or DEFAULT_LANGUAGE, "name": name, "modelName": gemini_model}
    name = OPENAI_TO_GOOGLE.get(voice or "alloy", voice or "")
    return {"languageCode": language_code or _language_of(name) or DEFAULT_LANGUAGE, "name": name}


def _language_of(name: str) -> str | None:
    match = _LANGUAGE_PREFIX.match(name)
    return match[1] if match else None
