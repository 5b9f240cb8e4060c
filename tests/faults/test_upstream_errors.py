"""Errors before the first byte, through ``vertex-router serve``: rate limits, 5xx, resets, silence, a slow
first token. Each ends in the healthy answer, with the attempts the emulator saw echoed by the proxy."""

from __future__ import annotations

import pytest

from tests.faults.checks import assert_alive, assert_complete, assert_routed, deployment_id, run
from tests.faults.conftest import Matrix
from tests.faults.matrix import FAMILIES, MODES, ROUTER_SETTINGS

CASES = [(family, mode) for family in FAMILIES for mode in MODES]
MAX_TRIES_ONE_DEPLOYMENT = 1 + int(ROUTER_SETTINGS["num_retries"])


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_429_once_with_retry_after_is_waited_out_and_retried_once(matrix: Matrix, family: str, mode: str) -> None:
    row, outcome = run(matrix, "429-once", family, mode)
    assert_complete(outcome, row, family, mode, answered_by="a")
    assert outcome.count("a") == 2  # the 429, then one retry after Retry-After: never a burst
    assert_routed(matrix, outcome, row, family, mode, answered_by="a")
    assert_alive(matrix, family, mode)


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_persistent_429_without_retry_after_falls_back_after_bounded_attempts(
    matrix: Matrix, family: str, mode: str
) -> None:
    row, outcome = run(matrix, "429-persistent", family, mode)
    assert_complete(outcome, row, family, mode, answered_by="c")
    assert 1 <= outcome.count("a") <= MAX_TRIES_ONE_DEPLOYMENT
    assert outcome.count("c") == 1
    assert_routed(matrix, outcome, row, family, mode, answered_by="c")
    assert_alive(matrix, family, mode)


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_500_once_is_retried(matrix: Matrix, family: str, mode: str) -> None:
    row, outcome = run(matrix, "500-once", family, mode)
    assert_complete(outcome, row, family, mode, answered_by="a")
    assert outcome.count("a") == 2
    assert_routed(matrix, outcome, row, family, mode, answered_by="a")
    assert_alive(matrix, family, mode)


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_persistent_503_falls_back_after_bounded_attempts(matrix: Matrix, family: str, mode: str) -> None:
    row, outcome = run(matrix, "503-persistent", family, mode)
    assert_complete(outcome, row, family, mode, answered_by="c")
    assert 1 <= outcome.count("a") <= MAX_TRIES_ONE_DEPLOYMENT
    assert outcome.count("c") == 1
    assert_routed(matrix, outcome, row, family, mode, answered_by="c")
    assert_alive(matrix, family, mode)


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_reset_before_headers_is_retried_on_the_other_deployment(matrix: Matrix, family: str, mode: str) -> None:
    row, outcome = run(matrix, "reset", family, mode)
    assert_complete(outcome, row, family, mode, answered_by="b")
    assert (outcome.count("a"), outcome.count("b")) == (1, 1)
    assert_routed(matrix, outcome, row, family, mode, answered_by="b")
    assert_alive(matrix, family, mode)


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_unreachable_upstream_fails_over_at_the_connect_deadline(matrix: Matrix, family: str, mode: str) -> None:
    row, outcome = run(matrix, "unreachable", family, mode)
    assert_complete(outcome, row, family, mode, answered_by="b")
    assert (outcome.count("a"), outcome.count("b")) == (0, 1)  # a never got as far as the emulator
    assert outcome.header_attempts == 2
    assert outcome.header_deployment == deployment_id(matrix, "unreachable", family, mode, "b")
    assert_alive(matrix, family, mode)


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_silent_upstream_gets_exactly_one_attempt_then_fails_over(matrix: Matrix, family: str, mode: str) -> None:
    row, outcome = run(matrix, "silent", family, mode)
    assert_complete(outcome, row, family, mode, answered_by="b")
    assert (outcome.count("a"), outcome.count("b")) == (1, 1)
    assert_routed(matrix, outcome, row, family, mode, answered_by="b")
    assert_alive(matrix, family, mode)


@pytest.mark.parametrize("family", FAMILIES)
def test_silent_lone_deployment_gets_one_attempt_before_the_fallback_group(matrix: Matrix, family: str) -> None:
    row, outcome = run(matrix, "silent-alone", family, "stream")
    assert_complete(outcome, row, family, "stream", answered_by="c")
    assert (outcome.count("a"), outcome.count("c")) == (1, 1)
    assert_alive(matrix, family, "stream")


@pytest.mark.parametrize(("family", "mode"), CASES)
def test_first_token_after_the_deadline_fails_over(matrix: Matrix, family: str, mode: str) -> None:
    row, outcome = run(matrix, "slow-first-token", family, mode)
    assert_complete(outcome, row, family, mode, answered_by="b")
    assert (outcome.count("a"), outcome.count("b")) == (1, 1)
    assert_routed(matrix, outcome, row, family, mode, answered_by="b")
    assert_alive(matrix, family, mode)
