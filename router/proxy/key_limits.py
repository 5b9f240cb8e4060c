"""Each named key's rpm and tpm budgets: a worker's share in local buckets, or one exact budget in Redis.

Local: token buckets in this process. ``vertex-router serve`` runs N worker processes, so each worker's
bucket holds and refills 1/N of the configured limit and together they stay within it (a bucket never holds
less than one request, so a key whose rpm is below N may burst to one request per worker at first; the
refill still keeps the total at the limit).

Redis (``router_settings.redis_url``/``redis_host``): counters per key and epoch minute, shared by every
worker and machine. Admission is one Lua script (refuse while the minute's tokens reached tpm, else INCR the
request counter with its expiry unless it reached rpm); a finished call's tokens are one INCRBY with its
expiry. A refused key waits for the next minute. When Redis fails, ``SharedKeyLimits`` logs
``key_limits_unavailable`` once, serves from the local buckets, and tries Redis again after a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from router.proxy.errors import KeyRateLimited

KEY_TTL_MS = 120_000  # a minute's counters outlive the minute, so clocks a little apart still agree
RETRY_INTERVAL_S = 5.0
_FAILURES = (RedisError, OSError, asyncio.TimeoutError)

# KEYS: requests, tokens of this minute. ARGV: rpm (-1: none), tpm (-1: none), ttl ms.
# 1 admitted, 0 over rpm, -1 over tpm. The check and the INCR are one step, so concurrent callers never
# overshoot the limit.
_ADMIT = """
local tpm = tonumber(ARGV[2])
if tpm >= 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= tpm then return -1 end
local rpm = tonumber(ARGV[1])
if rpm < 0 then return 1 end
if tonumber(redis.call('GET', KEYS[1]) or '0') >= rpm then return 0 end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
_CHARGE = """
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return v
"""


