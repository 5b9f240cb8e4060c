"""Choosing the state store, and surviving Redis outages.

``ResilientStore`` puts a local ``MemoryStore`` behind the shared one: when Redis fails, it logs
``state_store_unavailable`` once, serves from local state, and tries Redis again after ``retry_interval``
seconds (logging ``state_store_recovered`` when it answers). Routing keeps working, with per-process state for
the duration of the outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import structlog
from redis.exceptions import RedisError

from router.routing.settings import RoutingSettings
from router.routing.state import DeploymentState, LatencyKind, MemoryStore, StateStore

R = TypeVar("R")
_FAILURES = (RedisError, OSError, asyncio.TimeoutError)


def store_from_settings(settings: RoutingSettings) -> StateStore:
    """Redis (behind the resilient wrapper) when ``redis_url`` or ``redis_host`` is set, else memory."""
    if not settings.uses_redis:
        return MemoryStore()
    from router.routing.redis_store import RedisStore

    shared = RedisStore.connect(
        url=settings.redis_url,
        host=settings.redis_host,
        port=settings.redis_port,
        password=settings.redis_password,
        db=settings.redis_db,
    )
    return ResilientStore(shared)


class ResilientStore:
    def __init__(
        self,
        primary: StateStore,
        fallback: MemoryStore | None = None,
        *,
        retry_interval: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._primary = primary
        self._fallback = fallback or MemoryStore()
        self._retry_interval = retry_interval
        self._monotonic = monotonic
        self._down_until: float | None = None
        self._log = structlog.get_logger("router.routing")

    @property
    def available(self) -> bool:
        return self._down_until is None

    async def _call(self, op: Callable[[StateStore], Awaitable[R]]) -> R:
        if self._down_until is not None and self._monotonic() < self._down_until:
            return await op(self._fallback)
        try:
            result = await op(self._primary)
        except _FAILURES as exc:
            if self._down_until is None:
                self._log.warning("state_store_unavailable", error=type(exc).__name__, using="memory")
            self._down_until = self._monotonic() + self._retry_interval
            return await op(self._fallback)
        if self._down_until is not None:
            self._down_until = None
            self._log.info("state_store_recovered")
        return result

    async def snapshot(
        self, ids: Sequence[str], now: float, *, usage: bool, latency: bool, inflight: bool
    ) -> dict[str, DeploymentState]:
        return await self._call(lambda s: s.snapshot(ids, now, usage=usage, latency=latency, inflight=inflight))

    async def reserve(self, dep_id: str, now: float, rpm: int | None, tpm: int | None, tokens: int) -> bool:
        return await self._call(lambda s: s.reserve(dep_id, now, rpm, tpm, tokens))

    async def add_tokens(self, dep_id: str, now: float, tokens: int) -> None:
        await self._call(lambda s: s.add_tokens(dep_id, now, tokens))

    async def cool_down(self, dep_id: str, until: float, now: float, hold: float) -> float:
        return await self._call(lambda s: s.cool_down(dep_id, until, now, hold))

    async def count_failure(self, dep_id: str, key: str, now: float, window: float) -> int:
        return await self._call(lambda s: s.count_failure(dep_id, key, now, window))

    async def clear_health(self, dep_id: str) -> None:
        await self._call(lambda s: s.clear_health(dep_id))

    async def acquire_probe(self, dep_id: str, now: float, ttl: float) -> bool:
        return await self._call(lambda s: s.acquire_probe(dep_id, now, ttl))

    async def release_probe(self, dep_id: str) -> None:
        await self._call(lambda s: s.release_probe(dep_id))

    async def record_latency(
        self, dep_id: str, kind: LatencyKind, seconds: float, now: float, keep: int, ttl: float
    ) -> None:
        await self._call(lambda s: s.record_latency(dep_id, kind, seconds, now, keep, ttl))

    async def add_inflight(self, dep_id: str, delta: int) -> None:
        await self._call(lambda s: s.add_inflight(dep_id, delta))

    async def aclose(self) -> None:
        with contextlib.suppress(*_FAILURES):
            await self._primary.aclose()
