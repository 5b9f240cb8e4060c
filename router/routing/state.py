"""Shared routing state behind one small interface, and the in-process implementation.

State per deployment: a cooldown record (deadline; kept ``hold`` seconds past it so the deployment is half-open
and one probe decides), a probe lease, failure counters in a window, rpm/tpm usage per epoch minute, rolling
latency / time-to-first-token samples, and in-flight counts (least-busy). Every write carries its expiry in the
same operation; cooldown deadlines only ever move later.

The memory store keeps at most one entry per (deployment, kind), so it is bounded by the number of deployments.
Its methods never await between a check and a write, so check-and-reserve is atomic within one event loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

LatencyKind = Literal["latency", "ttft"]


def minute_of(now: float) -> int:
    """Usage windows are whole epoch minutes (never ``HH-MM``, which collides across days)."""
    return int(now // 60)


@dataclass(slots=True)
class DeploymentState:
    """One deployment's shared state as read for one pick."""

    cooldown_until: float | None = None  # present until the record expires (after the deadline: half-open)
    probe_until: float | None = None  # a probe lease is held until this time
    rpm_used: int = 0
    tpm_used: int = 0
    latency: float | None = None  # mean of the recent samples, seconds
    ttft: float | None = None
    inflight: int = 0


# The state of a deployment with nothing recorded. Shared by every read that finds nothing: never mutate it.
IDLE = DeploymentState()


class StateStore(Protocol):
    """What the engine needs from shared state. ``now`` is the engine clock (epoch seconds)."""

    async def snapshot(
        self, ids: Sequence[str], now: float, *, usage: bool, latency: bool, inflight: bool
    ) -> dict[str, DeploymentState]:
        """The state of each id; an id may be left out when nothing is recorded for it (read it as ``IDLE``)."""
        ...

    async def reserve(self, dep_id: str, now: float, rpm: int | None, tpm: int | None, tokens: int) -> bool:
        """Atomically: if one more request (and ``tokens``) fits this minute's rpm/tpm, count it and say True."""
        ...

    async def add_tokens(self, dep_id: str, now: float, tokens: int) -> None: ...

    async def cool_down(self, dep_id: str, until: float, now: float, hold: float) -> float:
        """Extend the deadline to max(current, until); keep the record ``hold`` s past it. Returns the deadline."""
        ...

    async def count_failure(self, dep_id: str, key: str, now: float, window: float) -> int: ...

    async def clear_health(self, dep_id: str) -> None:
        """A probe succeeded: drop the cooldown record and the failure counters."""
        ...

    async def acquire_probe(self, dep_id: str, now: float, ttl: float) -> bool: ...

    async def release_probe(self, dep_id: str) -> None: ...

    async def record_latency(
        self, dep_id: str, kind: LatencyKind, seconds: float, now: float, keep: int, ttl: float
    ) -> None: ...

    async def add_inflight(self, dep_id: str, delta: int) -> None: ...

    async def aclose(self) -> None: ...


@dataclass(slots=True)
class _Counter:
    expires: float
    count: int


@dataclass(slots=True)
class _Usage:
    minute: int
    rpm: int = 0
    tpm: int = 0


@dataclass(slots=True)
class _Samples:
    expires: float
    values: deque[float]


