"""Strategies as pure functions, and order tiers."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from router.routing.deployments import DeploymentSpec
from router.routing.state import DeploymentState
from router.routing.strategies import (
    Candidate,
    PickContext,
    least_busy,
    lowest_cost,
    lowest_latency,
    lowest_tier,
    lowest_usage,
    shuffle_weights,
    simple_shuffle,
)


def cand(name: str, state: DeploymentState | None = None, **kw: object) -> Candidate:
    spec = DeploymentSpec(model_name="g", model="m", id=name, **kw)  # type: ignore[arg-type]
    return Candidate(spec, state or DeploymentState())


def shares(cands: list[Candidate], n: int = 20_000, seed: int = 1) -> dict[str, float]:
    rng = random.Random(seed)
    counts = Counter(simple_shuffle(cands, rng, PickContext()).spec.id for _ in range(n))
    return {k: v / n for k, v in counts.items()}


def test_weights_are_respected_statistically() -> None:
    got = shares([cand("a", weight=1), cand("b", weight=3), cand("c", weight=6)])
    assert got["a"] == pytest.approx(0.1, abs=0.015)
    assert got["b"] == pytest.approx(0.3, abs=0.015)
    assert got["c"] == pytest.approx(0.6, abs=0.015)


def test_rpm_then_tpm_then_uniform_are_the_weights() -> None:
    assert shuffle_weights([cand("a", rpm=100), cand("b", rpm=300)]) == [100, 300]
    assert shuffle_weights([cand("a", tpm=1000), cand("b", tpm=3000, rpm=None)]) == [1000, 3000]
    assert shuffle_weights([cand("a", weight=2, rpm=1), cand("b", weight=1, rpm=99)]) == [2, 1]
    assert shuffle_weights([cand("a"), cand("b")]) == [1, 1]
    got = shares([cand("a", rpm=100), cand("b", rpm=300)])
    assert got["b"] == pytest.approx(0.75, abs=0.015)


def test_a_deployment_without_weight_gets_the_mean_share_not_zero() -> None:
    assert shuffle_weights([cand("a", weight=2), cand("b", weight=4), cand("c")]) == [2, 4, 3]


def test_least_busy_picks_fewest_in_flight() -> None:
    c = [
        cand("a", DeploymentState(inflight=3)),
        cand("b", DeploymentState(inflight=1)),
        cand("c", DeploymentState(inflight=2)),
    ]
    assert least_busy(c, random.Random(0), PickContext()).spec.id == "b"


def test_latency_based_picks_fastest_and_uses_ttft_for_streams() -> None:
    c = [
        cand("a", DeploymentState(latency=0.9, ttft=0.1)),
        cand("b", DeploymentState(latency=0.5, ttft=0.4)),
    ]
    assert lowest_latency(c, random.Random(0), PickContext()).spec.id == "b"
    assert lowest_latency(c, random.Random(0), PickContext(stream=True)).spec.id == "a"


def test_latency_buffer_spreads_over_near_equals_only() -> None:
    c = [
        cand("a", DeploymentState(latency=1.0)),
        cand("b", DeploymentState(latency=1.1)),
        cand("c", DeploymentState(latency=2.0)),
    ]
    rng = random.Random(3)
    picked = Counter(lowest_latency(c, rng, PickContext(lowest_latency_buffer=0.2)).spec.id for _ in range(400))
    assert set(picked) == {"a", "b"}
    assert picked["a"] > 100
    assert picked["b"] > 100


def test_unmeasured_deployment_is_tried_first() -> None:
    c = [cand("a", DeploymentState(latency=0.2)), cand("new")]
    assert lowest_latency(c, random.Random(0), PickContext()).spec.id == "new"


def test_usage_based_picks_lowest_tokens_this_minute() -> None:
    c = [cand("a", DeploymentState(tpm_used=500, rpm_used=1)), cand("b", DeploymentState(tpm_used=100, rpm_used=9))]
    assert lowest_usage(c, random.Random(0), PickContext()).spec.id == "b"


def test_cost_based_picks_cheapest_and_unpriced_last() -> None:
    c = [
        cand("unpriced"),
        cand("dear", input_cost_per_token=3e-6, output_cost_per_token=1e-5),
        cand("cheap", input_cost_per_token=1e-7, output_cost_per_token=4e-7),
    ]
    assert lowest_cost(c, random.Random(0), PickContext()).spec.id == "cheap"
    assert lowest_cost([c[0], c[1]], random.Random(0), PickContext()).spec.id == "dear"


def test_lowest_tier_keeps_lowest_order_and_unordered_last() -> None:
    c = [cand("t2", order=2), cand("t1a", order=1), cand("none"), cand("t1b", order=1)]
    assert [x.spec.id for x in lowest_tier(c)] == ["t1a", "t1b"]
    assert [x.spec.id for x in lowest_tier([c[0], c[2]])] == ["t2"]
    assert [x.spec.id for x in lowest_tier([c[2]])] == ["none"]
