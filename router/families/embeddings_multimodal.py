"""Multimodal embeddings (``multimodalembedding@001``) over ``:predict``.

Input items:
- a string: ``gs://...`` → image, or video when the extension is a video type; ``data:image/...;base64,...`` →
  inline image (``data:video/...`` → inline video); anything else is text (bare base64 in a *string* stays text —
  use the dict form to send it as an image);
- a dict: ``{"text"?, "image"?, "video"?}`` — one instance with several modalities (a text+image pair). ``image`` /
  ``video`` are a string as above, bare base64, or Google's object (``gcsUri`` / ``bytesBase64Encoded``,
  ``mimeType``, ``videoSegmentConfig``; snake_case spellings accepted). ``video_segment_config`` may also sit on the
  item. OpenAI-style content parts (``{"type": "text" | "image_url" | "video_url", ...}``) are accepted too.

Each input item is one instance, and each instance is sent in its own request (sent concurrently by the router):
Google's SDK sends one instance per call and the model's quota and size limits are stated per request, so a
single-instance request is the one shape known to be accepted.

Output order (documented, stable): for each input item in order — its text vector, then its image vector, then one
vector per video segment. Every data item carries ``modality`` ("text" | "image" | "video"), ``input_index`` (which
input item it came from) and, for video, ``segment`` ``{"start_offset_sec", "end_offset_sec"}``. Nothing is dropped
(LiteLLM keeps one vector per prediction and loses the image vector of a text+image pair).
"""

from __future__ import annotations

from collections.abc import Mapping
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
    vector_of,
)
from router.families.media import mime_from_url, parse_data_url
from router.families.media_params import as_int, model_params
from router.types import EmbeddingData, EmbeddingResponse
from router.vertex.urls import endpoint_url, publisher_model_url

PARAMS = frozenset({"input", "dimensions", "encoding_format"})
_SEGMENT_KEYS = {
    "startOffsetSec": "startOffsetSec",
    "start_offset_sec": "startOffsetSec",
    "endOffsetSec": "endOffsetSec",
    "end_offset_sec": "endOffsetSec",
    "intervalSec": "intervalSec",
    "interval_sec": "intervalSec",
}
_MEDIA_KEYS = {
    "gcsUri": "gcsUri",
    "gcs_uri": "gcsUri",
    "bytesBase64Encoded": "bytesBase64Encoded",
    "bytes_base64_encoded": "bytesBase64Encoded",
    "mimeType": "mimeType",
    "mime_type": "mimeType",
}


def split(request: CallRequest, target: Target) -> list[CallRequest] | None:
    items = input_items(request.params)
    if len(items) == 1:
        return None
    return [CallRequest(kind=request.kind, params={**request.params, "input": [item]}) for item in items]


def build(request: CallRequest, target: Target) -> PreparedRequest:
    params = model_params(request.params, PARAMS, target)
    encoding_format(params)  # refuse a bad value before anything is sent
    body: dict[str, Any] = {"instances": [instance(item) for item in input_items(params)]}
    if "dimensions" in params:
        body["parameters"] = {"dimension": as_int(params["dimensions"], "dimensions")}
    return json_request(url(target), body)


def url(target: Target) -> str:
    if target.endpoint_id is not None:
        return endpoint_url(target.project, target.location, target.endpoint_id, "predict", api_base=target.api_base)
    return publisher_model_url(
        target.project, target.location, target.publisher, target.model, "predict", api_base=target.api_base
    )


def instance(item: Any) -> dict[str, Any]:
    """One input item → one Vertex instance."""
    if isinstance(item, str):
        kind, media = classify_string(item)
        return {"text": item} if kind == "text" else {kind: media}
    if not isinstance(item, dict):
        raise InvalidRequestError("multimodal input items must be strings or objects", param="input")
    if "type" in item:
        return _content_part(item)
    out: dict[str, Any] = {}
    if item.get("text") is not None:
        out["text"] = str(item["text"])
    if item.get("image") is not None:
        out["image"] = media_object(item["image"], "image")
    if item.get("video") is not None:
        video = media_object(item["video"], "video")
        segment = item.get("video_segment_config", item.get("videoSegmentConfig"))
        if segment is not None:
            video["videoSegmentConfig"] = segment_config(segment)
        out["video"] = video
    unknown = set(item) - {"text", "image", "video", "video_segment_config", "videoSegmentConfig"}
    if unknown or not out:
        raise InvalidRequestError(
            f"multimodal input objects take text, image, video (and video_segment_config); got {sorted(item)}",
            param="input",
        )
    return out


