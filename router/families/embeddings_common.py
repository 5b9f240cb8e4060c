"""Pieces every embedding flavour shares: inputs, task types, vector encoding, response assembly and merging."""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from router.errors import InvalidRequestError, UpstreamError
from router.types import EmbeddingData, EmbeddingResponse, Usage

TASK_TYPES = frozenset(
    {
        "RETRIEVAL_QUERY",
        "RETRIEVAL_DOCUMENT",
        "SEMANTIC_SIMILARITY",
        "CLASSIFICATION",
        "CLUSTERING",
        "QUESTION_ANSWERING",
        "FACT_VERIFICATION",
        "CODE_RETRIEVAL_QUERY",
    }
)

# Hidden-param key under which a part's parse records how many inputs it covered (merge offsets input_index).
INPUTS_KEY = "embedding_inputs"


def input_items(params: Mapping[str, Any]) -> list[Any]:
    """``input`` as a list (a single string or dict becomes one item). Token-id arrays are refused: Vertex
    embeds text, and decoding OpenAI token ids would need OpenAI's tokenizer."""
    value = params.get("input")
    if isinstance(value, str | dict):
        return [value]
    if not isinstance(value, list) or not value:
        raise InvalidRequestError("input must be a non-empty string or list", param="input")
    if any(isinstance(item, int | list) for item in value):
        raise InvalidRequestError(
            "input as token ids is not supported by Vertex AI embeddings; send strings "
            "(LangChain OpenAIEmbeddings: check_embedding_ctx_length=False)",
            param="input",
        )
    return list(value)


def text_items(params: Mapping[str, Any]) -> list[str]:
    items = input_items(params)
    for item in items:
        if not isinstance(item, str):
            raise InvalidRequestError("this embedding model takes text input only (strings)", param="input")
    return items


def task_type(params: Mapping[str, Any]) -> str | None:
    """``input_type`` (LiteLLM's unified name) or ``task_type``, validated; both given must agree."""
    given = {k: str(params[k]).upper() for k in ("input_type", "task_type") if params.get(k) is not None}
    if len(set(given.values())) > 1:
        raise InvalidRequestError("input_type and task_type disagree; give one of them", param="task_type")
    if not given:
        return None
    key, value = next(iter(given.items()))
    if value not in TASK_TYPES:
        raise InvalidRequestError(f"{key} must be one of {', '.join(sorted(TASK_TYPES))}; got {value!r}", param=key)
    return value


def encoding_format(params: Mapping[str, Any]) -> str:
    fmt = params.get("encoding_format") or "float"
    if fmt not in ("float", "base64"):
        raise InvalidRequestError("encoding_format must be 'float' or 'base64'", param="encoding_format")
    return str(fmt)


def encode(vector: Sequence[float], fmt: str) -> list[float] | str:
    """``base64`` is what OpenAI returns: the float32 little-endian bytes of the vector, base64-encoded."""
    if fmt == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return list(vector)


def load_json(body: bytes, what: str) -> dict[str, Any]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise UpstreamError(f"{what}: response is not JSON", upstream_status=200) from exc
    if not isinstance(payload, dict):
        raise UpstreamError(f"{what}: response is not a JSON object", upstream_status=200)
    return payload


def malformed(what: str, detail: str) -> UpstreamError:
    return UpstreamError(f"{what}: malformed response ({detail})", upstream_status=200)


def vector_of(value: Any, what: str) -> list[float]:
    # Checks the shape, not every element: vectors run to 3,072 numbers and pydantic validates them anyway.
    if not isinstance(value, list) or (value and not isinstance(value[0], int | float)):
        raise malformed(what, "embedding values are not a list of numbers")
    return value


def build_response(
    data: list[EmbeddingData], model: str, prompt_tokens: int, *, inputs: int, hidden: Mapping[str, Any] | None = None
) -> EmbeddingResponse:
    response = EmbeddingResponse(
        data=data, model=model, usage=Usage(prompt_tokens=prompt_tokens, total_tokens=prompt_tokens)
    )
    response._hidden_params.update(hidden or {})
    response._hidden_params[INPUTS_KEY] = inputs
    return response


def merge_responses(parts: Sequence[EmbeddingResponse], model: str) -> EmbeddingResponse:
    """Concatenate part responses in order: ``index`` renumbered over the whole list, ``input_index`` (when a part
    sets it) shifted by the inputs the earlier parts covered, usage summed, hidden lists concatenated."""
    data: list[EmbeddingData] = []
    tokens = 0
    offset = 0
    hidden: dict[str, Any] = {}
    for part in parts:
        for item in part.data:
            extra = dict(item.model_extra or {})
            if "input_index" in extra:
                extra["input_index"] += offset
            data.append(EmbeddingData(index=len(data), embedding=item.embedding, **extra))
        tokens += part.usage.prompt_tokens
        _merge_hidden(hidden, part._hidden_params, offset)
        offset += int(part._hidden_params.get(INPUTS_KEY, len(part.data)))
    hidden["requests"] = len(parts)
    return build_response(data, model, tokens, inputs=offset, hidden=hidden)


def _merge_hidden(into: dict[str, Any], part: Mapping[str, Any], offset: int) -> None:
    for key, value in part.items():
        if key == INPUTS_KEY:
            continue
        if key == "truncated_inputs":
            into.setdefault(key, []).extend(i + offset for i in value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            into[key] = into.get(key, 0) + value
        else:
            into.setdefault(key, value)
