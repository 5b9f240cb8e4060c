"""Recording what an attempt did — one code path for every attempt, whether first try, retry or fallback hop:
latency samples, usage correction, failure counting, cooldowns, the half-open probe's verdict, log events and
the instance's callbacks.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from router.errors import RouterError, UpstreamTimeoutError
from router.routing.logs import HotLogger
from router.routing.picker import Pick, Picker
from router.routing.policy import allowed_fails, cooldown_kind, cooldown_seconds, counter_key
from router.routing.report import AttemptInfo
from router.routing.settings import RoutingSettings
from router.routing.state import LatencyKind, StateStore

EventCallback = Callable[[str, dict[str, Any]], Any]
_EWMA = 0.2  # weight of the newest sample in health()'s local latency average


@dataclass(slots=True)
class LocalStats:
    """This process's view of one deployment, for ``health()`` (the store holds the shared truth)."""

    group: str
    cooling_until: float | None = None
    in_flight: int = 0
    successes: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    latency: float | None = None
    ttft: float | None = None
    last_error: str | None = None


class Outcomes:
    def __init__(
        self, settings: RoutingSettings, store: StateStore, picker: Picker, stats: dict[str, LocalStats]
    ) -> None:
        self._settings = settings
        self._store = store
        self._tracks_latency = picker.tracks_latency
        self._stats = stats
        self._callbacks: list[EventCallback] = []
        self._log = HotLogger("router.routing")

    def add_callback(self, fn: EventCallback) -> None:
        self._callbacks.append(fn)

    async def emit(self, event: str, level: str, **fields: Any) -> None:
        getattr(self._log.get(), level)(event, **fields)
        for fn in self._callbacks:
            try:
                result = fn(event, fields)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # a broken callback must never change routing
                self._log.get().warning("callback_failed", event_name=event, error=type(exc).__name__)

    async def success(self, pick: Pick, info: AttemptInfo, latency: float, now: float, tokens: int) -> None:
        spec = pick.spec
        stats = self._stats[spec.id]
        stats.successes += 1
        stats.consecutive_failures = 0
        stats.latency = _ewma(stats.latency, latency)
        ttft = _ttft(info, now) if info.first_token_at is not None else None
        if ttft is not None:
            stats.ttft = _ewma(stats.ttft, ttft)
        if self._tracks_latency:
            args = self._settings.routing_strategy_args
            kind: LatencyKind = "ttft" if info.stream and ttft is not None else "latency"
            sample = ttft if kind == "ttft" and ttft is not None else latency
            await self._store.record_latency(spec.id, kind, sample, now, args.max_latency_list_size, args.ttl)
        if pick.reserved and info.tokens_used is not None and info.tokens_used != tokens:
            await self._store.add_tokens(spec.id, now, info.tokens_used - tokens)
        if pick.probe:
            # The half-open probe answered: the deployment is trusted again, its failure history forgotten.
            await self._store.clear_health(spec.id)
            await self._store.release_probe(spec.id)
            stats.cooling_until = None
        if not self._callbacks and not self._log.enabled(logging.DEBUG):
            return  # nobody would see the event: skip assembling it (this runs on every request)
        await self.emit(
            "attempt_succeeded",
            "debug",
            deployment_id=spec.id,
            group=info.group,
            attempt=info.attempt,
            latency_ms=round(latency * 1000, 3),
            probe=pick.probe,
        )

    async def failure(self, pick: Pick, info: AttemptInfo, error: RouterError, latency: float, now: float) -> None:
        spec = pick.spec
        stats = self._stats[spec.id]
        stats.failures += 1
        stats.consecutive_failures += 1
        stats.last_error = type(error).__name__
        await self.emit(
            "attempt_failed",
            "warning",
            deployment_id=spec.id,
            group=info.group,
            attempt=info.attempt,
            status=getattr(error, "upstream_status", None) or error.status_code,
            error=type(error).__name__,
            latency_ms=round(latency * 1000, 3),
            retry_after=getattr(error, "retry_after", None),
        )
        if self._tracks_latency and isinstance(error, UpstreamTimeoutError):
            args = self._settings.routing_strategy_args
            await self._store.record_latency(spec.id, "latency", latency, now, args.max_latency_list_size, args.ttl)
        reason = await self._cooldown_reason(pick, error, now)
        if reason is not None:
            await self._cool(pick, error, now, reason)
        if pick.probe:
            await self._store.release_probe(spec.id)

    async def _cooldown_reason(self, pick: Pick, error: RouterError, now: float) -> str | None:
        spec = pick.spec
        if self._settings.disable_cooldowns:
            return None
        kind = cooldown_kind(error, spec, self._settings)
        if kind == "never":
            return None
        if pick.probe:
            return "probe_failed"
        if kind == "now":
            return "rate_limited" if error.status_code == 429 else "cooldown_now"
        key = counter_key(error, spec, self._settings)
        count = await self._store.count_failure(spec.id, key, now, self._settings.allowed_fails_window)
        return "allowed_fails_exceeded" if count > allowed_fails(error, spec, self._settings) else None

    async def _cool(self, pick: Pick, error: RouterError, now: float, reason: str) -> None:
        spec = pick.spec
        seconds = cooldown_seconds(error, spec, self._settings)
        if seconds <= 0:
            return  # cooldown_time 0 disables cooldown for that deployment (LiteLLM's meaning)
        hold = max(self._settings.half_open_window, seconds)
        until = await self._store.cool_down(spec.id, now + seconds, now, hold)
        self._stats[spec.id].cooling_until = until
        await self.emit(
            "deployment_cooled_down",
            "warning",
            deployment_id=spec.id,
            until=until,
            seconds=round(until - now, 3),
            reason=reason,
            error=type(error).__name__,
        )


def _ewma(old: float | None, new: float) -> float:
    return new if old is None else old + _EWMA * (new - old)


def _ttft(info: AttemptInfo, now: float) -> float | None:
    """Time to first token, when the call reported a plausible one (on the engine clock)."""
    first = info.first_token_at
    if first is None or not info.started_at <= first <= now:
        return None
    return first - info.started_at
