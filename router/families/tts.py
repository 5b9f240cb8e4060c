"""Text-to-Speech: OpenAI ``/audio/speech`` → Cloud Text-to-Speech ``POST /v1/text:synthesize``.

Host: ``https://texttospeech.googleapis.com``; deployments in the ``us`` / ``eu`` multi-regions use
``https://{us,eu}-texttospeech.googleapis.com`` (Google's data-residency endpoints). ``api_base`` overrides: its host
(+ ``/v1/text:synthesize``), or used verbatim when it already ends in ``:synthesize``. The project goes in the
``x-goog-user-project`` header (quota/billing project), never in the body.

Body ``{"input", "voice", "audioConfig"}``:
- input: ``{"ssml"}`` when ``use_ssml`` is true or the text contains a ``<speak>`` element (``use_ssml=False``
  forces plain text), else ``{"text"}``; an SSML fragment without ``<speak>`` is wrapped in one. Gemini-TTS models
  add ``instructions`` as ``input.prompt``.
- voice: see ``tts_voices`` (OpenAI name → documented Google voice, Google name, or dict).
- audioConfig: a caller's ``audioConfig`` / ``audio_config`` is sent as given; keys it lacks are filled from
  ``response_format`` and ``speed`` (``speakingRate``, Google's range 0.25 to 2.0) and ``pitch`` /
  ``volume_gain_db`` / ``sample_rate_hertz``.

response_format → audioEncoding (content type of the result):
    mp3 (default, as OpenAI)  MP3       audio/mpeg
    opus                      OGG_OPUS  audio/ogg
    wav                       LINEAR16  audio/wav   (Google wraps LINEAR16 in a WAV header)
    pcm                       PCM       audio/pcm   (headerless 16-bit LE; sampleRateHertz 24000 like OpenAI's pcm)
    aac                       M4A       audio/mp4   (AAC in an MP4 container; Google has no raw ADTS AAC)
    flac                      → 400: Cloud TTS cannot produce FLAC (LiteLLM sends "FLAC", which Google rejects);
                              ask for wav (lossless) instead.
Google's own encoding names (LINEAR16, MULAW, ALAW, OGG_OPUS, M4A, PCM, MP3) are accepted as response_format too.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import structlog

from router.errors import ContextWindowExceededError, InvalidRequestError, UpstreamError
from router.families.base import (
    BaseFamily,
    CallKind,
    CallRequest,
    PreparedRequest,
    StreamParser,
    Target,
    UpstreamResponse,
    classify_by_status,
    error_message,
    json_request,
)
from router.families.embeddings_common import load_json, malformed
from router.families.media_params import as_bool, model_params
from router.families.tts_voices import voice_params
from router.types import SpeechResponse

HOST = "https://texttospeech.googleapis.com"
PATH = "/v1/text:synthesize"
PARAMS = frozenset(
    {
        "input",
        "voice",
        "response_format",
        "speed",
        "use_ssml",
        "audioConfig",
        "audio_config",
        "language_code",
        "instructions",
        "pitch",
        "volume_gain_db",
        "sample_rate_hertz",
    }
)
_FORMATS: dict[str, str] = {
    "mp3": "MP3",
    "opus": "OGG_OPUS",
    "wav": "LINEAR16",
    "pcm": "PCM",
    "aac": "M4A",
}
_GOOGLE_ENCODINGS = frozenset({"MP3", "OGG_OPUS", "LINEAR16", "PCM", "M4A", "MULAW", "ALAW"})
CONTENT_TYPES: dict[str, str] = {
    "MP3": "audio/mpeg",
    "OGG_OPUS": "audio/ogg",
    "LINEAR16": "audio/wav",
    "MULAW": "audio/wav",
    "ALAW": "audio/wav",
    "PCM": "audio/pcm",
    "M4A": "audio/mp4",
}
_OPENAI_PCM_RATE = 24_000
_SSML = re.compile(r"<speak[\s>/]", re.I)
_GEMINI_TTS = re.compile(r"^gemini-.*tts", re.I)
_TOO_LONG = re.compile(r"longer than the limit", re.I)  # the 5,000-byte input limit


def synthesize_url(target: Target) -> str:
    if target.api_base:
        parts = urlsplit(target.api_base.rstrip("/"))
        if parts.path.endswith(":synthesize"):
            return target.api_base
        base = f"{parts.scheme}://{parts.netloc}{parts.path}"
        return f"{base}/text:synthesize" if parts.path.endswith(("/v1", "/v1beta1")) else f"{base}{PATH}"
    if target.location in ("us", "eu"):
        return f"https://{target.location}-texttospeech.googleapis.com{PATH}"
    return f"{HOST}{PATH}"


def audio_config(params: Mapping[str, Any]) -> dict[str, Any]:
    given = params.get("audioConfig", params.get("audio_config"))
    if given is not None and not isinstance(given, Mapping):
        raise InvalidRequestError("audioConfig must be an object", param="audioConfig")
    config: dict[str, Any] = _repair(dict(given or {}))
    if "audioEncoding" not in config:
        config["audioEncoding"] = _encoding(params.get("response_format"))
    if config["audioEncoding"] == "PCM" and params.get("response_format") == "pcm":
        config.setdefault("sampleRateHertz", _OPENAI_PCM_RATE)
    if params.get("speed") is not None and "speakingRate" not in config:
        config["speakingRate"] = _speed(params["speed"])
    for key, name in (("pitch", "pitch"), ("volume_gain_db", "volumeGainDb"), ("sample_rate_hertz", "sampleRateHertz")):
        if params.get(key) is not None:
            config.setdefault(name, params[key])
    return config


log = structlog.get_logger("router.families.tts")
_RATE_RANGE = (0.25, 4.0)


def _repair(config: dict[str, Any]) -> dict[str, Any]:
    """Fix the two slips the user guide's own example makes (``audioEncoding: LINEAR22``, ``speakingRate: "10"``)
    instead of failing upstream: an unknown LINEAR* encoding becomes LINEAR16, a numeric string rate becomes a
    number within Google's range. Each repair is a warning naming the key, so nothing changes silently."""
    encoding = config.get("audioEncoding")
    if (
        isinstance(encoding, str)
        and encoding.upper() not in _GOOGLE_ENCODINGS
        and encoding.upper().startswith("LINEAR")
    ):
        log.warning("audio_config_repaired", key="audioEncoding", given=encoding, sent="LINEAR16")
        config["audioEncoding"] = "LINEAR16"
    rate = config.get("speakingRate")
    if rate is not None:
        try:
            number = float(rate)
        except (TypeError, ValueError):
            raise InvalidRequestError("audioConfig.speakingRate must be a number", param="audioConfig") from None
        fixed = min(max(number, _RATE_RANGE[0]), _RATE_RANGE[1])
        if fixed != rate:
            log.warning("audio_config_repaired", key="speakingRate", given=rate, sent=fixed)
        config["speakingRate"] = fixed
    return config


