"""Two engines sharing a real redis-server see each other's cooldowns, probes and usage; Redis down → serving."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs

from router.errors import InternalServerError, NoDeploymentAvailableError, RateLimitError
from router.routing import AttemptInfo, DeploymentSpec, RedisStore, ResilientStore, RoutingEngine

from .fakes import Harness, dep
from .redis_server import RedisServer


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> AsyncIterator[str]:
    client = Redis.from_url(redis_server.url)
    await client.flushall()
    await client.aclose()
    return redis_server.url


def shared_engine(h: Harness, url: str, deps: list[DeploymentSpec], seed: int, **settings: object) -> RoutingEngine:
    """Each engine gets its own client and connection pool, as a separate process would."""
    return h.engine(deps, seed=seed, store=RedisStore.connect(url=url, timeout=5), **settings)


async def test_two_engines_share_cooldowns_and_the_single_probe(h: Harness, redis_url: str) -> None:
    deps = [dep("g", "A"), dep("g", "B")]
    one = shared_engine(h, redis_url, deps, seed=1)
    two = shared_engine(h, redis_url, deps, seed=2)
    h.upstream.then("A", RateLimitError("q", upstream_status=429, retry_after=7))
    for _ in range(30):
        if h.upstream.count("A"):
            break
        await one.execute("g", h.upstream)
    assert h.upstream.count("A") == 1
    cooled_at = h.clock.now
    for _ in range(20):
        h.clock.advance(0.3)
        result, _ = await two.execute("g", h.upstream)
        assert result == "ok:B"
    assert h.upstream.count("A") == 1, "engine two never sends to A while engine one's cooldown runs"
    assert two.health()["A"]["cooling_until"] == pytest.approx(cooled_at + 7)

    h.clock.now = cooled_at + 7.5
    gate = asyncio.Event()

    async def slow(spec: DeploymentSpec, info: AttemptInfo) -> str:
        await gate.wait()
        return "probe"

    h.upstream.always("A", slow)
    tasks = [asyncio.create_task(e.execute("g", h.upstream)) for e in (one, two) * 6]
    for _ in range(400):  # real time only bounds the polling; the assertion is on counts
        await asyncio.sleep(0.005)
        if sum(t.done() for t in tasks) == len(tasks) - 1:
            break
    assert h.upstream.count("A") == 2, "one probe across both engines"
    gate.set()
    await asyncio.gather(*tasks)
    await one.aclose()
    await two.aclose()


async def test_two_engines_share_rpm_under_200_concurrent(h: Harness, redis_url: str) -> None:
    deps = [dep("g", "A", rpm=30), dep("g", "B", rpm=45)]
    engines = [
        shared_engine(h, redis_url, deps, seed=s, routing_strategy="usage-based-routing-v2", max_cooldown_wait=0)
        for s in (1, 2)
    ]

    async def answer(spec: DeploymentSpec, info: AttemptInfo) -> str:
        await asyncio.sleep(0)
        return spec.id

    h.upstream.always("A", answer).always("B", answer)
    results = await asyncio.gather(
        *(engines[i % 2].execute("g", h.upstream, timeout=5) for i in range(200)), return_exceptions=True
    )
    served = Counter(r[0] for r in results if isinstance(r, tuple))
    assert served == {"A": 30, "B": 45}
    others = [r for r in results if not isinstance(r, tuple | NoDeploymentAvailableError)]
    assert others == []
    assert sum(isinstance(r, NoDeploymentAvailableError) for r in results) == 125
    for engine in engines:
        await engine.aclose()


async def test_every_key_carries_a_ttl(h: Harness, redis_url: str) -> None:
    engine = shared_engine(
        h,
        redis_url,
        [dep("g", "A", rpm=100, tpm=10_000), dep("g", "B", rpm=100)],
        seed=3,
        routing_strategy="latency-based-routing",
        allowed_fails=5,
    )
    h.upstream.then("A", RateLimitError("q", upstream_status=429, retry_after=30))
    h.upstream.then("B", InternalServerError("x", upstream_status=500))
    for _ in range(4):
        await engine.execute("g", h.upstream, tokens=20)
    assert h.upstream.count("A") == 1
    client = Redis.from_url(redis_url, decode_responses=True)
    keys = await client.keys("vr:*")
    assert any(k.startswith("vr:rpm:") for k in keys)
    assert any(k.startswith("vr:cd:") for k in keys)
    assert any(k.startswith("vr:lat:") for k in keys)
    assert any(k.startswith("vr:fails:") for k in keys)
    assert any(k.startswith("vr:tpm:") for k in keys)
    for key in keys:
        assert await client.pttl(key) > 0, key
    await client.aclose()
    await engine.aclose()


async def test_redis_cooldown_only_extends(redis_url: str) -> None:
    store = RedisStore.connect(url=redis_url)
    assert await store.cool_down("x", 1060.0, 1000.0, 100) == 1060.0
    assert await store.cool_down("x", 1001.0, 1000.0, 100) == 1060.0
    assert await store.cool_down("x", 1090.0, 1000.0, 100) == 1090.0
    state = (await store.snapshot(["x"], 1000.0, usage=False, latency=False, inflight=False))["x"]
    assert state.cooldown_until == 1090.0
    assert await store.count_failure("x", "generic", 1000.0, 10) == 1
    assert await store.count_failure("x", "generic", 1000.0, 10) == 2
    await store.clear_health("x")
    assert await store.count_failure("x", "generic", 1000.0, 10) == 1
    assert await store.reserve("x", 1000.0, 1, None, 0)
    assert not await store.reserve("x", 1000.0, 1, None, 0)
    assert await store.acquire_probe("x", 1000.0, 5)
    assert not await store.acquire_probe("x", 1000.0, 5)
    await store.aclose()


async def test_redis_down_keeps_serving_logs_once_and_recovers(h: Harness) -> None:
    server = RedisServer()  # not started yet: nothing listens on its port
    monotonic = [0.0]
    store = ResilientStore(
        RedisStore.connect(url=server.url, timeout=0.2), retry_interval=5, monotonic=lambda: monotonic[0]
    )
    engine = h.engine([dep("g", "A"), dep("g", "B")], store=store, num_retries=1)
    h.upstream.then("A", RateLimitError("q", upstream_status=429, retry_after=30))
    with capture_logs() as logs:
        for _ in range(10):
            result, _ = await engine.execute("g", h.upstream)
            assert result.startswith("ok:")
            monotonic[0] += 1
    assert [e["event"] for e in logs].count("state_store_unavailable") == 1
    assert not store.available
    if h.upstream.count("A"):
        assert h.upstream.count("A") == 1, "local state still holds A's cooldown"

    server.start()
    try:
        monotonic[0] += 10
        with capture_logs() as logs:
            result, _ = await engine.execute("g", h.upstream)
        assert result.startswith("ok:")
        assert "state_store_recovered" in [e["event"] for e in logs]
        assert store.available
    finally:
        await engine.aclose()
        server.stop()
