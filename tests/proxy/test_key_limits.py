"""Key rpm/tpm hold for the whole server: a 1/N share per worker, or one exact budget in a real redis-server."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import yaml
from redis.asyncio import Redis
from structlog.testing import capture_logs

from router.proxy import server
from router.proxy.app import create_app
from router.proxy.auth import ApiKey, ProxyAuth
from router.proxy.errors import KeyRateLimited
from router.proxy.key_limits import RedisKeyLimits
from router.types import ChatCompletionChunk, Usage
from tests.routing.redis_server import RedisServer, free_port

from .conftest import FakeClock
from .fakes import FakeRouter, FakeStream

CHAT = {"model": "gemini-flash", "messages": [{"role": "user", "content": "hi"}]}
MINUTE_START = 60.0 * 29_000_000  # a wall-clock minute boundary (epoch seconds)


class WallClock:
    def __init__(self, now: float = MINUTE_START + 15) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    running = RedisServer().start()
    yield running
    running.stop()


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> AsyncIterator[str]:
    client = Redis.from_url(redis_server.url)
    await client.flushall()
    await client.aclose()
    return redis_server.url


def shared_auth(url: str, wall: WallClock, *keys: ApiKey) -> ProxyAuth:
    """One worker's auth: its own client and pool, as another process or machine would have."""
    return ProxyAuth(list(keys), clock=FakeClock(), shared=RedisKeyLimits.connect(url=url, timeout=5, clock=wall))


async def admitted(auth: ProxyAuth, key: ApiKey) -> bool:
    try:
        await auth.admit(key)
    except KeyRateLimited:
        return False
    return True


# --- without Redis: each worker enforces its share ----------------------------------------------------------


async def test_two_workers_each_admit_half_of_the_rpm_and_the_sixth_waits() -> None:
    clock = FakeClock()
    key = ApiKey.from_secret("team", "sk-team", rpm=10)
    auth = ProxyAuth([key], clock=clock, workers=2)
    for _ in range(5):
        await auth.admit(key)
    with pytest.raises(KeyRateLimited) as info:
        await auth.admit(key)
    assert info.value.retry_after == pytest.approx(12.0)  # one request per 12 s is this worker's 5 per minute
    clock.now += 12.0
    await auth.admit(key)


def test_from_config_takes_the_worker_share_and_no_redis_without_router_settings() -> None:
    config = {"general_settings": {"keys": [{"name": "team", "key": "sk-team", "rpm": 10}]}}
    auth = ProxyAuth.from_config(config, env={}, workers=2)
    assert auth is not None
    assert auth.local.workers == 2
    assert auth.shared is None


async def test_two_workers_split_the_tpm_budget() -> None:
    clock = FakeClock()
    auth = ProxyAuth([], clock=clock, workers=2)
    key = ApiKey.from_secret("k", "s", tpm=1200)  # this worker's share: 600 per minute, 10 per second
    await auth.admit(key)
    await auth.charge_tokens(key, 650)  # 50 tokens over this worker's share
    with pytest.raises(KeyRateLimited) as info:
        await auth.admit(key)
    assert info.value.retry_after == pytest.approx(5.0)


async def test_a_key_with_fewer_rpm_than_workers_still_gets_a_request() -> None:
    clock = FakeClock()
    auth = ProxyAuth([], clock=clock, workers=4)
    key = ApiKey.from_secret("k", "s", rpm=2)  # half a request per minute in each worker
    await auth.admit(key)
    with pytest.raises(KeyRateLimited) as info:
        await auth.admit(key)
    assert info.value.retry_after == pytest.approx(120.0)


async def test_two_workers_over_http_the_sixth_request_is_429_with_retry_after(fake_router: FakeRouter) -> None:
    clock = FakeClock()
    auth = ProxyAuth([ApiKey.from_secret("team", "sk-team", rpm=10)], clock=clock, workers=2)
    app = create_app(fake_router, auth=auth)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
        statuses = [
            (await client.post("/v1/chat/completions", json=CHAT, headers={"x-api-key": "sk-team"})) for _ in range(6)
        ]
    assert [r.status_code for r in statuses] == [200] * 5 + [429]
    assert statuses[-1].headers["retry-after"] == "12"