class LimitedKey(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def rpm(self) -> int | None: ...
    @property
    def tpm(self) -> int | None: ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


class LocalKeyLimits:
    """Token buckets holding and refilling ``limit / workers`` per minute (this worker's share)."""

    def __init__(self, *, workers: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self.workers = max(1, workers)
        self._clock = clock
        self._requests: dict[str, _Bucket] = {}
        self._tokens: dict[str, _Bucket] = {}

    def admit(self, key: LimitedKey) -> None:
        """Take one request; 429 with the wait when the request bucket is empty or the token bucket in debt."""
        now = self._clock()
        if key.tpm is not None:
            rate = key.tpm / self.workers
            tokens = _refill(self._tokens, key.name, rate, rate, now)
            if tokens.tokens <= 0.0:
                raise KeyRateLimited(retry_after=max(1.0, -tokens.tokens) / (rate / 60.0))
        if key.rpm is None:
            return
        rate = key.rpm / self.workers
        # Never below one request: a smaller bucket would refuse every request of a key with rpm < workers.
        bucket = _refill(self._requests, key.name, max(1.0, rate), rate, now)
        if bucket.tokens < 1.0:
            raise KeyRateLimited(retry_after=(1.0 - bucket.tokens) / (rate / 60.0))
        bucket.tokens -= 1.0

    def charge(self, key: LimitedKey, tokens: int) -> None:
        """Charge a finished call's tokens (the bucket may go into debt: they were spent already)."""
        if key.tpm is None or tokens <= 0:
            return
        rate = key.tpm / self.workers
        _refill(self._tokens, key.name, rate, rate, self._clock()).tokens -= tokens


def _refill(buckets: dict[str, _Bucket], name: str, capacity: float, per_minute: float, now: float) -> _Bucket:
    bucket = buckets.get(name)
    if bucket is None:
        bucket = buckets[name] = _Bucket(tokens=capacity, stamp=now)
        return bucket
    bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * per_minute / 60.0)
    bucket.stamp = now
    return bucket


class RedisKeyLimits:
    """Per-minute counters in Redis under ``prefix`` (``vr:key:rpm:<name>:<epoch minute>``, and ``tpm``).

    ``clock`` is wall time: every machine must name the same minute.
    """

    def __init__(self, client: Redis, *, prefix: str = "vr:key:", clock: Callable[[], float] = time.time) -> None:
        self._redis = client
        self._prefix = prefix
        self._clock = clock
        self._admit = client.register_script(_ADMIT)
        self._charge = client.register_script(_CHARGE)

    @classmethod
    def connect(
        cls,
        *,
        url: str | None = None,
        host: str | None = None,
        port: int | None = None,
        password: str | None = None,
        db: int = 0,
        timeout: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> RedisKeyLimits:
        """A client that fails fast (short timeouts, no retries: the local buckets take over instead of a
        request stalling), over a small bounded pool, as the routing store's."""
        options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),
            "max_connections": 32,
            "timeout": timeout,
        }
        if url:
            pool = BlockingConnectionPool.from_url(url, **options)
        else:
            pool = BlockingConnectionPool(
                host=host or "localhost", port=port or 6379, password=password, db=db, **options
            )
        return cls(Redis(connection_pool=pool), clock=clock)

    def _keys(self, name: str, minute: int) -> list[str]:
        return [f"{self._prefix}rpm:{name}:{minute}", f"{self._prefix}tpm:{name}:{minute}"]

    async def admit(self, key: LimitedKey) -> None:
        now = self._clock()
        minute = int(now // 60)
        rpm = -1 if key.rpm is None else key.rpm
        tpm = -1 if key.tpm is None else key.tpm
        verdict = int(await self._admit(keys=self._keys(key.name, minute), args=[rpm, tpm, KEY_TTL_MS]))
        if verdict != 1:
            raise KeyRateLimited(retry_after=max(1.0, math.ceil((minute + 1) * 60 - now)))

    async def charge(self, key: LimitedKey, tokens: int) -> None:
        if key.tpm is None or tokens <= 0:
            return
        minute = int(self._clock() // 60)
        await self._charge(keys=self._keys(key.name, minute)[1:], args=[tokens, KEY_TTL_MS])

    async def aclose(self) -> None:
        await self._redis.aclose(close_connection_pool=True)


class SharedKeyLimits:
    """Redis first; the local buckets while Redis is failing (retried every ``retry_interval`` seconds)."""

    def __init__(
        self,
        shared: RedisKeyLimits,
        local: LocalKeyLimits,
        *,
        retry_interval: float = RETRY_INTERVAL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shared = shared
        self.local = local
        self._retry_interval = retry_interval
        self._monotonic = monotonic
        self._down_until: float | None = None
        self._log = structlog.get_logger("router.proxy")

    async def admit(self, key: LimitedKey) -> None:
        if self._use_shared():
            try:
                await self.shared.admit(key)
            except _FAILURES as exc:
                self._failed(exc)
            else:
                self._answered()
                return
        self.local.admit(key)

    async def charge(self, key: LimitedKey, tokens: int) -> None:
        if self._use_shared():
            try:
                await self.shared.charge(key, tokens)
            except _FAILURES as exc:
                self._failed(exc)
            else:
                self._answered()
                return
        self.local.charge(key, tokens)

    def _use_shared(self) -> bool:
        return self._down_until is None or self._monotonic() >= self._down_until

    def _failed(self, exc: BaseException) -> None:
        if self._down_until is None:
            # The exception's type only: a Redis error message can carry the URL, and with it a password.
            self._log.warning("key_limits_unavailable", error=type(exc).__name__, using="local buckets")
        self._down_until = self._monotonic() + self._retry_interval

    def _answered(self) -> None:
        if self._down_until is not None:
            self._down_until = None
            self._log.info("key_limits_recovered")

    async def aclose(self) -> None:
        with contextlib.suppress(*_FAILURES):
            await self.shared.aclose()
