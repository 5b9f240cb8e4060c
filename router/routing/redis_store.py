"""Routing state in Redis, so several processes and machines agree on cooldowns, usage and latency.

Every write carries its TTL in the same atomic step (SET … PX, or a Lua script doing INCR and PEXPIRE together);
check-and-reserve of rpm/tpm is one Lua script; a pick reads everything it needs in one pipelined round trip.
Usage keys are named by the epoch minute (never ``HH-MM``). Values are plain numbers on the engine clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from router.routing.policy import all_counter_keys
from router.routing.state import DeploymentState, LatencyKind, minute_of

USAGE_TTL_MS = 120_000  # a minute's counters outlive the minute so a late reader still sees them
INFLIGHT_TTL_MS = 600_000  # a crashed process's in-flight count fades instead of sticking forever

_COOL = """
local cur = redis.call('GET', KEYS[1])
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return cur end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
"""
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""
_RESERVE = """
local r = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = tonumber(redis.call('GET', KEYS[2]) or '0')
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
if rpm >= 0 and r + 1 > rpm then return 0 end
if tpm >= 0 and (t + n > tpm or t >= tpm) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if n ~= 0 then
  redis.call('INCRBY', KEYS[2], n)
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return 1
"""
_ADD = """
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v < 0 then redis.call('SET', KEYS[1], 0) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return v
"""
_SAMPLE = """
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisStore:
    """``StateStore`` on Redis. Keys live under ``prefix`` (default ``vr:``)."""

    def __init__(self, client: Redis, *, prefix: str = "vr:") -> None:
        self._redis = client
        self._p = prefix
        self._cool = client.register_script(_COOL)
        self._count = client.register_script(_COUNT)
        self._reserve = client.register_script(_RESERVE)
        self._add = client.register_script(_ADD)
        self._sample = client.register_script(_SAMPLE)

    @classmethod
    def connect(
        cls,
        *,
        url: str | None = None,
        host: str | None = None,
        port: int | None = None,
        password: str | None = None,
        db: int = 0,
        prefix: str = "vr:",
        timeout: float = 1.0,
        max_connections: int = 64,
    ) -> RedisStore:
        """A client that fails fast (short timeouts, no client-side retries: when Redis is away the resilient
        wrapper serves from local state instead of stalling requests) over a bounded pool (a burst of requests
        queues for a connection instead of opening hundreds)."""
        options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),
            "decode_responses": True,
            "max_connections": max_connections,
            "timeout": timeout,  # wait for a free pooled connection
        }
        if url:
            pool = BlockingConnectionPool.from_url(url, **options)
        else:
            pool = BlockingConnectionPool(
                host=host or "localhost", port=port or 6379, password=password, db=db, **options
            )
        return cls(Redis(connection_pool=pool), prefix=prefix)

    # key names ------------------------------------------------------------------------------------------

    def _k(self, kind: str, dep_id: str, *rest: object) -> str:
        tail = "".join(f":{r}" for r in rest)
        return f"{self._p}{kind}:{dep_id}{tail}"

    # reads -----------------------------------------------------------------------------------------------

    async def snapshot(
        self, ids: Sequence[str], now: float, *, usage: bool, latency: bool, inflight: bool
    ) -> dict[str, DeploymentState]:
        minute = minute_of(now)
        per = 2 + (2 if usage else 0) + (1 if inflight else 0)
        keys: list[str] = []
        for dep_id in ids:
            keys += [self._k("cd", dep_id), self._k("pr", dep_id)]
            if usage:
                keys += [self._k("rpm", dep_id, minute), self._k("tpm", dep_id, minute)]
            if inflight:
                keys.append(self._k("busy", dep_id))
        if not latency:
            values = await self._redis.mget(keys)
            lists: list[Any] = []
        else:
            pipe = self._redis.pipeline(transaction=False)
            pipe.mget(keys)
            for dep_id in ids:
                pipe.lrange(self._k("lat", dep_id, "latency"), 0, -1)
                pipe.lrange(self._k("lat", dep_id, "ttft"), 0, -1)
            results = await pipe.execute()
            values, lists = results[0], results[1:]
        out: dict[str, DeploymentState] = {}
        for i, dep_id in enumerate(ids):
            row = values[i * per : (i + 1) * per]
            state = DeploymentState(cooldown_until=_float(row[0]), probe_until=_float(row[1]))
            probe = state.probe_until
            if probe is not None and probe <= now:
                state.probe_until = None
            col = 2
            if usage:
                state.rpm_used, state.tpm_used = _int(row[2]), _int(row[3])
                col = 4
            if inflight:
                state.inflight = max(0, _int(row[col]))
            if latency:
                state.latency, state.ttft = _mean(lists[2 * i]), _mean(lists[2 * i + 1])
            out[dep_id] = state
        return out

    # writes ----------------------------------------------------------------------------------------------

    async def reserve(self, dep_id: str, now: float, rpm: int | None, tpm: int | None, tokens: int) -> bool:
        minute = minute_of(now)
        keys = [self._k("rpm", dep_id, minute), self._k("tpm", dep_id, minute)]
        args = [-1 if rpm is None else rpm, -1 if tpm is None else tpm, tokens, USAGE_TTL_MS]
        return bool(await self._reserve(keys=keys, args=args))

    async def add_tokens(self, dep_id: str, now: float, tokens: int) -> None:
        await self._add(keys=[self._k("tpm", dep_id, minute_of(now))], args=[tokens, USAGE_TTL_MS])

    async def cool_down(self, dep_id: str, until: float, now: float, hold: float) -> float:
        result = await self._cool(keys=[self._k("cd", dep_id)], args=[repr(until), _ms(until - now + hold)])
        return float(result)

    async def count_failure(self, dep_id: str, key: str, now: float, window: float) -> int:
        return int(await self._count(keys=[self._k("fails", dep_id, key)], args=[_ms(window)]))

    async def clear_health(self, dep_id: str) -> None:
        keys = [self._k("cd", dep_id)] + [self._k("fails", dep_id, key) for key in all_counter_keys()]
        await self._redis.delete(*keys)

    async def acquire_probe(self, dep_id: str, now: float, ttl: float) -> bool:
        return bool(await self._redis.set(self._k("pr", dep_id), repr(now + ttl), px=_ms(ttl), nx=True))

    async def release_probe(self, dep_id: str) -> None:
        await self._redis.delete(self._k("pr", dep_id))

    async def record_latency(
        self, dep_id: str, kind: LatencyKind, seconds: float, now: float, keep: int, ttl: float
    ) -> None:
        await self._sample(keys=[self._k("lat", dep_id, kind)], args=[repr(seconds), max(1, keep), _ms(ttl)])

    async def add_inflight(self, dep_id: str, delta: int) -> None:
        await self._add(keys=[self._k("busy", dep_id)], args=[delta, INFLIGHT_TTL_MS])

    async def aclose(self) -> None:
        await self._redis.aclose(close_connection_pool=True)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int:
    return 0 if value is None else int(value)


def _mean(values: list[Any]) -> float | None:
    if not values:
        return None
    return sum(float(v) for v in values) / len(values)