# --- the worker count travels from the parent to each worker -------------------------------------------------


def write_config(tmp_path: Path) -> Path:
    params = {"model": "vertex_ai/gemini-2.5-flash", "vertex_project": "p", "vertex_location": "us-central1"}
    deployment = {"model_name": "gemini-flash", "litellm_params": {**params, "api_base": "http://127.0.0.1:9"}}
    keys = [{"name": "team", "key": "sk-team", "rpm": 10}]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"model_list": [deployment], "general_settings": {"keys": keys}}))
    return path


def test_serve_hands_the_worker_count_to_each_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (server.CONFIG_ENV, server.WORKERS_ENV, server.NO_AUTH_ENV, server.JSON_LOGS_ENV,
                 server.LOG_LEVEL_ENV, server.METRICS_DIR_ENV):  # fmt: skip
        monkeypatch.setenv(name, "")  # restored after the test: serve_from_args writes os.environ
    monkeypatch.setenv(server.SERVER_ENV, "uvicorn")
    seen: dict[str, Any] = {}

    def fake_uvicorn(**kwargs: Any) -> None:
        seen.update(kwargs, env=os.environ.get(server.WORKERS_ENV))
        seen["app"] = server.app_from_env()  # what each worker process runs, with the environment it inherits

    monkeypatch.setattr(server, "run_uvicorn", fake_uvicorn)
    monkeypatch.setattr(server, "_freeze_startup_heap", lambda: None)
    args = SimpleNamespace(config=str(write_config(tmp_path)), host="127.0.0.1", port=0, workers=3, no_auth=False)
    assert server.serve_from_args(args) == server.EXIT_OK
    assert seen["workers"] == 3
    assert seen["env"] == "3"
    assert seen["app"].auth.local.workers == 3


@pytest.mark.parametrize(("value", "expected"), [("4", 4), ("", 1), ("zero", 1), ("0", 1)])
def test_workers_from_env(monkeypatch: pytest.MonkeyPatch, value: str, expected: int) -> None:
    monkeypatch.setenv(server.WORKERS_ENV, value)
    assert server.workers_from_env() == expected


# --- with Redis: one exact budget for every worker and machine ----------------------------------------------


async def test_two_workers_sharing_redis_admit_exactly_rpm_per_minute(redis_url: str) -> None:
    wall = WallClock()
    key = ApiKey.from_secret("team", "sk-team", rpm=10)
    one, two = shared_auth(redis_url, wall, key), shared_auth(redis_url, wall, key)
    try:
        results = await asyncio.gather(*(admitted(auth, key) for auth in [one, two] * 12))
        assert results.count(True) == 10
        with pytest.raises(KeyRateLimited) as info:
            await two.admit(key)
        assert info.value.retry_after == pytest.approx(45.0)  # 15 s into the minute
        wall.now = MINUTE_START + 60
        assert await admitted(one, key)
    finally:
        await one.aclose()
        await two.aclose()


async def test_redis_limits_come_from_router_settings(redis_url: str) -> None:
    config = {
        "general_settings": {"keys": [{"name": "team", "key": "sk-team", "rpm": 3}]},
        "router_settings": {"redis_url": redis_url},
    }
    workers = [ProxyAuth.from_config(config, env={}, workers=2) for _ in range(2)]
    assert all(w is not None and w.shared is not None for w in workers)
    one, two = workers[0], workers[1]
    assert one is not None and two is not None
    try:
        key = one.keys[0]
        # 2 workers: locally each would take only 1.5; through Redis the two take the full 3, then no more.
        assert [await admitted(one, key), await admitted(one, key), await admitted(one, key)] == [True] * 3
        assert not await admitted(two, key)
    finally:
        await one.aclose()
        await two.aclose()


async def test_tokens_charged_in_redis_refuse_the_next_call_until_the_next_minute(redis_url: str) -> None:
    wall = WallClock()
    key = ApiKey.from_secret("team", "sk-team", tpm=100)
    one, two = shared_auth(redis_url, wall, key), shared_auth(redis_url, wall, key)
    try:
        await one.admit(key)
        await one.charge_tokens(key, 60)
        await two.admit(key)  # 60 of 100 spent: still allowed
        await two.charge_tokens(key, 60)
        wall.now = MINUTE_START + 50
        with pytest.raises(KeyRateLimited) as info:
            await one.admit(key)
        assert info.value.retry_after == pytest.approx(10.0)
        wall.now = MINUTE_START + 60
        await one.admit(key)
    finally:
        await one.aclose()
        await two.aclose()


