"""OpenAI request params → Vertex ``generationConfig``, ``thinkingConfig``, ``safetySettings`` and passthrough fields.

Which params Gemini can express (``supported_params``) depends on the model (thinking only on 2.5+); anything
else raises ``UnsupportedParamError`` unless the deployment sets ``drop_params`` (then a ``param_dropped`` event).

Vertex fields passed through by name (from the call, the deployment, or ``extra_body``): ``safety_settings``,
``labels`` (string values), ``cached_content``, ``model_armor_config``, ``top_k``, and ``generation_config``
(merged into ``generationConfig`` last, keys camelCased).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import structlog

from router.errors import InvalidRequestError, UnsupportedParamError
from router.families.base import Target
from router.families.gemini_models import GeminiTraits
from router.families.gemini_schema import to_vertex_schema
from router.families.gemini_tools import camelize

log = structlog.get_logger("router.families.gemini")

# Params every Gemini model can express.
BASE_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "top_k",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "n",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "logprobs",
        "top_logprobs",
        "modalities",
        "response_format",
        "tools",
        "tool_choice",
        "functions",
        "function_call",
        "safety_settings",
        "labels",
        "cached_content",
        "model_armor_config",
        "generation_config",
        "web_search_options",
    }
)
THINKING_PARAMS = frozenset({"reasoning_effort", "thinking"})
# Accepted and ignored (no Vertex equivalent, and OpenAI clients send them routinely) or handled elsewhere.
ALWAYS_OK = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "user",
        "parallel_tool_calls",
        "extra_headers",
        "extra_body",
        "drop_params",
    }
)

_BUDGETS = {"minimal": 128, "low": 1024, "medium": 2048, "high": 4096}
_LEVELS = {"minimal": "MINIMAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH"}
_OFF = frozenset({"none", "disable", "disabled"})
_MODALITIES = {"text": "TEXT", "image": "IMAGE", "audio": "AUDIO", "video": "VIDEO"}


_WITH_THINKING = BASE_PARAMS | THINKING_PARAMS  # built once, not per request
# What a call may carry without a param being dropped or refused, per ``supported_params`` result.
_PERMITTED = {allowed: allowed | ALWAYS_OK for allowed in (BASE_PARAMS, _WITH_THINKING)}


def supported_params(traits: GeminiTraits) -> frozenset[str]:
    return _WITH_THINKING if traits.thinking else BASE_PARAMS


def flatten_extra_body(params: dict[str, Any]) -> dict[str, Any]:
    """``extra_body={...}`` (openai SDK style) → its keys as ordinary params (explicit params win)."""
    extra = params.get("extra_body")
    if extra is None or not isinstance(extra, Mapping) or not extra:
        return params
    merged = {**extra, **params}
    merged.pop("extra_body", None)
    return merged


def filter_params(params: Mapping[str, Any], allowed: frozenset[str], target: Target) -> dict[str, Any]:
    """Drop or reject params Gemini cannot express; returns the params to translate."""
    permitted = _PERMITTED.get(allowed)
    if permitted is not None and permitted.issuperset(params):
        return dict(params)  # nothing to drop or refuse (nearly every call): one C-level check instead of the loop
    kept: dict[str, Any] = {}
    # LiteLLM callers also switch dropping on per call (``drop_params=True``).
    drop = target.drop_params or params.get("drop_params") is True
    for key, value in params.items():
        if key in allowed or key in ALWAYS_OK:
            kept[key] = value
        elif value is None:
            continue
        elif drop:
            log.info("param_dropped", param=key, family="gemini", deployment=target.deployment_id)
        else:
            raise UnsupportedParamError(key, "gemini")
    return kept


# Every param ``generation_config`` reads: a call with none of them (most calls) skips the lookups.
GENERATION_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "top_k",
        "max_completion_tokens",
        "max_tokens",
        "stop",
        "n",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "logprobs",
        "top_logprobs",
        "modalities",
        "thinking",
        "reasoning_effort",
    }
)


def generation_config(params: Mapping[str, Any], traits: GeminiTraits, target: Target) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if GENERATION_PARAMS.isdisjoint(params.keys()):
        return config
    get = params.get
    if get("temperature") is not None:
        config["temperature"] = get("temperature")
    if get("top_p") is not None:
        config["topP"] = get("top_p")
    if get("top_k") is not None:
        config["topK"] = get("top_k")
    max_tokens = get("max_completion_tokens")
    if max_tokens is None:
        max_tokens = get("max_tokens")
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    stop = get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    if get("n") is not None:
        config["candidateCount"] = get("n")
    if get("seed") is not None:
        config["seed"] = get("seed")
    if get("presence_penalty") is not None:
        config["presencePenalty"] = get("presence_penalty")
    if get("frequency_penalty") is not None:
        config["frequencyPenalty"] = get("frequency_penalty")
    if get("logprobs") or get("top_logprobs") is not None:
        config["responseLogprobs"] = True
        if get("top_logprobs") is not None:
            config["logprobs"] = get("top_logprobs")
    modalities = get("modalities")
    if isinstance(modalities, list) and modalities:
        config["responseModalities"] = [_modality(m) for m in modalities]
    thinking = thinking_config(params, traits, target)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return config


def _modality(value: Any) -> str:
    name = _MODALITIES.get(str(value).lower())
    if name is None:
        raise InvalidRequestError(f"modality {value!r} is not one of text, image, audio, video", param="modalities")
    return name


def thinking_config(params: Mapping[str, Any], traits: GeminiTraits, target: Target) -> dict[str, Any] | None:
    """``thinking`` wins over ``reasoning_effort``; both turn thoughts on in the answer unless switching off."""
    thinking = params.get("thinking")
    if thinking is not None and isinstance(thinking, Mapping):
        return _from_thinking(thinking, traits, target)
    effort = params.get("reasoning_effort")
    if effort is None:
        return None
    if isinstance(effort, Mapping):  # {"effort": "low", "summary": ...}
        effort = effort.get("effort")
    if effort is None:
        return None
    effort = str(effort).lower()
    if effort in _OFF:
        return _off(traits, target, "reasoning_effort")
    if effort not in _BUDGETS:
        raise InvalidRequestError(
            f"reasoning_effort {effort!r} is not one of none, minimal, low, medium, high", param="reasoning_effort"
        )
    if traits.thinking_levels:
        level = _LEVELS[effort]
        if level == "MINIMAL" and not traits.flash:
            level = "LOW"  # Pro models have no minimal level
        return {"includeThoughts": True, "thinkingLevel": level}
    return {"includeThoughts": True, "thinkingBudget": _BUDGETS[effort]}


def _from_thinking(thinking: Mapping[str, Any], traits: GeminiTraits, target: Target) -> dict[str, Any] | None:
    kind = thinking.get("type", "enabled")
    budget = thinking.get("budget_tokens")
    if kind == "disabled" or budget == 0:
        return _off(traits, target, "thinking")
    if kind not in ("enabled", "adaptive"):
        raise InvalidRequestError("thinking.type must be 'enabled' or 'disabled'", param="thinking")
    config: dict[str, Any] = {"includeThoughts": True}
    if budget is not None:
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < -1:
            raise InvalidRequestError("thinking.budget_tokens must be a non-negative integer", param="thinking")
        config["thinkingBudget"] = budget
    return config


def _off(traits: GeminiTraits, target: Target, param: str) -> dict[str, Any] | None:
    if traits.can_disable_thinking:
        return {"includeThoughts": False, "thinkingBudget": 0}
    if traits.thinking_levels:
        # Gemini 3 cannot stop thinking; the least it does is MINIMAL (Flash) / LOW (Pro), thoughts not returned.
        return {"includeThoughts": False, "thinkingLevel": "MINIMAL" if traits.flash else "LOW"}
    if target.drop_params:
        log.info("param_dropped", param=param, family="gemini", deployment=target.deployment_id, reason="no_off")
        return None
    raise UnsupportedParamError(param, "gemini", f"{target.model} cannot switch thinking off.")


def safety_settings(value: Any) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(s, Mapping) for s in value):
        raise InvalidRequestError("safety_settings must be a list of {category, threshold}", param="safety_settings")
    return [camelize(s) for s in value]


def labels(value: Any) -> dict[str, str] | None:
    if value is None or not isinstance(value, Mapping):
        return None
    kept = {str(k): v for k, v in value.items() if isinstance(v, str)}
    return kept or None


class ResponseFormat:
    """What ``response_format`` asks for: a JSON mime type, a schema, client-side validation.

    Schemas go out as ``responseSchema`` (Vertex's OpenAPI subset, converted like tool parameters, with
    ``propertyOrdering``) for every model that takes one (1.5 and newer): it is the field every schema-capable
    Gemini on Vertex accepts, where ``responseJsonSchema`` is newer-model-only. Gemini 1.0 gets the schema as an
    instruction appended to the last user turn. A pydantic model class is accepted in place of the dict.
    """

    __slots__ = ("enforce", "json", "schema")

    def __init__(self, value: Any) -> None:
        self.json = False
        self.schema: dict[str, Any] | None = None
        self.enforce = False
        if isinstance(value, type) and hasattr(value, "model_json_schema"):
            self.json, self.schema = True, value.model_json_schema()
            return
        if not isinstance(value, Mapping):
            return
        kind = value.get("type")
        if kind == "json_object":
            self.json = True
            schema = value.get("response_schema")
            self.schema = dict(schema) if isinstance(schema, Mapping) else None
        elif kind == "json_schema":
            self.json = True
            spec = value.get("json_schema") or {}
            schema = spec.get("schema") if isinstance(spec, Mapping) else None
            self.schema = dict(schema) if isinstance(schema, Mapping) else None
        elif kind not in (None, "text"):
            raise InvalidRequestError(f"response_format type {kind!r} is not supported", param="response_format")
        self.enforce = bool(value.get("enforce_validation"))

    def apply(self, config: dict[str, Any], traits: GeminiTraits) -> str | None:
        """Set the mime type / schema on ``config``; returns prompt text when the model cannot take a schema."""
        if not self.json:
            return None
        if not traits.response_schema:
            if self.schema is None:
                return None
            return "Use this JSON schema:\n```json\n" + orjson.dumps(self.schema).decode() + "\n```"
        config["responseMimeType"] = "application/json"
        if self.schema is not None:
            config["responseSchema"] = to_vertex_schema(self.schema, property_ordering=True)
        return None
