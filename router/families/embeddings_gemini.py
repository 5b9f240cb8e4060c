"""Gemini embedding models served by ``:embedContent`` (``gemini-embedding-2*``; any model via the deployment
option ``embedding_api: embed_content``).

``EmbedContentRequest`` embeds ONE content and returns ONE vector, so N inputs are N requests (split, sent
concurrently, merged in order). LiteLLM puts all N inputs as parts of one content and returns a single combined
vector for the whole list. Options go in ``embedContentConfig`` (the top-level ``taskType`` / ``title`` /
``outputDimensionality`` / ``autoTruncate`` are deprecated in the discovery document).

An input item is a string (text; a ``gs://`` URI or a ``data:`` URL becomes a file / inline part) or the
multimodal dict form ``{"text"?, "image"?, "video"?}`` whose members become parts of the one content.
"""

from __future__ import annotations

from typing import Any

from router.errors import InvalidRequestError
from router.families.base import CallRequest, PreparedRequest, Target, UpstreamResponse, json_request
from router.families.embeddings_common import (
    build_response,
    encode,
    encoding_format,
    input_items,
    load_json,
    malformed,
    task_type,
    vector_of,
)
from router.families.embeddings_multimodal import instance
from router.families.media import mime_from_url
from router.families.media_params import as_bool, as_int, model_params
from router.types import EmbeddingData, EmbeddingResponse
from router.vertex.urls import publisher_model_url

PARAMS = frozenset({"input", "dimensions", "input_type", "task_type", "title", "auto_truncate", "encoding_format"})


def split(request: CallRequest, target: Target) -> list[CallRequest] | None:
    items = input_items(request.params)
    if len(items) == 1:
        return None
    return [CallRequest(kind=request.kind, params={**request.params, "input": [item]}) for item in items]


def build(request: CallRequest, target: Target) -> PreparedRequest:
    params = model_params(request.params, PARAMS, target)
    encoding_format(params)  # refuse a bad value before anything is sent
    items = input_items(params)
    if len(items) != 1:
        raise InvalidRequestError("embedContent embeds one input per request (the router splits lists)")
    body: dict[str, Any] = {"content": {"role": "user", "parts": parts(items[0])}}
    config = _config(params)
    if config:
        body["embedContentConfig"] = config
    if target.endpoint_id is not None:
        raise InvalidRequestError("embedContent is served for publisher models only", param="model")
    url = publisher_model_url(
        target.project, target.location, target.publisher, target.model, "embedContent", api_base=target.api_base
    )
    return json_request(url, body)


def parts(item: Any) -> list[dict[str, Any]]:
    """The parts of one content: the multimodal instance (text, image, video) rewritten as Gemini parts."""
    out: list[dict[str, Any]] = []
    inst = instance(item)
    if "text" in inst:
        out.append({"text": inst["text"]})
    for kind in ("image", "video"):
        media = inst.get(kind)
        if media is None:
            continue
        if "gcsUri" in media:
            uri = media["gcsUri"]
            mime = media.get("mimeType") or mime_from_url(uri) or ("video/mp4" if kind == "video" else "image/png")
            out.append({"fileData": {"fileUri": uri, "mimeType": mime}})
        else:
            mime = media.get("mimeType") or ("video/mp4" if kind == "video" else "image/png")
            out.append({"inlineData": {"data": media["bytesBase64Encoded"], "mimeType": mime}})
    return out


def _config(params: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    task = task_type(params)
    if task:
        config["taskType"] = task
    if params.get("title") is not None:
        config["title"] = str(params["title"])
    if "dimensions" in params:
        config["outputDimensionality"] = as_int(params["dimensions"], "dimensions")
    if "auto_truncate" in params:
        config["autoTruncate"] = as_bool(params["auto_truncate"], "auto_truncate")
    return config


def parse(response: UpstreamResponse, request: CallRequest, target: Target, model: str) -> EmbeddingResponse:
    what = f"{target.family} {target.model}"
    payload = load_json(response.body, what)
    embedding = payload.get("embedding")
    if not isinstance(embedding, dict):
        raise malformed(what, "no embedding")
    vector = vector_of(embedding.get("values"), what)
    usage = payload.get("usageMetadata") or {}
    tokens = int(usage.get("promptTokenCount", 0)) if isinstance(usage, dict) else 0
    data = [EmbeddingData(index=0, embedding=encode(vector, encoding_format(request.params)))]
    hidden = {"truncated_inputs": [0]} if payload.get("truncated") else {}
    return build_response(data, model, tokens, inputs=1, hidden=hidden)
