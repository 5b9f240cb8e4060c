"""The embeddings family: OpenAI ``/embeddings`` → Vertex AI, in three flavours chosen by model (or by the
deployment option ``embedding_api: predict | multimodal | embed_content``):

- ``text``        text-embedding-*, text-multilingual-embedding-*, textembedding-gecko*, gemini-embedding-001 and
                  custom endpoints (``vertex_ai/<endpoint-id>``): ``:predict`` (``embeddings_text``);
- ``multimodal``  multimodalembedding*: ``:predict`` with text / image / video instances (``embeddings_multimodal``);
- ``embed_content`` gemini-embedding-2* and later: ``:embedContent``, one input per request (``embeddings_gemini``).

Inputs larger than one request allows are split (``split``) into parts the router sends concurrently, and the
parsed parts are reassembled in input order (``merge``): indices renumbered, usage summed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ValidationError

from router.errors import (
    ContextWindowExceededError,
    InvalidRequestError,
    UpstreamError,
)
from router.families import embeddings_gemini, embeddings_multimodal, embeddings_text
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
)
from router.families.embeddings_common import malformed, merge_responses
from router.types import EmbeddingResponse

Flavor = Literal["text", "multimodal", "embed_content"]
_API_OPTION: dict[str, Flavor] = {"predict": "text", "multimodal": "multimodal", "embed_content": "embed_content"}
# gemini-embedding-001 is a :predict model; the later Gemini embedding models are served by :embedContent.
_EMBED_CONTENT = re.compile(r"^gemini-embedding-(?!001)")
# Vertex's 400 when autoTruncate is off and an input is longer than the model takes.
_TOO_LONG = re.compile(r"input token count|\btokens?\b.*\bexceed|\bexceed\w*\b.*\btokens?\b", re.I)


def flavor(target: Target) -> Flavor:
    option = target.options.get("embedding_api")
    if option is not None:
        if option not in _API_OPTION:
            raise InvalidRequestError(f"embedding_api must be one of {sorted(_API_OPTION)}", param="model")
        return _API_OPTION[option]
    model = target.model.lower()
    if model.startswith("multimodalembedding"):
        return "multimodal"
    if target.endpoint_id is None and _EMBED_CONTENT.match(model):
        return "embed_content"
    return "text"


class EmbeddingsFamily(BaseFamily):
    name = "embeddings"
    kinds: frozenset[CallKind] = frozenset({"embedding"})

    def supported_params(self, target: Target) -> frozenset[str]:
        match flavor(target):
            case "multimodal":
                return embeddings_multimodal.PARAMS
            case "embed_content":
                return embeddings_gemini.PARAMS
            case _:
                return embeddings_text.supported_params(target)

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest:
        match flavor(target):
            case "multimodal":
                return embeddings_multimodal.build(request, target)
            case "embed_content":
                return embeddings_gemini.build(request, target)
            case _:
                return embeddings_text.build(request, target)

    def parse_response(self, response: UpstreamResponse, request: CallRequest, target: Target) -> EmbeddingResponse:
        model = target.model
        try:
            match flavor(target):
                case "multimodal":
                    parsed = embeddings_multimodal.parse(response, request, target, model)
                case "embed_content":
                    parsed = embeddings_gemini.parse(response, request, target, model)
                case _:
                    parsed = embeddings_text.parse(response, request, target, model)
        except ValidationError as exc:  # a vector with a non-number inside (only the first element is pre-checked)
            raise malformed(f"embeddings {target.model}", "embedding values are not numbers") from exc
        parsed._hidden_params["deployment_id"] = target.deployment_id
        return parsed

    def split(self, request: CallRequest, target: Target) -> list[CallRequest] | None:
        match flavor(target):
            case "multimodal":
                return embeddings_multimodal.split(request, target)
            case "embed_content":
                return embeddings_gemini.split(request, target)
            case _:
                return embeddings_text.split(request, target)

    def merge(self, parts: Sequence[Any], request: CallRequest, target: Target) -> EmbeddingResponse:
        merged = merge_responses(parts, target.model)
        merged._hidden_params["deployment_id"] = target.deployment_id
        return merged

    def stream_parser(self, request: CallRequest, target: Target) -> StreamParser:
        raise InvalidRequestError("embeddings cannot be streamed", param="stream")

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        error = classify_by_status(response, target)
        if response.status == 400 and _TOO_LONG.search(error_message(response.body)[0]):
            return ContextWindowExceededError(
                error.message,
                upstream_status=400,
                deployment_id=target.deployment_id,
            )
        return error


FAMILY = EmbeddingsFamily()
