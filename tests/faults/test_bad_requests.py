"""400s that no other same-sized deployment would answer differently: context window and content policy."""

from __future__ import annotations

import pytest

from tests.faults.checks import assert_alive, assert_complete, assert_routed, run
from tests.faults.conftest import Matrix
from tests.faults.matrix import FAMILIES, MODES, POLICY_MESSAGE

CASES = [(family, mode) for family in FAMILIES for mode in MODES]


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_context_window_exceeded_goes_to_the_context_window_fallback_not_a_same_sized_peer(
    matrix: Matrix, family: str, mode: str
) -> None:
    row, outcome = run(matrix, "context-window", family, mode)
    assert_complete(outcome, row, family, mode, answered_by="c")
    assert outcome.count("a") + outcome.count("b") == 1  # never resent to the same-sized deployment
    assert outcome.count("c") == 1
    assert outcome.attempts == 2
    assert_routed(matrix, outcome, row, family, mode, answered_by="c")
    assert_alive(matrix, family, mode)


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_content_policy_without_fallback_is_one_attempt_and_a_clean_400(matrix: Matrix, family: str, mode: str) -> None:
    _row, outcome = run(matrix, "content-policy", family, mode)
    assert outcome.status == 400
    assert outcome.count("a") == 1
    error = outcome.error_body
    assert isinstance(error, dict), error
    assert error["type"] == "invalid_request_error", error
    assert POLICY_MESSAGE in error["message"]
    assert_alive(matrix, family, mode)


@pytest.mark.parametrize("family", FAMILIES)
def test_content_policy_error_carries_openai_code(matrix: Matrix, family: str) -> None:
    _row, outcome = run(matrix, "content-policy", family, "unary")
    assert outcome.status == 400
    assert outcome.error_body["code"] == "content_policy_violation", outcome.error_body


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_content_policy_goes_to_the_named_content_policy_fallback(matrix: Matrix, family: str, mode: str) -> None:
    row, outcome = run(matrix, "content-policy-fallback", family, mode)
    assert_complete(outcome, row, family, mode, answered_by="c")
    assert (outcome.count("a"), outcome.count("c")) == (1, 1)
    assert_routed(matrix, outcome, row, family, mode, answered_by="c")
    assert_alive(matrix, family, mode)
