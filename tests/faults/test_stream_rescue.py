"""Streams that break after content reached the client, rescued by another deployment: prefill (the delivered
text as a trailing assistant turn, only the continuation streamed on) and replay (the original request again,
the delivered prefix checked and skipped). The client sees one uninterrupted stream with the healthy text."""

from __future__ import annotations

import pytest

from tests.faults.checks import ASSISTANT, assert_alive, assert_complete, deployment_id, last_turn, run
from tests.faults.conftest import Matrix
from tests.faults.matrix import FAMILIES, PROMPT

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
