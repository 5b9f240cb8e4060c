"""Imagen image generation (imagen-3.0-*, imagen-4.0-*, imagegeneration@00x): OpenAI ``/images/generations`` →
``:predict`` with ``{"instances": [{"prompt"}], "parameters": {...}}``.

Params: ``n`` → ``sampleCount``; ``size`` "WxH" → the nearest Imagen ``aspectRatio`` (1:1, 3:4, 4:3, 9:16, 16:9;
nearest by log ratio, the request's ``_hidden_params`` say when it was approximate); Imagen options by name in
snake_case (mapped) or camelCase (as is): see ``_OPTION_NAMES``. ``quality`` "standard"/"auto" are accepted as the
default; other ``quality`` values and ``style`` have no Imagen equivalent (400, or dropped with drop_params).
``response_format`` "b64_json" (default) or "url" (a ``data:`` URL, or the ``gs://`` URI when ``storage_uri`` is set).
Nothing from the call (credentials, project, location) is copied into the body.

``includeRaiReason`` defaults to true so filtered images come back with a reason: they are reported in the
response's extra ``filtered`` list (``{"index", "reason"}``) and in ``_hidden_params["filtered"]``. When every image
is filtered the call fails with ContentPolicyError.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from router.errors import ContentPolicyError, InvalidRequestError, UpstreamError
from router.families.base import (
    BaseFamily,
    CallKind,
    CallRequest,
    PreparedRequest,
    StreamParser,
    Target,
    UpstreamResponse,
    classify_by_status,
    drop_or_reject,
    error_message,
    json_request,
)
from router.families.embeddings_common import load_json, malformed
from router.families.media_params import CALL_KEYS, as_int
from router.types import ImageData, ImageResponse
from router.vertex.urls import endpoint_url, publisher_model_url

ASPECT_RATIOS: dict[str, float] = {"1:1": 1.0, "3:4": 3 / 4, "4:3": 4 / 3, "9:16": 9 / 16, "16:9": 16 / 9}


def _by_spelling(aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {name: camel for camel, more in aliases.items() for name in (camel, *more)}


# Imagen ``parameters`` names, keyed by every spelling accepted (OpenAI-style snake_case, Google camelCase,
# and the names google-genai's GenerateImagesConfig uses).
_OPTION_NAMES = _by_spelling(
    {
        "negativePrompt": ("negative_prompt",),
        "seed": (),
        "safetySetting": ("safety_setting", "safety_filter_level", "safetyFilterLevel"),
        "personGeneration": ("person_generation",),
        "addWatermark": ("add_watermark",),
        "language": (),
        "enhancePrompt": ("enhance_prompt",),
        "includeRaiReason": ("include_rai_reason",),
        "includeSafetyAttributes": ("include_safety_attributes",),
        "sampleImageSize": ("sample_image_size", "image_size"),
        "storageUri": ("storage_uri", "output_gcs_uri", "outputGcsUri"),
        "guidanceScale": ("guidance_scale",),
        "outputOptions": ("output_options",),
        "aspectRatio": ("aspect_ratio",),
        "sampleCount": ("sample_count", "number_of_images", "numberOfImages"),
    }
)
# Flat spellings of ``outputOptions`` members.
_OUTPUT_OPTIONS = {
    "output_mime_type": "mimeType",
    "outputMimeType": "mimeType",
    "output_compression_quality": "compressionQuality",
    "outputCompressionQuality": "compressionQuality",
}
_OPENAI_PARAMS = frozenset({"prompt", "n", "size", "quality", "style", "response_format"})
PARAMS = _OPENAI_PARAMS | frozenset(_OPTION_NAMES) | frozenset(_OUTPUT_OPTIONS)
_DEFAULT_QUALITY = frozenset({"standard", "auto"})
_SIZE = re.compile(r"^\s*(\d+)\s*[xX:\u00d7]\s*(\d+)\s*$")
# Imagen's 400 for a blocked prompt ("... violate Google's Responsible AI practices ...").
_POLICY = re.compile(r"responsible ai|violat\w* .*(policy|policies|practices)|sensitive words|safety filter", re.I)


def nearest_aspect_ratio(size: str) -> tuple[str, bool]:
    """("16:9", exact?) for "1792x1024": the supported ratio closest in log space (so 2:1 and 1:2 are symmetric)."""
    match = _SIZE.match(size)
    if not match or int(match[1]) == 0 or int(match[2]) == 0:
        raise InvalidRequestError(f"size must look like '1024x1024', got {size!r}", param="size")
    ratio = int(match[1]) / int(match[2])
    name = min(ASPECT_RATIOS, key=lambda r: abs(math.log(ratio / ASPECT_RATIOS[r])))
    return name, math.isclose(ratio, ASPECT_RATIOS[name], rel_tol=1e-3)


class ImagenFamily(BaseFamily):
    name = "imagen"
    kinds: frozenset[CallKind] = frozenset({"image"})

    def supported_params(self, target: Target) -> frozenset[str]:
        return PARAMS

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest:
        params = _kept(request.params, target)
        prompt = params.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise InvalidRequestError("prompt is required", param="prompt")
        body = {"instances": [{"prompt": prompt}], "parameters": _parameters(params)}
        return json_request(_url(target), body)

    def parse_response(self, response: UpstreamResponse, request: CallRequest, target: Target) -> ImageResponse:
        what = f"imagen {target.model}"
        payload = load_json(response.body, what)
        predictions = payload.get("predictions") or []
        if not isinstance(predictions, list):
            raise malformed(what, "predictions is not a list")
        as_url = request.params.get("response_format") == "url"
        images: list[ImageData] = []
        filtered: list[dict[str, Any]] = []
        for index, prediction in enumerate(predictions):
            if not isinstance(prediction, dict):
                raise malformed(what, "prediction is not an object")
            image = _image(prediction, as_url)
            if image is None:
                filtered.append({"index": index, "reason": str(prediction.get("raiFilteredReason", "filtered"))})
            else:
                images.append(image)
        if not images:
            raise _all_filtered(filtered, target)
        out = ImageResponse(data=images, filtered=filtered) if filtered else ImageResponse(data=images)
        out._hidden_params.update({"deployment_id": target.deployment_id, "filtered": filtered})
        out._hidden_params.update(_size_note(request.params))
        return out

    def stream_parser(self, request: CallRequest, target: Target) -> StreamParser:
        raise InvalidRequestError("image generation cannot be streamed", param="stream")

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        error = classify_by_status(response, target)
        if response.status == 400 and _POLICY.search(error_message(response.body)[0]):
            return ContentPolicyError(error.message, upstream_status=400, deployment_id=target.deployment_id)
        return error


def _kept(params: Mapping[str, Any], target: Target) -> dict[str, Any]:
    kept = drop_or_reject({k: v for k, v in params.items() if k not in CALL_KEYS}, PARAMS, target)
    kept = {k: v for k, v in kept.items() if v is not None}
    quality = kept.pop("quality", None)
    if quality is not None and str(quality) not in _DEFAULT_QUALITY and not target.drop_params:
        raise InvalidRequestError(
            f"quality={quality!r} has no Imagen equivalent (use sample_image_size, e.g. '2K', on Imagen 4)",
            param="quality",
        )
    if kept.pop("style", None) is not None and not target.drop_params:
        raise InvalidRequestError("style has no Imagen equivalent; describe the style in the prompt", param="style")
    fmt = kept.get("response_format")
    if fmt is not None and fmt not in ("b64_json", "url"):
        raise InvalidRequestError("response_format must be 'b64_json' or 'url'", param="response_format")
    return kept


def _parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"sampleCount": as_int(params.get("n", 1), "n")}
    size = params.get("size")
    if size is not None and size != "auto":
        out["aspectRatio"] = nearest_aspect_ratio(str(size))[0]
    for key, value in params.items():
        if key in _OPTION_NAMES:
            name = _OPTION_NAMES[key]
            if name in ("sampleCount", "seed"):
                value = as_int(value, key, minimum=0 if name == "seed" else 1)
            out[name] = value
        elif key in _OUTPUT_OPTIONS:
            out.setdefault("outputOptions", {})[_OUTPUT_OPTIONS[key]] = value
    if "aspectRatio" in out and out["aspectRatio"] not in ASPECT_RATIOS:
        raise InvalidRequestError(f"aspect_ratio must be one of {', '.join(ASPECT_RATIOS)}", param="aspect_ratio")
    # Ask for the reason of every filtered image, so none vanishes silently.
    out.setdefault("includeRaiReason", True)
    return out


def _size_note(params: Mapping[str, Any]) -> dict[str, Any]:
    """Which aspect ratio a ``size`` became, and whether it was exact (1792x1024 is only close to 16:9)."""
    size = params.get("size")
    explicit = any(_OPTION_NAMES.get(k) == "aspectRatio" for k in params)
    if size is None or size == "auto" or explicit:
        return {}
    ratio, exact = nearest_aspect_ratio(str(size))
    return {"aspect_ratio": ratio, "aspect_ratio_exact": exact}


def _url(target: Target) -> str:
    if target.endpoint_id is not None:
        return endpoint_url(target.project, target.location, target.endpoint_id, "predict", api_base=target.api_base)
    return publisher_model_url(
        target.project, target.location, target.publisher, target.model, "predict", api_base=target.api_base
    )


def _image(prediction: Mapping[str, Any], as_url: bool) -> ImageData | None:
    data = prediction.get("bytesBase64Encoded")
    gcs = prediction.get("gcsUri")
    if not data and not gcs:
        return None
    revised = prediction.get("prompt") if isinstance(prediction.get("prompt"), str) else None
    if gcs and (as_url or not data):
        return ImageData(url=str(gcs), revised_prompt=revised)
    if as_url:
        mime = prediction.get("mimeType") or "image/png"
        return ImageData(url=f"data:{mime};base64,{data}", revised_prompt=revised)
    return ImageData(b64_json=str(data), revised_prompt=revised)


def _all_filtered(filtered: Sequence[Mapping[str, Any]], target: Target) -> ContentPolicyError:
    if filtered:
        message = "every image was filtered: " + "; ".join(str(f["reason"]) for f in filtered)
    else:
        message = "no images returned (Imagen omits images its safety filters block)"
    return ContentPolicyError(
        f"imagen {target.model}: {message}",
        upstream_status=200,
        deployment_id=target.deployment_id,
    )


FAMILY = ImagenFamily()
