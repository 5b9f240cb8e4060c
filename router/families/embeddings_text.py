"""Text embeddings over ``:predict``: text-embedding-00x, text-multilingual-embedding-002, textembedding-gecko*,
gemini-embedding-001, and custom/fine-tuned embedding endpoints (``endpoints/{id}:predict``).

Wire: ``{"instances": [{"content", "task_type"?, "title"?}],
"parameters": {"outputDimensionality"?, "autoTruncate"?}}``.
``task_type`` and ``title`` belong to each instance only; LiteLLM also copies them into ``parameters`` (a stray key
Vertex does not define). Response: ``predictions[i].embeddings.{values, statistics.{token_count, truncated}}``.

Limits per request (Google's text-embeddings reference): at most 250 instances (gemini-embedding-001: 1) and
20,000 input tokens. Larger inputs are split into several requests; token counts are estimated conservatively
(see ``estimate_tokens``) because the real tokenizer is not available offline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from router.errors import InvalidRequestError
from router.families.base import CallRequest, PreparedRequest, Target, UpstreamResponse, json_request
from router.families.embeddings_common import (
    build_response,
    encode,
    encoding_format,
    load_json,
    malformed,
    task_type,
    text_items,
    vector_of,
)
from router.families.media_params import as_bool, as_int, model_params
from router.types import EmbeddingData, EmbeddingResponse
from router.vertex.urls import endpoint_url, publisher_model_url

PUBLISHER_PARAMS = frozenset(
    {"input", "dimensions", "input_type", "task_type", "title", "auto_truncate", "encoding_format"}
)
# A custom container on an endpoint (e.g. a Model Garden Hugging Face embedding model) takes only the text.
RAW_ENDPOINT_PARAMS = frozenset({"input", "encoding_format"})

MAX_INSTANCES = 250
MAX_TOKENS = 20_000
# Models Google documents as taking one instance per request.
_ONE_INSTANCE_MODELS = ("gemini-embedding-001",)


@dataclass(frozen=True, slots=True)
class Limits:
    instances: int
    tokens: int


def limits(target: Target) -> Limits:
    """Per-request limits; a deployment may lower or raise them (``max_batch_size`` / ``max_batch_tokens``)."""
    default = 1 if target.model.startswith(_ONE_INSTANCE_MODELS) else MAX_INSTANCES
    instances = as_int(target.options.get("max_batch_size", default), "max_batch_size")
    tokens = as_int(target.options.get("max_batch_tokens", MAX_TOKENS), "max_batch_tokens")
    return Limits(instances, tokens)


def estimate_tokens(text: str) -> int:
    """An upper bound, not a guess: English runs ~4 characters per token and CJK ~1 character (3 UTF-8 bytes) per
    token, so max(chars/2, bytes/3) over-counts both by design. Over-counting only costs an extra request."""
    return max(1, math.ceil(len(text) / 2), math.ceil(len(text.encode("utf-8")) / 3))


def batch_bounds(texts: list[str], lim: Limits) -> list[tuple[int, int]]:
    """Greedy [start, end) runs of consecutive texts within both limits; an oversize text travels alone
    (Vertex truncates it when autoTruncate is on, or answers 400 when it is off)."""
    bounds: list[tuple[int, int]] = []
    start, tokens = 0, 0
    for i, text in enumerate(texts):
        cost = estimate_tokens(text)
        if i > start and (i - start >= lim.instances or tokens + cost > lim.tokens):
            bounds.append((start, i))
            start, tokens = i, 0
        tokens += cost
    bounds.append((start, len(texts)))
    return bounds


def split(request: CallRequest, target: Target) -> list[CallRequest] | None:
    texts = text_items(request.params)
    bounds = batch_bounds(texts, limits(target))
    if len(bounds) == 1:
        return None
    return [CallRequest(kind=request.kind, params={**request.params, "input": texts[a:b]}) for a, b in bounds]


def instance_key(target: Target) -> str:
    """Which field an instance carries the text in: ``content`` for Google models (also fine-tuned ones deployed to
    an endpoint: set ``embedding_instance_key: content``); ``inputs`` for custom endpoint containers (default)."""
    if target.endpoint_id is None:
        return "content"
    key = str(target.options.get("embedding_instance_key", "inputs"))
    if key not in ("content", "inputs", "prompt"):
        raise InvalidRequestError("embedding_instance_key must be content, inputs or prompt", param="model")
    return key


def supported_params(target: Target) -> frozenset[str]:
    return PUBLISHER_PARAMS if instance_key(target) == "content" else RAW_ENDPOINT_PARAMS


def build(request: CallRequest, target: Target) -> PreparedRequest:
    params = model_params(request.params, supported_params(target), target)
    texts = text_items(params)
    key = instance_key(target)
    encoding_format(params)  # refuse a bad value before anything is sent
    body: dict[str, Any] = {"instances": _instances(texts, params, key)}
    parameters = _parameters(params)
    if parameters:
        body["parameters"] = parameters
    return json_request(url(target), body)


def url(target: Target) -> str:
    if target.endpoint_id is not None:
        return endpoint_url(target.project, target.location, target.endpoint_id, "predict", api_base=target.api_base)
    return publisher_model_url(
        target.project, target.location, target.publisher, target.model, "predict", api_base=target.api_base
    )


def _instances(texts: list[str], params: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    if key != "content":
        return [{key: text} for text in texts]
    task = task_type(params)
    title = params.get("title")
    if title is not None and not isinstance(title, str):
        raise InvalidRequestError("title must be a string", param="title")
    extra: dict[str, Any] = {}
    if task:
        extra["task_type"] = task
    if title is not None:
        extra["title"] = title
    return [{"content": text, **extra} for text in texts]


def _parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    if "dimensions" in params:
        parameters["outputDimensionality"] = as_int(params["dimensions"], "dimensions")
    if "auto_truncate" in params:
        parameters["autoTruncate"] = as_bool(params["auto_truncate"], "auto_truncate")
    return parameters


def parse(response: UpstreamResponse, request: CallRequest, target: Target, model: str) -> EmbeddingResponse:
    what = f"{target.family} {target.model}"
    payload = load_json(response.body, what)
    predictions = payload.get("predictions")
    texts = text_items(request.params)
    if not isinstance(predictions, list) or len(predictions) != len(texts):
        got = len(predictions) if isinstance(predictions, list) else "no"
        raise malformed(what, f"{got} predictions for {len(texts)} inputs")
    fmt = encoding_format(request.params)
    data: list[EmbeddingData] = []
    tokens = 0
    truncated: list[int] = []
    for i, prediction in enumerate(predictions):
        values, count, was_truncated = _prediction(prediction, what)
        data.append(EmbeddingData(index=i, embedding=encode(values, fmt)))
        tokens += count
        if was_truncated:
            truncated.append(i)
    hidden: dict[str, Any] = {}
    if truncated:
        hidden["truncated_inputs"] = truncated
    billable = (payload.get("metadata") or {}).get("billableCharacterCount")
    if isinstance(billable, int):
        hidden["billable_character_count"] = billable
    return build_response(data, model, tokens, inputs=len(texts), hidden=hidden)


def _prediction(prediction: Any, what: str) -> tuple[list[float], int, bool]:
    """(vector, token count, truncated) from a Google prediction, or from a custom container's bare vector
    (``[floats]``, or ``[[floats]]`` as Hugging Face TEI containers answer)."""
    if isinstance(prediction, dict):
        embeddings = prediction.get("embeddings", prediction)
        if not isinstance(embeddings, dict):
            raise malformed(what, "prediction without embeddings")
        values = embeddings.get("values", embeddings.get("embedding"))
        stats = embeddings.get("statistics") or {}
        count = stats.get("token_count", 0) if isinstance(stats, dict) else 0
        truncated = bool(stats.get("truncated")) if isinstance(stats, dict) else False
        return vector_of(values, what), int(count), truncated
    if isinstance(prediction, list) and prediction and isinstance(prediction[0], list):
        return vector_of(prediction[0], what), 0, False
    return vector_of(prediction, what), 0, False