def _encoding(fmt: Any) -> str:
    if fmt is None:
        return "MP3"
    name = str(fmt)
    if name.lower() == "flac":
        raise InvalidRequestError(
            "Cloud Text-to-Speech cannot produce FLAC; use response_format 'wav' for lossless audio",
            param="response_format",
        )
    if name.lower() in _FORMATS:
        return _FORMATS[name.lower()]
    if name.upper() in _GOOGLE_ENCODINGS:
        return name.upper()
    raise InvalidRequestError(
        f"response_format must be one of mp3, opus, wav, pcm, aac (or a Google encoding); got {name!r}",
        param="response_format",
    )


def _speed(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.25 <= value <= 2.0:
        raise InvalidRequestError(
            f"speed must be between 0.25 and 2.0 for Cloud Text-to-Speech, got {value!r}", param="speed"
        )
    return float(value)


def synthesis_input(params: Mapping[str, Any], *, gemini: bool) -> dict[str, Any]:
    text = params.get("input")
    if not isinstance(text, str) or not text:
        raise InvalidRequestError("input is required (the text to speak)", param="input")
    use_ssml = params.get("use_ssml")
    ssml = as_bool(use_ssml, "use_ssml") if use_ssml is not None else bool(_SSML.search(text))
    if ssml and not _SSML.search(text):
        text = f"<speak>{text}</speak>"  # Cloud TTS wants one <speak> root; use_ssml=True on a fragment adds it
    out: dict[str, Any] = {"ssml": text} if ssml else {"text": text}
    instructions = params.get("instructions")
    if instructions is not None:
        if not gemini:
            raise InvalidRequestError("instructions are supported by Gemini-TTS models only", param="instructions")
        out["prompt"] = str(instructions)
    return out


class TTSFamily(BaseFamily):
    name = "tts"
    kinds: frozenset[CallKind] = frozenset({"speech"})

    def supported_params(self, target: Target) -> frozenset[str]:
        return PARAMS

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest:
        params = model_params(request.params, PARAMS, target)
        gemini_model = target.model if _GEMINI_TTS.match(target.model) else None
        body = {
            "input": synthesis_input(params, gemini=gemini_model is not None),
            "voice": voice_params(
                params.get("voice"), language_code=params.get("language_code"), gemini_model=gemini_model
            ),
            "audioConfig": audio_config(params),
        }
        prepared = json_request(synthesize_url(target), body)
        if target.project:
            prepared.headers["x-goog-user-project"] = target.project
        return prepared

    def parse_response(self, response: UpstreamResponse, request: CallRequest, target: Target) -> SpeechResponse:
        what = f"tts {target.model}"
        payload = load_json(response.body, what)
        encoded = payload.get("audioContent")
        if not isinstance(encoded, str):
            raise malformed(what, "no audioContent")
        try:
            audio = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise malformed(what, "audioContent is not base64") from exc
        encoding = str(audio_config(request.params).get("audioEncoding", "")).upper()
        speech = SpeechResponse(
            audio, content_type=CONTENT_TYPES.get(encoding, "application/octet-stream"), model=target.model
        )
        speech._hidden_params["deployment_id"] = target.deployment_id
        return speech

    def stream_parser(self, request: CallRequest, target: Target) -> StreamParser:
        raise InvalidRequestError("speech is returned whole; streaming is not supported", param="stream")

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        error = classify_by_status(response, target)
        if response.status == 400 and _TOO_LONG.search(error_message(response.body)[0]):
            return ContextWindowExceededError(error.message, upstream_status=400, deployment_id=target.deployment_id)
        return error


FAMILY = TTSFamily()
