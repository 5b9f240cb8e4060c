"""The memory store's semantics (the Redis store is held to the same ones in test_redis.py)."""

from __future__ import annotations

import pytest

from router.routing import MemoryStore
from router.routing.state import IDLE, fits

from .fakes import START


async def test_cooldown_deadline_only_moves_later_and_record_outlives_it() -> None:
    store = MemoryStore()
    assert await store.cool_down("a", START + 60, START, hold=100) == START + 60
    assert await store.cool_down("a", START + 1, START, hold=100) == START + 60
    assert await store.cool_down("a", START + 90, START, hold=100) == START + 90
    half_open = (await store.snapshot(["a"], START + 95, usage=False, latency=False, inflight=False))["a"]
    assert half_open.cooldown_until == START + 90, "past the deadline the record remains: half-open"
    gone = (await store.snapshot(["a"], START + 191, usage=False, latency=False, inflight=False))["a"]
    assert gone.cooldown_until is None


@pytest.mark.parametrize(
    ("rpm_used", "tpm_used", "rpm", "tpm", "tokens", "ok"),
    [
        (9, 0, 10, None, 0, True),  # the 10th of rpm 10 is allowed
        (10, 0, 10, None, 0, False),
        (0, 990, None, 1000, 10, True),
        (0, 990, None, 1000, 11, False),
        (0, 1000, None, 1000, 0, False),
        (0, 0, None, None, 10**9, True),
    ],
)
def test_fits_at_the_boundary(
    rpm_used: int, tpm_used: int, rpm: int | None, tpm: int | None, tokens: int, ok: bool
) -> None:
    assert fits(rpm_used, tpm_used, rpm, tpm, tokens) is ok


async def test_reserve_counts_per_minute_and_resets_next_minute() -> None:
    store = MemoryStore()
    assert all([await store.reserve("a", START + 1, 3, None, 0) for _ in range(3)])
    assert not await store.reserve("a", START + 59, 3, None, 0)
    assert await store.reserve("a", START + 60, 3, None, 0)


async def test_failure_counter_window_and_clear() -> None:
    store = MemoryStore()
    assert await store.count_failure("a", "generic", START, 10) == 1
    assert await store.count_failure("a", "generic", START + 5, 10) == 2
    assert await store.count_failure("a", "generic", START + 11, 10) == 1
    await store.clear_health("a")
    assert await store.count_failure("a", "generic", START + 12, 10) == 1


async def test_probe_lease_is_exclusive_until_released_or_expired() -> None:
    store = MemoryStore()
    assert await store.acquire_probe("a", START, 5)
    assert not await store.acquire_probe("a", START + 1, 5)
    await store.release_probe("a")
    assert await store.acquire_probe("a", START + 1, 5)
    assert await store.acquire_probe("a", START + 7, 5), "a crashed prober's lease expires"


async def test_latency_samples_are_a_bounded_rolling_mean() -> None:
    store = MemoryStore()
    for value in (10.0, 1.0, 2.0, 3.0):
        await store.record_latency("a", "latency", value, START, keep=3, ttl=60)
    state = (await store.snapshot(["a"], START + 1, usage=False, latency=True, inflight=False))["a"]
    assert state.latency == pytest.approx(2.0)
    assert state.ttft is None
    stale = (await store.snapshot(["a"], START + 61, usage=False, latency=True, inflight=False))["a"]
    assert stale.latency is None


async def test_quiet_store_reads_idle_and_stops_being_quiet_once_anything_is_recorded() -> None:
    """The picker skips the snapshot while the store is quiet: quiet must end with the first cooldown or probe,
    and the shared IDLE state must never carry what one deployment recorded."""
    store = MemoryStore()
    assert store.quiet()
    assert await store.snapshot(["a"], START, usage=False, latency=False, inflight=False) == {}
    await store.cool_down("a", START + 60, START, hold=10)
    assert not store.quiet()
    cooling = await store.snapshot(["a", "b"], START, usage=False, latency=False, inflight=False)
    assert cooling["a"].cooldown_until == START + 60
    assert cooling["b"].cooldown_until is None
    await store.clear_health("a")
    assert store.quiet()
    assert await store.acquire_probe("b", START, ttl=5)
    assert not store.quiet()
    await store.release_probe("b")
    assert store.quiet()
    assert IDLE.cooldown_until is None and IDLE.probe_until is None and IDLE.rpm_used == 0
