"""Splitting large embedding inputs into requests Vertex accepts, and merging the answers back in order."""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import Any

import orjson
import pytest

from router.errors import InvalidRequestError, UpstreamError
from router.families.base import CallRequest, PreparedRequest, Target, UpstreamResponse
from router.families.embeddings import FAMILY
from router.families.embeddings_text import MAX_TOKENS, Limits, batch_bounds, estimate_tokens
from router.types import EmbeddingResponse


def target(model: str = "text-embedding-005", **options: Any) -> Target:
    return Target(
        family="embeddings", model=model, project="p1", location="us-central1", deployment_id="d1", options=options
    )


def fake_vertex(prepared: PreparedRequest) -> UpstreamResponse:
    """Answers like Vertex text :predict: each text's vector encodes its number ("text 17" → [17.0])."""
    assert prepared.body is not None
    body = orjson.loads(prepared.body)
    predictions = []
    for inst in body["instances"]:
        number = float(inst["content"].split()[-1])
        predictions.append({"embeddings": {"values": [number], "statistics": {"token_count": 2, "truncated": False}}})
    return UpstreamResponse(200, {}, orjson.dumps({"predictions": predictions}))


async def send_all(request: CallRequest, tgt: Target) -> tuple[EmbeddingResponse, list[PreparedRequest]]:
    """What the router does: split, send the parts concurrently, parse each, merge."""
    parts = FAMILY.split(request, tgt) or [request]
    prepared = [FAMILY.build_request(p, tgt) for p in parts]

    async def one(p: PreparedRequest, part: CallRequest) -> Any:
        await asyncio.sleep(0)
        return FAMILY.parse_response(fake_vertex(p), part, tgt)

    parsed = await asyncio.gather(*(one(p, part) for p, part in zip(prepared, parts, strict=True)))
    if len(parts) == 1:
        return parsed[0], prepared
    return FAMILY.merge(parsed, request, tgt), prepared


async def test_1000_short_inputs_become_four_requests_and_1000_vectors_in_order() -> None:
    texts = [f"text {i}" for i in range(1000)]
    result, prepared = await send_all(CallRequest("embedding", {"input": texts}), target())
    assert len(prepared) == 4
    assert [len(orjson.loads(p.body or b"")["instances"]) for p in prepared] == [250, 250, 250, 250]
    assert [d.index for d in result.data] == list(range(1000))
    assert [d.embedding for d in result.data] == [[float(i)] for i in range(1000)]
    assert result.usage.prompt_tokens == result.usage.total_tokens == 2000


async def test_mixed_batch_of_short_and_long_inputs_stays_in_order_within_the_token_budget() -> None:
    texts = [f"{'x' * (i % 7) * 900} {i}" for i in range(1000)]
    result, prepared = await send_all(CallRequest("embedding", {"input": texts}), target())
    for p in prepared:
        instances = orjson.loads(p.body or b"")["instances"]
        assert len(instances) <= 250
        assert sum(estimate_tokens(inst["content"]) for inst in instances) <= MAX_TOKENS
    assert len(prepared) > 4
    assert [d.embedding for d in result.data] == [[float(i)] for i in range(1000)]


async def test_gemini_embedding_001_sends_one_instance_per_request() -> None:
    texts = [f"t {i}" for i in range(5)]
    result, prepared = await send_all(CallRequest("embedding", {"input": texts}), target("gemini-embedding-001"))
    assert len(prepared) == 5
    assert [d.embedding for d in result.data] == [[float(i)] for i in range(5)]
    assert result._hidden_params["requests"] == 5


async def test_base64_encoding_survives_the_merge_as_float32_little_endian() -> None:
    texts = [f"t {i}" for i in range(3)]
    request = CallRequest("embedding", {"input": texts, "encoding_format": "base64"})
    result, _ = await send_all(request, target("gemini-embedding-001"))
    decoded = [struct.unpack("<f", base64.b64decode(str(d.embedding)))[0] for d in result.data]
    assert decoded == [0.0, 1.0, 2.0]


def test_small_input_is_not_split() -> None:
    assert FAMILY.split(CallRequest("embedding", {"input": ["a", "b"]}), target()) is None


def test_oversize_text_travels_alone() -> None:
    huge = "y" * (2 * MAX_TOKENS + 10)
    assert batch_bounds(["a", huge, "b"], Limits(250, MAX_TOKENS)) == [(0, 1), (1, 2), (2, 3)]


def test_batches_close_when_the_next_text_would_exceed_the_token_budget() -> None:
    texts = ["z" * 20] * 5  # 10 estimated tokens each
    assert batch_bounds(texts, Limits(250, 25)) == [(0, 2), (2, 4), (4, 5)]


@pytest.mark.parametrize(
    ("text", "at_least"),
    [("hello world, this is English", 7), ("日本語のテキスト", 8), ("", 1)],
)
def test_token_estimate_over_counts_english_and_cjk(text: str, at_least: int) -> None:
    assert estimate_tokens(text) >= at_least


def test_deployment_options_override_the_batch_limits() -> None:
    parts = FAMILY.split(CallRequest("embedding", {"input": ["a"] * 10}), target(max_batch_size=3))
    assert parts is not None
    assert [len(p.params["input"]) for p in parts] == [3, 3, 3, 1]


def test_bad_batch_option_is_a_clear_error() -> None:
    with pytest.raises(InvalidRequestError, match="max_batch_size"):
        FAMILY.split(CallRequest("embedding", {"input": ["a"]}), target(max_batch_size=0))


def test_multimodal_merge_shifts_input_index_by_the_inputs_of_earlier_parts() -> None:
    tgt = target("multimodalembedding@001")
    request = CallRequest("embedding", {"input": ["gs://b/v.mp4", {"text": "t", "image": "gs://b/i.png"}, "x"]})
    parts = FAMILY.split(request, tgt)
    assert parts is not None
    assert len(parts) == 3
    answers = [
        {
            "videoEmbeddings": [
                {"startOffsetSec": 0, "endOffsetSec": 16, "embedding": [1.0]},
                {"startOffsetSec": 16, "endOffsetSec": 32, "embedding": [2.0]},
            ]
        },
        {"imageEmbedding": [4.0], "textEmbedding": [3.0]},
        {"textEmbedding": [5.0]},
    ]
    parsed = [
        FAMILY.parse_response(UpstreamResponse(200, {}, orjson.dumps({"predictions": [a]})), part, tgt)
        for a, part in zip(answers, parts, strict=True)
    ]
    merged = FAMILY.merge(parsed, request, tgt)
    rows = [(d.index, d.input_index, d.modality, d.embedding) for d in merged.data]  # type: ignore[attr-defined]
    assert rows == [
        (0, 0, "video", [1.0]),
        (1, 0, "video", [2.0]),
        (2, 1, "text", [3.0]),
        (3, 1, "image", [4.0]),
        (4, 2, "text", [5.0]),
    ]


@pytest.mark.parametrize("values", [[0.1, "x"], ["x"], {"a": 1}, None])
def test_vector_with_non_numbers_is_a_malformed_upstream_response(values: Any) -> None:
    body = {"predictions": [{"embeddings": {"values": values, "statistics": {"token_count": 1}}}]}
    with pytest.raises(UpstreamError, match="malformed"):
        FAMILY.parse_response(
            UpstreamResponse(200, {}, orjson.dumps(body)), CallRequest("embedding", {"input": "a"}), target()
        )
