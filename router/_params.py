"""How a call's params are assembled from the call, the deployment and the global settings.

Precedence, highest first (each key replaced whole, never merged element by element):

1. the call's own params (``safety_settings=[...]`` on ``completion``),
2. the deployment's ``litellm_params`` defaults (``temperature``, ``safety_settings``, ...),
3. global defaults (``litellm_settings.vertex_ai_safety_settings`` → ``safety_settings``).

Identity keys (project, location, credentials, api_base) are never call params on a configured Router: they
belong to the deployment, so a call that carries them is refused rather than silently sent elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from router.errors import InvalidRequestError

IDENTITY_KEYS = frozenset(
    {
        "vertex_project",
        "vertex_ai_project",
        "vertex_location",
        "vertex_ai_location",
        "vertex_credentials",
        "vertex_ai_credentials",
        "api_base",
        "base_url",
        "api_key",
        "custom_llm_provider",
    }
)

# Params that steer the router rather than the model; never forwarded to a family.
ROUTER_KEYS = frozenset({"metadata", "num_retries", "timeout", "request_timeout", "mock_response", "user_api_key"})


_NONE: Mapping[str, Any] = MappingProxyType({})


def reject_identity_keys(params: Mapping[str, Any]) -> None:
    if IDENTITY_KEYS.isdisjoint(params):
        return
    for key in params:
        if key in IDENTITY_KEYS:
            raise InvalidRequestError(
                f"{key!r} cannot be set per call on a configured Router: it belongs to the deployment in the "
                "config (model_list[].litellm_params)",
                param=key,
            )


def merge_params(
    call: Mapping[str, Any], deployment_defaults: Mapping[str, Any], global_defaults: Mapping[str, Any] = _NONE
) -> dict[str, Any]:
    merged = (
        {**global_defaults, **deployment_defaults, **call} if global_defaults or deployment_defaults else dict(call)
    )
    if not ROUTER_KEYS.isdisjoint(merged):
        for key in ROUTER_KEYS:
            merged.pop(key, None)
    return merged
