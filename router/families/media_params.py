"""Param handling shared by the embedding, image and speech translators.

Vertex's ``:predict`` bodies are free-form (``parameters`` is ``any`` in the discovery document), so a stray key is
not rejected by Google — it is silently ignored or, worse, fails later. Each translator therefore names exactly the
keys it can express; everything else goes through ``drop_or_reject``. Keys that describe the *call* rather than the
model input (credentials, project, location, the model string itself) are stripped first: they live on the Target
and must never reach a request body (LiteLLM leaks ``vertex_project`` into Imagen ``parameters``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.errors import InvalidRequestError
from router.families.base import Target, drop_or_reject

# Keys the router or SDK surface may leave in params; never part of a Vertex body.
CALL_KEYS = frozenset(
    {
        "model",
        "user",  # OpenAI end-user id: Vertex has no equivalent, every OpenAI-compatible server ignores it
        "metadata",
        "timeout",
        "api_base",
        "api_key",
        "api_version",
        "extra_headers",
        "num_retries",
        "drop_params",
        "custom_llm_provider",
        "vertex_project",
        "vertex_location",
        "vertex_credentials",
        "vertex_ai_project",
        "vertex_ai_location",
        "vertex_ai_credentials",
    }
)


def model_params(params: Mapping[str, Any], allowed: frozenset[str], target: Target) -> dict[str, Any]:
    """The params a translator can express, with call keys removed and ``None`` values treated as absent."""
    kept = drop_or_reject({k: v for k, v in params.items() if k not in CALL_KEYS}, allowed, target)
    return {k: v for k, v in kept.items() if v is not None}


def as_int(value: Any, param: str, *, minimum: int = 1) -> int:
    """An integer param (bools and floats with a fraction rejected) or a 400 naming the param."""
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value or value < minimum:
        raise InvalidRequestError(f"{param} must be an integer >= {minimum}, got {value!r}", param=param)
    return int(value)


def as_bool(value: Any, param: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidRequestError(f"{param} must be true or false, got {value!r}", param=param)
    return value
