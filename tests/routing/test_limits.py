"""rpm/tpm limits under concurrency, and strategies driven through the engine."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from router.errors import InternalServerError, NoDeploymentAvailableError
from router.routing import AttemptInfo, DeploymentSpec

from .fakes import Harness, dep


async def hold(spec: DeploymentSpec, info: AttemptInfo) -> str:
    await asyncio.sleep(0)  # every request is in flight at once
    return f"ok:{spec.id}"


@pytest.mark.parametrize("strategy", ["usage-based-routing", "usage-based-routing-v2", "cost-based-routing"])
async def test_rpm_is_never_exceeded_under_200_concurrent_requests(h: Harness, strategy: str) -> None:
    engine = h.engine([dep("g", "A", rpm=50), dep("g", "B", rpm=70)], routing_strategy=strategy, max_cooldown_wait=0)
    h.upstream.always("A", hold).always("B", hold)
    results = await asyncio.gather(
        *(engine.execute("g", h.upstream, timeout=5) for _ in range(200)), return_exceptions=True
    )
    served = Counter(r[0] for r in results if isinstance(r, tuple))
    refused = [r for r in results if isinstance(r, NoDeploymentAvailableError)]
    assert served == {"ok:A": 50, "ok:B": 70}, "each deployment takes exactly its rpm, the last slot included"
    assert len(refused) == 80
    assert all(r.retry_after is not None and 0 < r.retry_after <= 60 for r in refused)
    assert h.upstream.calls.count("A") == 50


async def test_tpm_is_never_exceeded_under_200_concurrent_requests(h: Harness) -> None:
    engine = h.engine(
        [dep("g", "A", tpm=1000), dep("g", "B", tpm=2000)], routing_strategy="usage-based-routing-v2", timeout=5
    )
    h.upstream.always("A", hold).always("B", hold)
    results = await asyncio.gather(
        *(engine.execute("g", h.upstream, tokens=100, timeout=5) for _ in range(200)), return_exceptions=True
    )
    served = Counter(r[0] for r in results if isinstance(r, tuple))
    assert served == {"ok:A": 10, "ok:B": 20}


async def test_requests_wait_for_the_next_minute_when_it_fits_the_deadline(h: Harness) -> None:
    engine = h.engine([dep("g", "A", rpm=1)], routing_strategy="usage-based-routing")
    await engine.execute("g", h.upstream)
    h.clock.advance(30)
    result, _ = await engine.execute("g", h.upstream, timeout=40)
    assert result == "ok:A"
    assert h.sleep.calls == [pytest.approx(30)]


async def test_reported_tokens_correct_the_reservation(h: Harness) -> None:
    engine = h.engine([dep("g", "A", tpm=1000)], routing_strategy="usage-based-routing", max_cooldown_wait=0)

    def used_900(spec: DeploymentSpec, info: AttemptInfo) -> None:
        info.tokens_used = 900

    h.upstream.then("A", used_900)
    await engine.execute("g", h.upstream, tokens=10)
    await engine.execute("g", h.upstream, tokens=100)  # 900 + 100 = 1000: fits exactly
    with pytest.raises(NoDeploymentAvailableError):
        await engine.execute("g", h.upstream, tokens=1)


async def test_simple_shuffle_treats_rpm_as_weight_not_limit(h: Harness) -> None:
    engine = h.engine([dep("g", "A", rpm=1), dep("g", "B", rpm=3)])
    for _ in range(400):
        await engine.execute("g", h.upstream)
    assert h.upstream.count("A") + h.upstream.count("B") == 400
    assert 70 < h.upstream.count("A") < 130


async def test_order_tier_two_only_while_tier_one_has_no_healthy_member(h: Harness) -> None:
    engine = h.engine(
        [dep("g", "P1", order=1), dep("g", "P2", order=1), dep("g", "B", order=2)], num_retries=3, cooldown_time=10
    )
    for _ in range(40):
        await engine.execute("g", h.upstream)
    assert h.upstream.count("B") == 0
    h.upstream.always("P1", InternalServerError("x", upstream_status=500))
    h.upstream.always("P2", InternalServerError("x", upstream_status=500))
    h.upstream.calls.clear()
    result, _report = await engine.execute("g", h.upstream)
    assert result == "ok:B"
    assert sorted(h.upstream.calls[:2]) == ["P1", "P2"], "tier 1 is exhausted first, never re-selected"


async def test_least_busy_spreads_concurrent_requests(h: Harness) -> None:
    engine = h.engine([dep("g", d) for d in "ABC"], routing_strategy="least-busy")
    gate = asyncio.Event()

    async def wait(spec: DeploymentSpec, info: AttemptInfo) -> str:
        await gate.wait()
        return spec.id

    for d in "ABC":
        h.upstream.always(d, wait)
    tasks = [asyncio.create_task(engine.execute("g", h.upstream)) for _ in range(9)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert Counter(h.upstream.calls) == {"A": 3, "B": 3, "C": 3}
    assert sum(v["in_flight"] for v in engine.health().values()) == 9
    gate.set()
    await asyncio.gather(*tasks)
    assert sum(v["in_flight"] for v in engine.health().values()) == 0


async def test_latency_based_routing_learns_the_fast_region(h: Harness) -> None:
    engine = h.engine([dep("g", "slow"), dep("g", "fast")], routing_strategy="latency-based-routing")

    def slow(spec: DeploymentSpec, info: AttemptInfo) -> None:
        h.clock.advance(2.0)

    def fast(spec: DeploymentSpec, info: AttemptInfo) -> None:
        h.clock.advance(0.2)

    h.upstream.always("slow", slow).always("fast", fast)
    for _ in range(20):
        await engine.execute("g", h.upstream)
    assert h.upstream.count("slow") == 1, "measured once, then avoided"
    assert engine.health()["fast"]["latency_ms"] == pytest.approx(200)


async def test_latency_based_routing_uses_time_to_first_token_for_streams(h: Harness) -> None:
    engine = h.engine([dep("g", "A"), dep("g", "B")], routing_strategy="latency-based-routing")

    def quick_first_token_long_total(spec: DeploymentSpec, info: AttemptInfo) -> None:
        h.clock.advance(0.1)
        info.mark_first_token()
        h.clock.advance(5.0)

    def slow_first_token(spec: DeploymentSpec, info: AttemptInfo) -> None:
        h.clock.advance(1.0)
        info.mark_first_token()

    h.upstream.always("A", quick_first_token_long_total).always("B", slow_first_token)
    for _ in range(12):
        await engine.execute("g", h.upstream, stream=True)
    assert h.upstream.count("A") == 11
    assert engine.health()["A"]["ttft_ms"] == pytest.approx(100)