def classify_string(value: str) -> tuple[str, dict[str, Any] | None]:
    """("text", None) or ("image" | "video", Google media object) for one string input item."""
    if value.startswith("gs://") and not any(c.isspace() for c in value):
        mime = mime_from_url(value) or ""
        kind = "video" if mime.startswith("video/") else "image"
        return kind, {"gcsUri": value}
    if value.startswith("data:"):
        try:
            source = parse_data_url(value)
        except ValueError as exc:
            raise InvalidRequestError(f"input data URL: {exc}", param="input") from exc
        kind = "video" if (source.mime_type or "").startswith("video/") else "image"
        media: dict[str, Any] = {"bytesBase64Encoded": source.data}
        if kind == "image" and source.mime_type:
            media["mimeType"] = source.mime_type
        return kind, media
    return "text", None


def media_object(value: Any, kind: str) -> dict[str, Any]:
    """``image`` / ``video`` in the dict form: a gs:// URI, a data URL, bare base64, or Google's object."""
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            raise InvalidRequestError(
                f"{kind} must be a gs:// URI or base64 data; HTTP URLs are not fetched for multimodal embeddings",
                param="input",
            )
        if value.startswith(("gs://", "data:")):
            found_kind, media = classify_string(value)
            if media is None or (found_kind != kind and not value.startswith("gs://")):
                raise InvalidRequestError(f"{kind} data URL has a non-{kind} MIME type", param="input")
            return media
        return {"bytesBase64Encoded": value}
    if isinstance(value, dict):
        unknown = set(value) - set(_MEDIA_KEYS) - {"videoSegmentConfig", "video_segment_config"}
        if unknown:
            raise InvalidRequestError(f"unknown {kind} fields {sorted(unknown)}", param="input")
        out = {_MEDIA_KEYS[k]: v for k, v in value.items() if k in _MEDIA_KEYS}
        segment = value.get("videoSegmentConfig", value.get("video_segment_config"))
        if segment is not None and kind == "video":
            out["videoSegmentConfig"] = segment_config(segment)
        if ("gcsUri" in out) == ("bytesBase64Encoded" in out):
            raise InvalidRequestError(f"{kind} needs exactly one of gcsUri or bytesBase64Encoded", param="input")
        return out
    raise InvalidRequestError(f"{kind} must be a string or an object", param="input")


def segment_config(value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or set(value) - set(_SEGMENT_KEYS):
        raise InvalidRequestError(
            "video_segment_config takes start_offset_sec, end_offset_sec, interval_sec", param="input"
        )
    return {_SEGMENT_KEYS[k]: as_int(v, k, minimum=0) for k, v in value.items()}


def _content_part(item: Mapping[str, Any]) -> dict[str, Any]:
    kind = item.get("type")
    if kind == "text":
        return {"text": str(item.get("text", ""))}
    if kind in ("image_url", "video_url"):
        ref = item.get(kind)
        link = ref.get("url") if isinstance(ref, dict) else ref
        return {kind[:5]: media_object(link, kind[:5])}
    raise InvalidRequestError(f"unsupported content part type {kind!r} for multimodal embeddings", param="input")


def parse(response: UpstreamResponse, request: CallRequest, target: Target, model: str) -> EmbeddingResponse:
    what = f"{target.family} {target.model}"
    payload = load_json(response.body, what)
    predictions = payload.get("predictions")
    items = input_items(request.params)
    if not isinstance(predictions, list) or len(predictions) != len(items):
        got = len(predictions) if isinstance(predictions, list) else "no"
        raise malformed(what, f"{got} predictions for {len(items)} inputs")
    fmt = encoding_format(request.params)
    data: list[EmbeddingData] = []
    for input_index, prediction in enumerate(predictions):
        if not isinstance(prediction, dict):
            raise malformed(what, "prediction is not an object")
        for extra, vector in _vectors(prediction, what):
            data.append(EmbeddingData(index=len(data), embedding=encode(vector, fmt), input_index=input_index, **extra))
    return build_response(data, model, 0, inputs=len(items), hidden=_usage_details(request))


def _vectors(prediction: Mapping[str, Any], what: str) -> list[tuple[dict[str, Any], list[float]]]:
    out: list[tuple[dict[str, Any], list[float]]] = []
    if "textEmbedding" in prediction:
        out.append(({"modality": "text"}, vector_of(prediction["textEmbedding"], what)))
    if "imageEmbedding" in prediction:
        out.append(({"modality": "image"}, vector_of(prediction["imageEmbedding"], what)))
    for segment in prediction.get("videoEmbeddings") or []:
        bounds = {"start_offset_sec": segment.get("startOffsetSec"), "end_offset_sec": segment.get("endOffsetSec")}
        out.append(({"modality": "video", "segment": bounds}, vector_of(segment.get("embedding"), what)))
    if not out:
        raise malformed(what, "prediction carries no embedding")
    return out


def _usage_details(request: CallRequest) -> dict[str, Any]:
    """Vertex bills this model per character, image and video second, not per token: report those counts."""
    chars = images = videos = 0
    for item in input_items(request.params):
        inst = instance(item)
        chars += len(inst.get("text", ""))
        images += "image" in inst
        videos += "video" in inst
    return {"character_count": chars, "image_count": images, "video_count": videos}
