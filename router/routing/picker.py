"""One pick: read the group's state once, drop the unavailable, keep the lowest tier, let the strategy choose,
then claim what the choice needs (a probe lease when half-open, an rpm/tpm reservation when limits apply).

A claim that fails (another request took the probe, the minute's quota just ran out) drops that candidate and
the strategy chooses again among the rest, so the pick never hands out capacity that is not there.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from router.routing.deployments import DeploymentSpec
from router.routing.settings import RoutingSettings
from router.routing.state import IDLE, DeploymentState, StateStore, fits, minute_of
from router.routing.strategies import STRATEGIES, Candidate, PickContext, lowest_tier

if TYPE_CHECKING:
    from router.routing.outcomes import LocalStats

# A probe lease outlives a crashed prober by at most this long.
PROBE_LEASE_MAX = 60.0
# While another request probes a deployment, a waiting request looks again this soon (the probe's verdict,
# not the lease's expiry, is what it waits for).
PROBE_POLL = 0.25


@dataclass(slots=True)
class Pick:
    spec: DeploymentSpec
    state: DeploymentState
    probe: bool  # this request holds the deployment's probe lease
    reserved: bool  # rpm/tpm were reserved for this request


@dataclass(slots=True)
class NoPick:
    """Nothing available; ``until`` is when the earliest blocked member may be usable again (None: never in this
    request, e.g. every member already failed)."""

    until: float | None


class Picker:
    def __init__(
        self,
        settings: RoutingSettings,
        store: StateStore,
        rng: random.Random,
        stats: Mapping[str, LocalStats] | None = None,
    ) -> None:
        self._settings = settings
        self._stats = stats or {}
        self._store = store
        self._rng = rng
        self._strategy = STRATEGIES[settings.routing_strategy]
        self._limits = settings.enforces_limits
        self._need_latency = settings.routing_strategy == "latency-based-routing"
        self._need_inflight = settings.routing_strategy == "least-busy"
        self._buffer = settings.routing_strategy_args.lowest_latency_buffer
        # A local store that can tell it holds no record lets a pick skip the snapshot, unless the strategy or
        # the limits read usage, latency or in-flight counts.
        quiet = getattr(store, "quiet", None)
        plain = not (self._limits or self._need_latency or self._need_inflight)
        self._quiet: Callable[[], bool] | None = quiet if plain and callable(quiet) else None
        # The contexts of requests without a token estimate (nearly all), built once rather than per pick.
        self._contexts = (
            PickContext(stream=False, tokens=0, lowest_latency_buffer=self._buffer),
            PickContext(stream=True, tokens=0, lowest_latency_buffer=self._buffer),
        )

    @property
    def tracks_latency(self) -> bool:
        return self._need_latency

    @property
    def tracks_inflight(self) -> bool:
        return self._need_inflight

    @property
    def limits(self) -> bool:
        return self._limits

    async def pick(
        self,
        members: Sequence[DeploymentSpec],
        exclude: Collection[str],
        now: float,
        *,
        stream: bool,
        tokens: int,
        probe_ttl: float,
    ) -> Pick | NoPick:
        specs = [m for m in members if m.id not in exclude] if exclude else members
        if not specs:
            return NoPick(None)
        if self._quiet is not None and self._quiet():
            # Nothing recorded anywhere (the healthy common case): every member is available and IDLE, and
            # nothing needs claiming, since a quiet store is only consulted when no limits apply.
            choice = self._choose([Candidate(spec, IDLE) for spec in specs], stream, tokens)
            return Pick(choice.spec, IDLE, False, False)
        states = await self._store.snapshot(
            [s.id for s in specs], now, usage=self._limits, latency=self._need_latency, inflight=self._need_inflight
        )
        available, blocked = self._classify(specs, states, now, tokens)
        while available:
            choice = self._choose(available, stream, tokens)
            if not choice.half_open and not (self._limits and self._limited(choice.spec)):
                return Pick(choice.spec, choice.state, False, False)  # no store round trip when nothing is claimed
            claimed = await self._claim(choice, now, tokens, probe_ttl)
            if isinstance(claimed, Pick):
                return claimed
            available.remove(choice)
            blocked.append(claimed)
        return NoPick(min(blocked) if blocked else None)

    def _choose(self, available: list[Candidate], stream: bool, tokens: int) -> Candidate:
        """The strategy's choice among the lowest ``order`` tier of the available candidates."""
        if tokens:
            ctx = PickContext(stream=stream, tokens=tokens, lowest_latency_buffer=self._buffer)
        else:
            ctx = self._contexts[stream]
        tier = available if len(available) == 1 else lowest_tier(available)
        return self._strategy(tier, self._rng, ctx)

    async def ready_at(
        self, members: Sequence[DeploymentSpec], exclude: Collection[str], now: float, tokens: int
    ) -> float | None:
        """When the first of these members is usable: ``now`` if one is, None if none ever is (no claims made)."""
        specs = [m for m in members if m.id not in exclude]
        if not specs:
            return None
        states = await self._store.snapshot(
            [s.id for s in specs], now, usage=self._limits, latency=False, inflight=False
        )
        available, blocked = self._classify(specs, states, now, tokens)
        if available:
            return now
        return min(blocked) if blocked else None

    def _classify(
        self, specs: Sequence[DeploymentSpec], states: dict[str, DeploymentState], now: float, tokens: int
    ) -> tuple[list[Candidate], list[float]]:
        available: list[Candidate] = []
        blocked: list[float] = []
        cooldowns = not self._settings.disable_cooldowns
        for spec in specs:
            state = states.get(spec.id, IDLE)
            half_open = False
            stats = self._stats.get(spec.id)
            if stats is not None:
                stats.cooling_until = state.cooldown_until
            if cooldowns and state.cooldown_until is not None:
                if now < state.cooldown_until:
                    blocked.append(state.cooldown_until)
                    continue
                if state.probe_until is not None and state.probe_until > now:
                    blocked.append(min(state.probe_until, now + PROBE_POLL))
                    continue
                half_open = True
            if self._limits and not fits(state.rpm_used, state.tpm_used, spec.rpm, spec.tpm, tokens):
                blocked.append((minute_of(now) + 1) * 60.0)
                continue
            available.append(Candidate(spec, state, half_open))
        return available, blocked

    def _limited(self, spec: DeploymentSpec) -> bool:
        return self._limits and (spec.rpm is not None or spec.tpm is not None)

    async def _claim(self, choice: Candidate, now: float, tokens: int, probe_ttl: float) -> Pick | float:
        spec = choice.spec
        if choice.half_open and not await self._store.acquire_probe(spec.id, now, min(probe_ttl, PROBE_LEASE_MAX)):
            return now + PROBE_POLL
        reserved = False
        if self._limited(spec):
            reserved = await self._store.reserve(spec.id, now, spec.rpm, spec.tpm, tokens)
            if not reserved:
                if choice.half_open:
                    await self._store.release_probe(spec.id)
                return (minute_of(now) + 1) * 60.0
        return Pick(spec, choice.state, choice.half_open, reserved)
