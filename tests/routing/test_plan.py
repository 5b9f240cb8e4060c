"""The attempt plan: one budget and one deadline for retries and fallback hops, counted call by call."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from router.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    ContextWindowExceededError,
    CredentialsError,
    InternalServerError,
    InvalidRequestError,
    MidStreamError,
    NoDeploymentAvailableError,
    NotFoundError,
    RateLimitError,
    UnknownModelError,
    UpstreamError,
    UpstreamTimeoutError,
)

from .fakes import Harness, dep


def e500() -> InternalServerError:
    return InternalServerError("boom", upstream_status=500)


@pytest.mark.parametrize(
    ("num_retries", "expected"),
    [
        (0, ["a1", "b1", "c1", "d1"]),  # breadth-first: a's list [b, c], then b's [d]
        (2, ["a1", "a1", "a1", "b1", "c1", "d1"]),
    ],
)
async def test_nested_fallback_chain_makes_exactly_the_planned_calls(
    h: Harness, num_retries: int, expected: list[str]
) -> None:
    deps = [dep("a", "a1"), dep("b", "b1"), dep("c", "c1"), dep("d", "d1")]
    engine = h.engine(deps, num_retries=num_retries, fallbacks=[{"a": ["b", "c"]}, {"b": ["d"]}])
    for d in deps:
        h.upstream.always(d.id, e500())
    with pytest.raises(NoDeploymentAvailableError) as info:
        await engine.execute("a", h.upstream)
    assert h.upstream.calls == expected
    assert len(h.upstream.calls) <= 1 + num_retries + 3
    assert len(info.value.attempts) == len(expected)
    # Backoff only before re-trying a1 (the same deployment); never after the last attempt or before a hop.
    assert len(h.sleep.calls) == num_retries


async def test_fallback_success_reports_the_group_and_hops(h: Harness) -> None:
    engine = h.engine([dep("a", "a1"), dep("b", "b1")], num_retries=1, fallbacks={"a": ["b"]})
    h.upstream.always("a1", e500())
    with capture_logs() as logs:
        result, report = await engine.execute("a", h.upstream)
    assert result == "ok:b1"
    assert h.upstream.calls == ["a1", "a1", "b1"]
    assert report.model_group == "b"
    assert report.fallback_used == "b"
    assert report.requested_group == "a"
    assert report.retries == 1
    assert report.hops == 1
    assert report.attempt_count == 3
    assert [r.deployment_id for r in report.attempts] == ["a1", "a1", "b1"]
    assert report.attempts[-1].error is None
    assert isinstance(report.attempts[0].error, InternalServerError)
    events = [e["event"] for e in logs]
    assert events.count("attempt_failed") == 2
    assert {"from_group": "a", "to_group": "b"}.items() <= next(
        e for e in logs if e["event"] == "fallback_used"
    ).items()
    assert len(h.sleep.calls) == 1, "one backoff before re-trying a1, none before the hop"


async def test_max_fallbacks_limits_hops(h: Harness) -> None:
    deps = [dep(g, g + "1") for g in "abcd"]
    engine = h.engine(deps, num_retries=0, max_fallbacks=2, fallbacks={"a": ["b", "c", "d"]})
    for d in deps:
        h.upstream.always(d.id, e500())
    with pytest.raises(NoDeploymentAvailableError):
        await engine.execute("a", h.upstream)
    assert h.upstream.calls == ["a1", "b1", "c1"]


async def test_fallback_cycles_are_never_revisited(h: Harness) -> None:
    engine = h.engine([dep("a", "a1"), dep("b", "b1")], num_retries=0, fallbacks={"a": ["b"], "b": ["a"]})
    h.upstream.always("a1", e500()).always("b1", e500())
    with pytest.raises(NoDeploymentAvailableError):
        await engine.execute("a", h.upstream)
    assert h.upstream.calls == ["a1", "b1"]


async def test_default_fallbacks_and_star_apply_when_the_group_has_no_entry(h: Harness) -> None:
    engine = h.engine([dep("a", "a1"), dep("z", "z1")], num_retries=0, default_fallbacks=["z"])
    h.upstream.always("a1", e500())
    result, report = await engine.execute("a", h.upstream)
    assert result == "ok:z1"
    assert report.fallback_used == "z"


async def test_retry_goes_to_a_different_deployment_without_sleeping(h: Harness) -> None:
    engine = h.engine([dep("g", "A"), dep("g", "B"), dep("g", "C")], num_retries=2)
    h.upstream.always("A", e500()).always("B", e500())
    for _ in range(5):
        h.upstream.calls.clear()
        result, _report = await engine.execute("g", h.upstream)
        assert result == "ok:C"
        assert len(h.upstream.calls) == len(set(h.upstream.calls)), "each retry picks an untried deployment"
    assert h.sleep.calls == []


async def test_all_three_failing_exhausts_budget_without_a_final_sleep(h: Harness) -> None:
    engine = h.engine([dep("g", "A"), dep("g", "B")], num_retries=3)
    h.upstream.always("A", e500()).always("B", e500())
    with pytest.raises(NoDeploymentAvailableError) as info:
        await engine.execute("g", h.upstream)
    assert len(h.upstream.calls) == 4
    assert set(h.upstream.calls[:2]) == {"A", "B"}
    assert len(h.sleep.calls) == 2, "backoff before each re-try of a failed deployment, none after the last"
    assert len(info.value.attempts) == 4


async def test_single_deployment_backoff_is_exponential_and_honours_retry_after(h: Harness) -> None:
    engine = h.engine([dep("g", "A")], num_retries=2, backoff_base=1.0, backoff_max=100, disable_cooldowns=True)
    h.upstream.then("A", e500(), InternalServerError("x", upstream_status=503, retry_after=4), e500())
    with pytest.raises(NoDeploymentAvailableError):
        await engine.execute("g", h.upstream)
    assert h.upstream.calls == ["A", "A", "A"]
    assert len(h.sleep.calls) == 2
    assert 0.5 <= h.sleep.calls[0] <= 1.0
    assert h.sleep.calls[1] == 4


async def test_backoff_that_would_overrun_the_deadline_is_not_slept(h: Harness) -> None:
    engine = h.engine([dep("g", "A")], num_retries=3, disable_cooldowns=True)
    h.upstream.always("A", InternalServerError("x", upstream_status=503, retry_after=30))
    with pytest.raises(NoDeploymentAvailableError):
        await engine.execute("g", h.upstream, timeout=10)
    assert h.upstream.calls == ["A"]
    assert h.sleep.calls == []


async def test_all_cooling_waits_for_the_earliest_when_it_fits_the_deadline(h: Harness) -> None:
    engine = h.engine([dep("g", "A")], num_retries=1)
    h.upstream.then("A", RateLimitError("q", upstream_status=429, retry_after=3))
    result, report = await engine.execute("g", h.upstream, timeout=10)
    assert result == "ok:A"
    assert h.sleep.calls == [3]
    assert report.retries == 1


async def test_all_cooling_beyond_the_deadline_fails_at_once_with_retry_after(h: Harness) -> None:
    engine = h.engine([dep("g", "A"), dep("g", "B")], num_retries=2)
    h.upstream.then("A", RateLimitError("q", upstream_status=429, retry_after=40))
    h.upstream.then("B", RateLimitError("q", upstream_status=429, retry_after=50))
    with pytest.raises(NoDeploymentAvailableError) as info:
        await engine.execute("g", h.upstream, timeout=20)
    assert sorted(h.upstream.calls) == ["A", "B"]
    assert h.sleep.calls == []
    assert info.value.retry_after == pytest.approx(40)
    assert info.value.status_code == 429


async def test_cooling_group_hops_to_fallback_without_waiting(h: Harness) -> None:
    engine = h.engine([dep("a", "a1"), dep("b", "b1")], num_retries=2, fallbacks={"a": ["b"]})
    h.upstream.then("a1", RateLimitError("q", upstream_status=429, retry_after=5))
    result, report = await engine.execute("a", h.upstream)
    assert result == "ok:b1"
    assert h.upstream.calls == ["a1", "b1"]
    assert h.sleep.calls == []
    result, report = await engine.execute("a", h.upstream)  # a1 still cooling: straight to b, no a1 call
    assert h.upstream.calls == ["a1", "b1", "b1"]
    assert report.attempt_count == 1
    assert report.fallback_used == "b"


async def test_context_window_goes_to_its_fallback_not_to_a_sibling(h: Harness) -> None:
    engine = h.engine(
        [dep("small", "s1"), dep("small", "s2"), dep("big", "b1"), dep("other", "o1")],
        num_retries=3,
        context_window_fallbacks=[{"small": ["big"]}],
        fallbacks=[{"small": ["other"]}],
    )
    h.upstream.always("s1", ContextWindowExceededError("long")).always("s2", ContextWindowExceededError("long"))
    result, _report = await engine.execute("small", h.upstream)
    assert result == "ok:b1"
    assert len(h.upstream.calls) == 2
    assert h.upstream.calls[1] == "b1"
    assert h.sleep.calls == []


async def test_context_window_without_its_fallback_raises_the_typed_error(h: Harness) -> None:
    engine = h.engine([dep("small", "s1"), dep("small", "s2"), dep("o", "o1")], fallbacks={"small": ["o"]})
    h.upstream.always("s1", ContextWindowExceededError("long")).always("s2", ContextWindowExceededError("long"))
    with pytest.raises(ContextWindowExceededError):
        await engine.execute("small", h.upstream)
    assert len(h.upstream.calls) == 1


async def test_content_policy_is_one_attempt_unless_content_policy_fallbacks(h: Harness) -> None:
    deps = [dep("g", "A"), dep("g", "B"), dep("safe", "S")]
    engine = h.engine(deps, num_retries=3, fallbacks={"g": ["safe"]})
    h.upstream.always("A", ContentPolicyError("blocked")).always("B", ContentPolicyError("blocked"))
    with pytest.raises(ContentPolicyError):
        await engine.execute("g", h.upstream)
    assert len(h.upstream.calls) == 1

    h2 = Harness()
    engine2 = h2.engine(deps, num_retries=3, content_policy_fallbacks={"g": ["safe"]})
    h2.upstream.always("A", ContentPolicyError("blocked")).always("B", ContentPolicyError("blocked"))
    result, _ = await engine2.execute("g", h2.upstream)
    assert result == "ok:S"
    assert len(h2.upstream.calls) == 2


async def test_bad_request_is_neither_retried_nor_a_reason_to_fall_back(h: Harness) -> None:
    engine = h.engine([dep("g", "A"), dep("g", "B"), dep("f", "F")], num_retries=3, fallbacks={"g": ["f"]})
    h.upstream.always("A", BadRequestError("bad", upstream_status=400))
    h.upstream.always("B", BadRequestError("bad", upstream_status=400))
    with pytest.raises(BadRequestError):
        await engine.execute("g", h.upstream)
    assert len(h.upstream.calls) == 1


async def test_bad_request_retry_policy_allows_another_deployment_never_the_same(h: Harness) -> None:
    engine = h.engine([dep("g", "A"), dep("g", "B")], retry_policy={"BadRequestErrorRetries": 3})
    h.upstream.always("A", BadRequestError("bad")).always("B", BadRequestError("bad"))
    with pytest.raises(NoDeploymentAvailableError):
        await engine.execute("g", h.upstream)
    assert sorted(h.upstream.calls) == ["A", "B"]
    assert h.sleep.calls == []


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("401", upstream_status=401),
        NotFoundError("404", upstream_status=404),
        CredentialsError("bad key", source="file"),
    ],
)
async def test_deployment_specific_errors_move_to_another_deployment_never_the_same(
    h: Harness, error: Exception
) -> None:
    engine = h.engine([dep("g", "A"), dep("g", "B")], num_retries=5)
    h.upstream.always("A", error).always("B", error)
    with pytest.raises(NoDeploymentAvailableError) as info:
        await engine.execute("g", h.upstream)
    assert sorted(h.upstream.calls) == ["A", "B"]
    assert h.sleep.calls == []
    assert len(info.value.attempts) == 2


async def test_single_non_retryable_attempt_raises_that_typed_error(h: Harness) -> None:
    engine = h.engine([dep("g", "A")])
    h.upstream.always("A", NotFoundError("no such model", upstream_status=404))
    with pytest.raises(NotFoundError):
        await engine.execute("g", h.upstream)


async def test_retry_policy_per_class_limits_retries(h: Harness) -> None:
    engine = h.engine(
        [dep("g", "A"), dep("g", "B"), dep("g", "C")], num_retries=5, retry_policy={"RateLimitErrorRetries": 1}
    )
    for d in "ABC":
        h.upstream.always(d, RateLimitError("q", upstream_status=429))
    with pytest.raises(NoDeploymentAvailableError):
        await engine.execute("g", h.upstream)
    assert len(h.upstream.calls) == 2


async def test_group_retry_policy_wins_over_router_policy(h: Harness) -> None:
    engine = h.engine(
        [dep("g", "A"), dep("g", "B"), dep("g", "C")],
        retry_policy={"InternalServerErrorRetries": 2},
        model_group_retry_policy={"g": {"InternalServerErrorRetries": 0}},
    )
    for d in "ABC":
        h.upstream.always(d, e500())
    with pytest.raises(NoDeploymentAvailableError):
        await engine.execute("g", h.upstream)
    assert len(h.upstream.calls) == 1


async def test_per_request_num_retries_overrides(h: Harness) -> None:
    engine = h.engine([dep("g", "A"), dep("g", "B"), dep("g", "C")], num_retries=0)
    for d in "ABC":
        h.upstream.always(d, APIConnectionError("refused"))
    with pytest.raises(NoDeploymentAvailableError):
        await engine.execute("g", h.upstream, num_retries=2)
    assert len(h.upstream.calls) == 3


async def test_errors_that_are_not_attempt_failures_propagate_untouched(h: Harness) -> None:
    engine = h.engine([dep("g", "A"), dep("g", "B")], num_retries=3)
    h.upstream.always("A", InvalidRequestError("bad param")).always("B", InvalidRequestError("bad param"))
    with pytest.raises(InvalidRequestError):
        await engine.execute("g", h.upstream)
    h.upstream.always("A", MidStreamError("cut")).always("B", MidStreamError("cut"))
    with pytest.raises(MidStreamError):
        await engine.execute("g", h.upstream)
    assert len(h.upstream.calls) == 2
    assert all(v["in_flight"] == 0 for v in engine.health().values())


async def test_deadline_bounds_the_whole_plan(h: Harness) -> None:
    h.upstream.latency = 4.0
    engine = h.engine([dep("g", d) for d in "ABCDE"], num_retries=10)
    for d in "ABCDE":
        h.upstream.always(d, e500())
    with pytest.raises(NoDeploymentAvailableError):
        await engine.execute("g", h.upstream, timeout=10)
    assert len(h.upstream.calls) == 3
    assert h.upstream.infos[0].timeout == 10
    assert h.upstream.infos[2].timeout == pytest.approx(2)


async def test_unknown_model_raises(h: Harness) -> None:
    engine = h.engine([dep("g", "A")])
    with pytest.raises(UnknownModelError):
        await engine.execute("nope", h.upstream)


async def test_attempt_info_carries_stream_deadlines(h: Harness) -> None:
    engine = h.engine([dep("g", "A", first_token_timeout=3)], stream_timeout=8, timeout=60)
    await engine.execute("g", h.upstream, stream=True)
    info = h.upstream.infos[0]
    assert info.stream
    assert info.first_token_timeout == 3
    assert info.timeout == 60
    assert info.attempt == 1
    assert not info.is_retry
    assert not info.is_fallback


async def test_callbacks_see_every_decision_and_a_broken_one_changes_nothing(h: Harness) -> None:
    engine = h.engine([dep("a", "a1"), dep("b", "b1")], num_retries=0, fallbacks={"a": ["b"]})
    seen: list[tuple[str, dict[str, object]]] = []

    def broken(event: str, fields: dict[str, object]) -> None:
        raise RuntimeError("callback bug")

    async def record(event: str, fields: dict[str, object]) -> None:
        seen.append((event, fields))

    engine.add_callback(broken)
    engine.add_callback(record)
    h.upstream.then("a1", RateLimitError("q", upstream_status=429))
    result, _ = await engine.execute("a", h.upstream)
    assert result == "ok:b1"
    assert [e for e, _ in seen] == ["attempt_failed", "deployment_cooled_down", "fallback_used", "attempt_succeeded"]
    failed = seen[0][1]
    assert failed["deployment_id"] == "a1"
    assert failed["status"] == 429
    assert failed["error"] == "RateLimitError"
    assert failed["attempt"] == 1
    assert "latency_ms" in failed


@pytest.mark.parametrize(
    "error",
    [UpstreamTimeoutError("no first token", upstream_status=None), APIConnectionError("reset", upstream_status=None)],
)
async def test_a_deployment_that_did_not_answer_gets_one_attempt_before_the_fallback(
    h: Harness, error: UpstreamError
) -> None:
    engine = h.engine([dep("a", "a1"), dep("b", "b1")], num_retries=2, fallbacks={"a": ["b"]})
    h.upstream.always("a1", error)
    result, _report = await engine.execute("a", h.upstream)
    assert result == "ok:b1"
    assert h.upstream.calls == ["a1", "b1"]
    assert h.sleep.calls == []
