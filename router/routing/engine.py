"""RoutingEngine: resolve a model to its group, then run one attempt plan — pick, call, record, decide — until a
deployment answers or the plan (budget, fallbacks, deadline) is spent.

Sleeping happens in exactly two places, and only when an attempt follows: a backoff before retrying a
deployment that already failed in this request (no untried one is available), and a wait for the earliest
cooling deployment of a group with no fallback left, when that fits the deadline. Never after the last attempt,
never before a hop to another group.

Error surfaced on total failure: when exactly one attempt was made and its error is not retryable (400s,
context window, content policy, 401/403/404, credentials), that typed error itself; otherwise
``NoDeploymentAvailableError`` with every attempt's error and ``retry_after`` (seconds until the earliest blocked
deployment returns, else the last upstream Retry-After).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, TypeVar

from router.errors import (
    APIConnectionError,
    CredentialsError,
    MidStreamError,
    RouterError,
    UpstreamError,
    UpstreamTimeoutError,
)
from router.routing.backoff import backoff_delay
from router.routing.clock import Clock, Sleep, system_clock
from router.routing.deployments import DeploymentSpec, DeploymentTable
from router.routing.health import health_rows, merge_shared
from router.routing.outcomes import EventCallback, LocalStats, Outcomes
from router.routing.picker import Pick, Picker
from router.routing.plan import RequestPlan, Step, as_upstream
from router.routing.policy import same_deployment_retry_ok
from router.routing.report import AttemptInfo, AttemptRecord, ExecutionReport
from router.routing.settings import RoutingSettings
from router.routing.state import DeploymentState, StateStore
from router.routing.store_factory import store_from_settings

T = TypeVar("T")
CallFn = Callable[[DeploymentSpec, AttemptInfo], Awaitable[T]]
MIN_WAIT = 0.05  # never spin on a deadline that is already (nearly) due
UNREACHABLE = (UpstreamTimeoutError, APIConnectionError)  # the deployment did not answer at all


class RoutingEngine:
    def __init__(
        self,
        deployments: Sequence[DeploymentSpec],
        settings: RoutingSettings,
        *,
        store: StateStore | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._table = DeploymentTable(deployments, settings.model_group_alias)
        self._store: StateStore = store if store is not None else store_from_settings(settings)
        self._clock: Clock = clock or system_clock
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._stats = {spec.id: LocalStats(spec.model_name) for spec in self._table.all()}
        self._picker = Picker(settings, self._store, self._rng, self._stats)
        self._outcomes = Outcomes(settings, self._store, self._picker, self._stats)
        self._tracks_inflight = self._picker.tracks_inflight

    # ------------------------------------------------------------------ lookup and observability

    @property
    def settings(self) -> RoutingSettings:
        return self._settings

    @property
    def store(self) -> StateStore:
        return self._store

    def group_names(self) -> list[str]:
        return self._table.group_names()

    def resolve(self, model: str) -> list[DeploymentSpec]:
        """Group name, alias or deployment id → its deployments. Raises UnknownModelError."""
        return list(self._table.resolve(model)[1])

    def deployment(self, deployment_id: str) -> DeploymentSpec | None:
        return self._table.by_id(deployment_id)

    def deployments(self) -> list[DeploymentSpec]:
        return self._table.all()

    def add_callback(self, fn: EventCallback) -> None:
        """``fn(event, fields)`` for attempt_succeeded, attempt_failed, deployment_cooled_down, fallback_used.
        May return an awaitable. Exceptions are logged and ignored."""
        self._outcomes.add_callback(fn)

    def health(self) -> dict[str, Any]:
        """This process's view per deployment id: cooling until (epoch s, None when usable), in-flight, counts,
        recent latency. Cooldowns written by other processes show up once a pick has read them."""
        return health_rows(self._table.all(), self._stats, self._clock())

    async def ahealth(self) -> dict[str, Any]:
        """``health()`` refreshed from the shared store: cooldowns and probes set by any process, this minute's
        rpm/tpm usage, shared latency means and in-flight counts."""
        out = self.health()
        now = self._clock()
        states = await self._store.snapshot(list(out), now, usage=True, latency=True, inflight=True)
        merge_shared(out, states, self._stats, now)
        return out

    async def record_failure(self, deployment_id: str, error: RouterError) -> None:
        """Record a failure that happened outside ``execute`` (a stream that broke after its first token) through
        the same path as any attempt: counters, cooldown, events. A MidStreamError counts as its cause."""
        spec = self._table.by_id(deployment_id)
        if spec is None:
            return
        cause = getattr(error, "cause", None)
        if isinstance(error, MidStreamError) and isinstance(cause, RouterError):
            error = cause
        now = self._clock()
        info = AttemptInfo(0, spec.model_name, spec.id, True, now, now, 0.0, None, clock=self._clock)
        await self._outcomes.failure(Pick(spec, DeploymentState(), False, False), info, error, 0.0, now)

    async def aclose(self) -> None:
        await self._store.aclose()

    # ------------------------------------------------------------------ the attempt plan

    async def execute(
        self,
        model: str,
        call: CallFn[T],
        *,
        stream: bool = False,
        tokens: int = 0,
        deadline: float | None = None,
        timeout: float | None = None,
        num_retries: int | None = None,
        exclude: Collection[str] = (),
    ) -> tuple[T, ExecutionReport]:
        """Run ``call(deployment, info)`` under one plan. ``deadline`` is absolute (engine clock); else ``timeout``
        (seconds) or the router ``timeout`` from now. ``tokens`` is the request's token estimate (tpm limits);
        ``num_retries`` overrides the configured retry allowance for this request; ``exclude`` names deployment
        ids this request must not use (e.g. the one whose stream just broke)."""
        group, members = self._table.resolve(model)
        now = self._clock()
        if deadline is None:
            deadline = now + (timeout if timeout is not None else self._settings.timeout)
        plan = RequestPlan(self._settings, self._table, model, group, members, num_retries)
        if exclude:
            plan.excluded = set(exclude)
        retry = False
        while True:
            group_before = plan.group
            pick = await self._next_pick(plan, retry, deadline, stream, tokens)
            if pick is None:
                raise self._final_error(plan)
            is_retry = retry and plan.group == group_before
            if is_retry:
                plan.retries += 1
            spec = pick.spec
            info = self._attempt_info(plan, spec, stream, deadline, is_retry)
            # The attempt is awaited here rather than in a helper coroutine: this frame is held across the
            # upstream call either way, and every extra frame held by every in-flight request costs measurably.
            self._stats[spec.id].in_flight += 1
            if self._tracks_inflight:
                await self._store.add_inflight(spec.id, 1)
            started = time.perf_counter()
            try:
                result = await call(spec, info)
            except (UpstreamError, CredentialsError) as error:
                if isinstance(error, MidStreamError):  # not an attempt failure: the caller already has content
                    await self._abandon(pick)
                    raise
                failure: RouterError = error
            except BaseException:  # a bug, a cancelled task, an invalid request: propagates untouched
                await self._abandon(pick)
                raise
            else:
                plan.outside += time.perf_counter() - started
                await self._succeeded(plan, pick, info, tokens)
                return result, self._report(plan, pick)
            plan.outside += time.perf_counter() - started
            await self._failed(plan, pick, info, failure)
            step = plan.after_failure(failure, spec)
            if step is Step.STOP or (step is Step.HOP and not await self._hop(plan)):
                raise self._final_error(plan)
            retry = step is Step.RETRY

    async def _next_pick(
        self, plan: RequestPlan, retry: bool, deadline: float, stream: bool, tokens: int
    ) -> Pick | None:
        """The deployment for the next attempt, after at most one justified wait per loop; None: give up."""
        allow_tried = False  # after a backoff or a cooldown wait, deployments that failed before may be used
        while True:
            now = self._clock()
            if now >= deadline:
                return None
            exclude = plan.excluded if allow_tried or not plan.tried else plan.tried | plan.excluded
            probe_ttl = min(self._settings.timeout, deadline - now)
            pick = await self._picker.pick(
                plan.members, exclude, now, stream=stream, tokens=tokens, probe_ttl=probe_ttl
            )
            if isinstance(pick, Pick):
                return pick
            until = pick.until
            plan.note_blocked_until(until)
            if retry and not allow_tried and isinstance(plan.last_error, UNREACHABLE):
                # Every member already failed this request and the last one did not answer at all (a deadline,
                # a reset): a fallback group answers sooner than another wait on it, so a silent region gets one
                # attempt. Errors it did answer (5xx, 429) are retried on it first, as num_retries says.
                plan.enqueue_fallbacks()
                if plan.has_fallback() and await self._hop(plan):
                    retry = False
                    continue
            if retry and not allow_tried and self._may_retry_same(plan):
                ready = await self._picker.ready_at(plan.members, plan.excluded, now, tokens)
                if ready is not None and ready <= now:
                    error = plan.last_error
                    delay = backoff_delay(plan.retries, getattr(error, "retry_after", None), self._settings, self._rng)
                    if now + delay >= deadline:
                        return None
                    await self._wait(delay, plan)
                    allow_tried = True
                    continue
                until = _earliest(until, ready)
                plan.note_blocked_until(until)
            # Nothing usable in this group now: another group beats waiting.
            plan.enqueue_fallbacks()
            if plan.has_fallback() and await self._hop(plan):
                retry, allow_tried = False, False
                continue
            wait = None if until is None else max(until - now, MIN_WAIT)
            cap = self._settings.max_cooldown_wait
            if wait is None or now + wait >= deadline or (cap is not None and wait > cap):
                return None
            await self._wait(wait, plan)
            allow_tried = True

    def _may_retry_same(self, plan: RequestPlan) -> bool:
        error = plan.last_error
        return (
            error is not None
            and same_deployment_retry_ok(error)
            and any(m.id in plan.tried and m.id not in plan.excluded for m in plan.members)
        )

    async def _wait(self, seconds: float, plan: RequestPlan) -> None:
        started = time.perf_counter()
        await self._sleep(seconds)
        plan.outside += time.perf_counter() - started

    async def _hop(self, plan: RequestPlan) -> bool:
        from_group = plan.group
        to_group = plan.hop()
        if to_group is None:
            return False
        await self._outcomes.emit("fallback_used", "info", from_group=from_group, to_group=to_group, hop=plan.hops)
        return True

    def _attempt_info(
        self, plan: RequestPlan, spec: DeploymentSpec, stream: bool, deadline: float, is_retry: bool
    ) -> AttemptInfo:
        now = self._clock()
        settings = self._settings
        left = deadline - now if deadline > now else 0.0
        timeout = spec.timeout if spec.timeout is not None else settings.timeout
        if left < timeout:
            timeout = left
        first_token: float | None = None
        if stream:
            for value in (spec.first_token_timeout, settings.first_token_timeout, spec.stream_timeout):
                if value is not None:
                    first_token = value
                    break
            else:
                first_token = settings.stream_timeout
            first_token = None if first_token is None else min(first_token, timeout)
        # Positional (in field order): keyword passing costs measurably on the request path.
        return AttemptInfo(
            len(plan.attempts) + 1,  # attempt
            plan.group,
            spec.id,
            stream,
            now,  # started_at
            deadline,
            timeout,
            first_token,  # first_token_timeout
            is_retry,
            plan.group != plan.requested_group,  # is_fallback
            None,  # first_token_at
            None,  # tokens_used
            self._clock,
        )

    async def _end(self, spec: DeploymentSpec) -> None:
        self._stats[spec.id].in_flight -= 1
        if self._tracks_inflight:
            await self._store.add_inflight(spec.id, -1)

    async def _succeeded(self, plan: RequestPlan, pick: Pick, info: AttemptInfo, tokens: int) -> None:
        try:
            now = self._clock()
            latency = now - info.started_at
            plan.attempts.append(AttemptRecord(pick.spec.id, None, latency))
            await self._outcomes.success(pick, info, latency, now, tokens)
        finally:
            await self._end(pick.spec)

    async def _failed(self, plan: RequestPlan, pick: Pick, info: AttemptInfo, error: RouterError) -> None:
        try:
            now = self._clock()
            latency = now - info.started_at
            plan.attempts.append(AttemptRecord(pick.spec.id, as_upstream(error), latency))
            await self._outcomes.failure(pick, info, error, latency, now)
        finally:
            await self._end(pick.spec)

    async def _abandon(self, pick: Pick) -> None:
        """The attempt ended without an outcome to record: give back its in-flight slot and its probe lease."""
        try:
            await self._end(pick.spec)
        finally:
            if pick.probe:
                await self._store.release_probe(pick.spec.id)

    def _report(self, plan: RequestPlan, pick: Pick) -> ExecutionReport:
        group = plan.group
        return ExecutionReport(  # positional, in field order (keywords cost measurably on every request)
            plan.model,
            group,
            pick.spec,
            plan.attempts,
            plan.requested_group,
            group if group != plan.requested_group else None,  # fallback_used
            plan.retries,
            plan.hops,
            max(0.0, (time.perf_counter() - plan.started - plan.outside) * 1000),  # overhead_ms
        )

    def _final_error(self, plan: RequestPlan) -> RouterError:
        return plan.final_error(self._clock())


def _earliest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else min(a, b)
