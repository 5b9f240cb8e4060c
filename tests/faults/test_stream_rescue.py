"""Streams that break after content reached the client, rescued by another deployment: prefill (the delivered
text as a trailing assistant turn, only the continuation streamed on) and replay (the original request again,
the delivered prefix checked and skipped). The client sees one uninterrupted stream with the healthy text."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.faults.checks import ASSISTANT, assert_alive, assert_complete, deployment_id, last_turn, run
from tests.faults.conftest import Matrix
from tests.faults.matrix import FAMILIES, MESSAGES, PROMPT, ROW_BY_KEY, arm, group_name

PREFILL_ROWS = ("cut", "stall", "malformed", "no-terminal")


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("key", PREFILL_ROWS)
def test_broken_stream_is_finished_by_prefill_on_the_next_deployment(matrix: Matrix, key: str, family: str) -> None:
    row, outcome = run(matrix, key, family, "stream")
    assert_complete(outcome, row, family, "stream", answered_by="b", rescued=True)
    assert (outcome.count("a"), outcome.count("b")) == (1, 1)
    # The headers left before the break: they name the first deployment and its single attempt.
    assert (outcome.header_attempts, outcome.header_deployment) == (
        1,
        deployment_id(matrix, key, family, "stream", "a"),
    )
    role, prefill = last_turn(outcome.requests["b"][0], family)
    assert role == ASSISTANT[family]
    assert prefill and outcome.reference.startswith(prefill)  # what was delivered, to continue from
    assert_alive(matrix, family, "stream")


@pytest.mark.parametrize("family", FAMILIES)
def test_cut_stream_whose_rescuer_rejects_prefill_is_finished_by_replay(matrix: Matrix, family: str) -> None:
    row, outcome = run(matrix, "replay", family, "stream")
    assert_complete(outcome, row, family, "stream", answered_by="b", rescued=True)
    assert (outcome.count("a"), outcome.count("b")) == (1, 1)
    assert last_turn(outcome.requests["b"][0], family) == ("user", PROMPT)  # the original request, no prefill
    assert_alive(matrix, family, "stream")


@pytest.mark.parametrize("family", FAMILIES)
def test_cut_stream_of_a_lone_deployment_is_finished_by_the_fallback_group(matrix: Matrix, family: str) -> None:
    row, outcome = run(matrix, "cut-fallback", family, "stream")
    assert_complete(outcome, row, family, "stream", answered_by="c", rescued=True)
    assert (outcome.count("a"), outcome.count("c")) == (1, 1)
    assert last_turn(outcome.requests["c"][0], family)[0] == ASSISTANT[family]
    assert_alive(matrix, family, "stream")


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("key", ["cut-alone", "cut-rescue-off"])
def test_unrescuable_cut_ends_with_an_error_event_after_the_delivered_text(
    matrix: Matrix, key: str, family: str
) -> None:
    _row, outcome = run(matrix, key, family, "stream")
    assert outcome.status == 200  # the stream had started
    assert outcome.error is not None  # ...and ends with the typed error event, not a silent [DONE]
    assert outcome.text and outcome.reference.startswith(outcome.text) and outcome.text != outcome.reference
    assert outcome.count("a") == 1
    assert outcome.count("b") == 0  # rescue is off (or there is no other deployment): nothing re-issued
    assert_alive(matrix, family, "stream")


def raw_stream(matrix: Matrix, key: str, family: str) -> list[Any]:
    """The SSE ``data:`` payloads of one streamed call with the row's faults armed (``"[DONE]"`` kept as is)."""
    row = ROW_BY_KEY[key]
    added = arm(matrix.emulator.app.faults, row, family, "stream")
    try:
        body = {
            "model": group_name(key, family, "stream"),
            "messages": MESSAGES,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        response = httpx.post(f"{matrix.proxy.url}/v1/chat/completions", json=body, timeout=30)
    finally:
        for fault in added:
            matrix.emulator.app.faults.remove(fault.id)
    payloads = [line[len("data: ") :] for line in response.text.split("\n") if line.startswith("data: ")]
    return [p if p == "[DONE]" else orjson.loads(p) for p in payloads]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("key", ["cut", "replay"])
def test_rescued_stream_is_one_stream_on_the_wire(matrix: Matrix, key: str, family: str) -> None:
    events = raw_stream(matrix, key, family)
    chunks = [e for e in events if e != "[DONE]"]
    assert events.count("[DONE]") == 1 and events[-1] == "[DONE]"
    assert not any("error" in c for c in chunks)
    choices = [choice for c in chunks for choice in c["choices"]]
    assert sum(1 for choice in choices if choice["delta"].get("role")) == 1
    assert [choice["finish_reason"] for choice in choices if choice["finish_reason"]] == ["stop"]
    assert sum(1 for c in chunks if c.get("usage")) == 1


@pytest.mark.xfail(
    strict=True,
    reason="bug (router/_stream.py ChatStream._next_rescued): continuation chunks keep the rescuer's chunk id",
)
@pytest.mark.parametrize("family", FAMILIES)
def test_rescued_stream_keeps_one_chunk_id(matrix: Matrix, family: str) -> None:
    chunks = [e for e in raw_stream(matrix, "cut", family) if e != "[DONE]"]
    assert len({c["id"] for c in chunks}) == 1