class MemoryStore:
    """Per-process state in plain dicts keyed by deployment id (bounded by the deployment count).

    Expiry is checked against the ``now`` the engine passes, so a fake clock drives it in tests.
    """

    def __init__(self) -> None:
        self._cooldowns: dict[str, tuple[float, float]] = {}  # id → (deadline, record expires)
        self._probes: dict[str, float] = {}
        self._fails: dict[tuple[str, str], _Counter] = {}
        self._usage: dict[str, _Usage] = {}
        self._samples: dict[tuple[str, str], _Samples] = {}
        self._inflight: dict[str, int] = {}

    async def snapshot(
        self, ids: Sequence[str], now: float, *, usage: bool, latency: bool, inflight: bool
    ) -> dict[str, DeploymentState]:
        if not (usage or latency or inflight) and self.quiet():
            return {}
        return {dep_id: self.read(dep_id, now, usage=usage, latency=latency, inflight=inflight) for dep_id in ids}

    def quiet(self) -> bool:
        """No cooldown or probe is recorded: a read of cooldowns alone finds every deployment IDLE (the healthy
        common case, which the picker then serves without a snapshot)."""
        return not self._cooldowns and not self._probes

    def read(self, dep_id: str, now: float, *, usage: bool, latency: bool, inflight: bool) -> DeploymentState:
        """Synchronous read for one deployment (also used by the Redis fallback path and ``health``)."""
        state = DeploymentState()
        record = self._cooldowns.get(dep_id)
        if record is not None:
            if record[1] > now:
                state.cooldown_until = record[0]
            else:
                del self._cooldowns[dep_id]
        probe = self._probes.get(dep_id)
        if probe is not None and probe > now:
            state.probe_until = probe
        if usage:
            used = self._usage.get(dep_id)
            if used is not None and used.minute == minute_of(now):
                state.rpm_used, state.tpm_used = used.rpm, used.tpm
        if latency:
            state.latency = self._mean(dep_id, "latency", now)
            state.ttft = self._mean(dep_id, "ttft", now)
        if inflight:
            state.inflight = self._inflight.get(dep_id, 0)
        return state

    def _mean(self, dep_id: str, kind: str, now: float) -> float | None:
        samples = self._samples.get((dep_id, kind))
        if samples is None or not samples.values or samples.expires <= now:
            return None
        return sum(samples.values) / len(samples.values)

    async def reserve(self, dep_id: str, now: float, rpm: int | None, tpm: int | None, tokens: int) -> bool:
        minute = minute_of(now)
        used = self._usage.get(dep_id)
        if used is None or used.minute != minute:
            used = self._usage[dep_id] = _Usage(minute)
        if not fits(used.rpm, used.tpm, rpm, tpm, tokens):
            return False
        used.rpm += 1
        used.tpm += tokens
        return True

    async def add_tokens(self, dep_id: str, now: float, tokens: int) -> None:
        minute = minute_of(now)
        used = self._usage.get(dep_id)
        if used is None or used.minute != minute:
            used = self._usage[dep_id] = _Usage(minute)
        used.tpm = max(0, used.tpm + tokens)

    async def cool_down(self, dep_id: str, until: float, now: float, hold: float) -> float:
        current = self._cooldowns.get(dep_id)
        deadline = until if current is None or current[1] <= now else max(current[0], until)
        self._cooldowns[dep_id] = (deadline, deadline + hold)
        return deadline

    async def count_failure(self, dep_id: str, key: str, now: float, window: float) -> int:
        counter = self._fails.get((dep_id, key))
        if counter is None or counter.expires <= now:
            counter = self._fails[(dep_id, key)] = _Counter(now + window, 0)
        counter.count += 1
        return counter.count

    async def clear_health(self, dep_id: str) -> None:
        self._cooldowns.pop(dep_id, None)
        for key in [k for k in self._fails if k[0] == dep_id]:
            del self._fails[key]

    async def acquire_probe(self, dep_id: str, now: float, ttl: float) -> bool:
        held = self._probes.get(dep_id)
        if held is not None and held > now:
            return False
        self._probes[dep_id] = now + ttl
        return True

    async def release_probe(self, dep_id: str) -> None:
        self._probes.pop(dep_id, None)

    async def record_latency(
        self, dep_id: str, kind: LatencyKind, seconds: float, now: float, keep: int, ttl: float
    ) -> None:
        samples = self._samples.get((dep_id, kind))
        if samples is None or samples.values.maxlen != keep:
            samples = self._samples[(dep_id, kind)] = _Samples(0.0, deque(maxlen=max(1, keep)))
        samples.values.append(seconds)
        samples.expires = now + ttl

    async def add_inflight(self, dep_id: str, delta: int) -> None:
        self._inflight[dep_id] = max(0, self._inflight.get(dep_id, 0) + delta)

    async def aclose(self) -> None:
        return None

    def fail_count(self, dep_id: str, now: float) -> int:
        return sum(c.count for (d, _), c in self._fails.items() if d == dep_id and c.expires > now)


def fits(rpm_used: int, tpm_used: int, rpm: int | None, tpm: int | None, tokens: int) -> bool:
    """One more request fits when rpm_used + 1 <= rpm (the 10th of rpm 10 is allowed) and the tokens fit
    (a full tpm budget rejects even a request with no token estimate)."""
    if rpm is not None and rpm_used + 1 > rpm:
        return False
    return tpm is None or (tpm_used + tokens <= tpm and tpm_used < tpm)
