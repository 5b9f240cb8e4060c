"""Model strings (``vertex_ai/gemini-2.5-flash``, ``vertex_ai/claude-sonnet-4@20250514``, ...) → family and id.

Dispatch is by the shape of the string (DESIGN.md §3), decided once at config load, never per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Family = Literal[
    "gemini",
    "anthropic",
    "openai_compat",
    "mistral",
    "ai21",
    "palm",
    "embeddings",
    "imagen",
    "tts",
    "model_garden",
]

PROVIDER_PREFIXES = ("vertex_ai/", "vertex_ai_beta/")

_OPENAPI_PUBLISHER_PREFIXES = (
    "meta/",
    "deepseek-ai/",
    "qwen/",
    "openai/gpt-oss",
    "minimaxai/",
    "moonshotai/",
    "zai-org/",
    "google/gemma-",
    "xai/",
)
_PALM = re.compile(r"^(chat-bison|codechat-bison|text-bison|text-unicorn|code-bison|code-gecko)")
_EMBEDDING = re.compile(r"(embedding|embed|gecko)")
_IMAGEN = re.compile(r"^(imagen|imagegeneration)")
_TTS = re.compile(r"^(tts|text-to-speech|chirp|.*-tts$|google-tts)")


@dataclass(frozen=True, slots=True)
class ParsedModel:
    """Where a model string goes.

    ``model`` is the id as Vertex names it in a publisher path (``gemini-2.5-flash``, ``claude-3-7-sonnet@20250219``,
    ``meta/llama-3.1-405b-instruct-maas``); ``endpoint_id`` is set for deployed endpoints (``endpoints/{id}``).
    """

    family: Family
    model: str
    endpoint_id: str | None = None
    publisher: str = "google"


class ModelStringError(ValueError):
    pass


def strip_provider(model: str) -> str:
    for prefix in PROVIDER_PREFIXES:
        if model.startswith(prefix):
            return model[len(prefix) :]
    return model


def parse_model_string(raw: str, *, base_model: str | None = None) -> ParsedModel:
    """Parse a ``litellm_params.model`` value. Raises ModelStringError for strings no family serves."""
    if not raw or not raw.strip():
        raise ModelStringError("model is empty")
    model = strip_provider(raw.strip())
    if "/" in raw and not raw.startswith(PROVIDER_PREFIXES) and not _known_bare_prefix(raw):
        provider = raw.split("/", 1)[0]
        raise ModelStringError(
            f"provider {provider!r} is not served here; vertex-router speaks Vertex AI only "
            "(use a 'vertex_ai/...' model string)"
        )
    if base_model and "gemini" in base_model and model.isdigit():
        return ParsedModel("gemini", model, endpoint_id=model)
    return _by_shape(model)


def _known_bare_prefix(raw: str) -> bool:
    return raw.startswith(("gemini/", "openai/")) or raw.startswith(_OPENAPI_PUBLISHER_PREFIXES)


def _by_shape(model: str) -> ParsedModel:
    lowered = model.lower()
    if lowered.startswith("gemini/"):
        endpoint = model.split("/", 1)[1]
        return ParsedModel("gemini", endpoint, endpoint_id=endpoint)
    if lowered.startswith("openai/") and not lowered.startswith("openai/gpt-oss"):
        endpoint = model.split("/", 1)[1]
        return ParsedModel("openai_compat", endpoint, endpoint_id=endpoint, publisher="openai")
    if lowered.startswith("meta/jamba") or (lowered.startswith("ai21/") and "jamba" in lowered):
        # The user guide writes ``vertex_ai/meta/jamba-1.5-mini@001``; Jamba is AI21's, whatever the prefix says.
        return ParsedModel("ai21", model.split("/", 1)[1], publisher="ai21")
    if lowered.startswith(_OPENAPI_PUBLISHER_PREFIXES):
        return ParsedModel("openai_compat", model, publisher=model.split("/", 1)[0])
    if model.isdigit():
        return ParsedModel("model_garden", model, endpoint_id=model)
    if lowered.startswith("claude"):
        return ParsedModel("anthropic", model, publisher="anthropic")
    if lowered.startswith(("mistral", "codestral", "ministral")):
        return ParsedModel("mistral", model, publisher="mistralai")
    if lowered.startswith("jamba"):
        return ParsedModel("ai21", model, publisher="ai21")
    if _IMAGEN.match(lowered):
        return ParsedModel("imagen", model)
    if _PALM.match(lowered):
        return ParsedModel("palm", model)
    if _EMBEDDING.search(lowered):
        return ParsedModel("embeddings", model)
    if _TTS.match(lowered):
        return ParsedModel("tts", model)
    if lowered.startswith(("gemini", "gemma")):
        return ParsedModel("gemini", model)
    raise ModelStringError(
        f"cannot tell which Vertex AI model family {model!r} belongs to; expected e.g. "
        "'vertex_ai/gemini-2.5-flash', 'vertex_ai/claude-...@...', 'vertex_ai/meta/...-maas', "
        "'vertex_ai/mistral-...', 'vertex_ai/jamba-...', 'vertex_ai/<endpoint-id>'"
    )


def parse_deployment_model(raw: str, *, base_model: str | None = None, mode: str | None = None) -> ParsedModel:
    """``parse_model_string`` plus the shapes only a config entry has: a bare ``vertex_ai/`` (the user guide's
    Text-to-Speech deployment, which names no model) or an ``audio_speech`` deployment."""
    stripped = strip_provider(raw.strip()) if raw else ""
    if raw.strip() in PROVIDER_PREFIXES or (mode == "audio_speech" and not stripped):
        return ParsedModel("tts", "")
    if mode == "audio_speech":
        # Cloud TTS takes no model; the guide writes e.g. ``vertex_ai/test`` for a speech deployment.
        return ParsedModel("tts", stripped)
    return parse_model_string(raw, base_model=base_model)