async def test_redis_tpm_over_http_answers_429(redis_url: str, fake_router: FakeRouter) -> None:
    wall = WallClock()
    auth = shared_auth(redis_url, wall, ApiKey.from_secret("small", "sk-small", tpm=10))
    app = create_app(fake_router, auth=auth)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
        statuses = [
            (await client.post("/v1/chat/completions", json=CHAT, headers={"x-api-key": "sk-small"})) for _ in range(3)
        ]
    await auth.aclose()
    assert [r.status_code for r in statuses] == [200, 200, 429]  # 7 tokens each: 14 of 10 after the second
    assert statuses[-1].headers["retry-after"] == "45"


# --- Redis unreachable: one warning, the local shares serve --------------------------------------------------


async def test_unreachable_redis_logs_once_and_falls_back_to_the_worker_share(fake_router: FakeRouter) -> None:
    clock = FakeClock()
    dead = RedisKeyLimits.connect(url=f"redis://127.0.0.1:{free_port()}/0", timeout=1, clock=WallClock())
    auth = ProxyAuth([ApiKey.from_secret("team", "sk-team", rpm=4)], clock=clock, workers=2, shared=dead)
    app = create_app(fake_router, auth=auth)  # type: ignore[arg-type]
    with capture_logs() as logs:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
            statuses = [
                (await client.post("/v1/chat/completions", json=CHAT, headers={"x-api-key": "sk-team"})).status_code
                for _ in range(3)
            ]
            clock.now += 6.0  # past the retry interval: Redis is tried again, fails again, no second warning
            await client.post("/v1/chat/completions", json=CHAT, headers={"x-api-key": "sk-team"})
    await auth.aclose()
    assert statuses == [200, 200, 429]  # served, from this worker's local share of 2
    warnings = [e for e in logs if e["event"] == "key_limits_unavailable"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning"
    assert "127.0.0.1" not in repr(warnings)


async def test_redis_coming_back_is_used_again() -> None:
    clock, wall = FakeClock(), WallClock()
    port = free_port()
    key = ApiKey.from_secret("team", "sk-team", rpm=1)
    auth = ProxyAuth([key], clock=clock, shared=RedisKeyLimits.connect(url=f"redis://127.0.0.1:{port}/0", clock=wall))
    later = RedisServer(port)
    try:
        with capture_logs() as logs:
            await auth.admit(key)  # Redis down: the local bucket's one request
            later.start()
            clock.now += 6.0
            await auth.admit(key)  # Redis back: its own budget for this minute
            with pytest.raises(KeyRateLimited):
                await auth.admit(key)
        assert [e["event"] for e in logs] == ["key_limits_unavailable", "key_limits_recovered"]
    finally:
        await auth.aclose()
        later.stop()


class UsageStreamRouter(FakeRouter):
    """Streams end with a usage chunk (``stream_options.include_usage``), 40 tokens."""

    def _stream(self, model: str) -> FakeStream:
        usage = Usage(prompt_tokens=30, completion_tokens=10, total_tokens=40)
        stream = FakeStream([ChatCompletionChunk(id="c1", model=model, choices=[], usage=usage)])
        self.streams.append(stream)
        return stream


async def test_a_streams_usage_is_charged_to_redis_when_it_ends(redis_url: str) -> None:
    wall = WallClock()
    key = ApiKey.from_secret("team", "sk-team", tpm=50)
    auth, other = shared_auth(redis_url, wall, key), shared_auth(redis_url, wall, key)
    app = create_app(UsageStreamRouter(), auth=auth)  # type: ignore[arg-type]
    body = {**CHAT, "stream": True}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
            for _ in range(2):  # 40, then 80 of 50: the second stream was admitted at 40
                response = await client.post("/v1/chat/completions", json=body, headers={"x-api-key": "sk-team"})
                assert response.status_code == 200
        assert not await admitted(other, key), "another worker sees the streamed tokens"
    finally:
        await auth.aclose()
        await other.aclose()
