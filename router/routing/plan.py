"""One request's attempt plan: a single budget shared by retries and fallback hops, and the decision after each
failure. Pure bookkeeping — no I/O, no engine clock, no sleeping (the engine does those).

Budget: total attempts ≤ 1 + retries + hops, where retries ≤ the retry allowance (``num_retries`` / ``retry_policy``)
shared across every group of the request, and hops ≤ ``max_fallbacks``. The first attempt in a fallback group is
the hop itself; it does not restart the retry count.

After a failure:
- ContextWindowExceeded / ContentPolicy: nothing else in this group (same-sized, same policy); next are the
  group's ``context_window_fallbacks`` / ``content_policy_fallbacks`` only; none → stop.
- any other 400: stop (the caller's request is wrong), unless a ``BadRequestErrorRetries`` policy allows retries
  on other deployments.
- otherwise: retry in the group while the allowance lasts, then hop along ``fallbacks`` (else ``"*"``, else
  ``default_fallbacks``), breadth-first, never revisiting a group.
401/403/404 and credential errors exclude that deployment for the rest of the request; transient failures only
de-prioritise it (it may be retried after a backoff when no untried deployment is left).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from router.errors import (
    BadRequestError,
    ContentPolicyError,
    ContextWindowExceededError,
    NoDeploymentAvailableError,
    RouterError,
    UpstreamError,
)
from router.routing.deployments import DeploymentSpec, DeploymentTable
from router.routing.policy import retries_allowed, same_deployment_retry_ok
from router.routing.report import AttemptRecord
from router.routing.settings import RoutingSettings

_NONE: frozenset[str] = frozenset()


class Step(enum.Enum):
    RETRY = "retry"  # another attempt in the current group
    HOP = "hop"  # move to the next fallback group
    STOP = "stop"  # give up: raise


class RequestPlan:
    """One request's bookkeeping. Written out rather than a dataclass: one is built per request, and the
    generated ``__init__`` with its default factories costs twice as much."""

    __slots__ = (
        "attempts",
        "errors",
        "excluded",
        "group",
        "hops",
        "members",
        "model",
        "num_retries",
        "outside",
        "queue",
        "requested_group",
        "retries",
        "retry_at",
        "settings",
        "started",
        "table",
        "tried",
        "visited",
    )

    def __init__(
        self,
        settings: RoutingSettings,
        table: DeploymentTable,
        model: str,
        group: str,
        members: tuple[DeploymentSpec, ...],
        num_retries: int | None = None,
    ) -> None:
        self.settings = settings
        self.table = table
        self.model = model
        self.group = group
        self.members = members
        self.num_retries = num_retries
        self.requested_group = group
        self.retries = 0
        self.hops = 0
        # Small lists and a shared empty set, replaced on the first failure: one plan is alive per in-flight
        # request, and empty sets and deques cost 216 and 760 bytes each.
        self.visited: list[str] = [group]
        self.queue: list[str] = []  # fallback groups to try, in order (a handful at most)
        self.tried: AbstractSet[str] = _NONE  # failed once in this request: untried deployments go first
        self.excluded: AbstractSet[str] = _NONE  # never again in this request
        self.attempts: list[AttemptRecord] = []
        self.errors: list[RouterError] = []
        self.retry_at: float | None = None  # earliest time a blocked deployment returns, when one was seen
        # Wall time (perf_counter) for the report's ``overhead_ms``: when the request started, and the time spent
        # outside the engine since (in the call function, sleeping).
        self.started = time.perf_counter()
        self.outside = 0.0

    @property
    def last_error(self) -> RouterError | None:
        return self.errors[-1] if self.errors else None

    def note_blocked_until(self, until: float | None) -> None:
        if until is not None and (self.retry_at is None or until < self.retry_at):
            self.retry_at = until

    def after_failure(self, error: RouterError, spec: DeploymentSpec) -> Step:
        """Record the failed attempt's consequences for this request and say what comes next."""
        self.tried = {*self.tried, spec.id}
        self.errors.append(error)
        if not same_deployment_retry_ok(error):
            self.excluded = {*self.excluded, spec.id}
        if isinstance(error, ContextWindowExceededError | ContentPolicyError):
            self.excluded = {*self.excluded, *(m.id for m in self.members)}
            mapping = (
                self.settings.context_window_fallbacks
                if isinstance(error, ContextWindowExceededError)
                else self.settings.content_policy_fallbacks
            )
            self.queue = self._targets(mapping)
            return Step.HOP if self.queue else Step.STOP
        if self.retries < retries_allowed(error, self.group, spec, self.settings, self.num_retries):
            return Step.RETRY
        if isinstance(error, BadRequestError):
            return Step.STOP
        self.enqueue_fallbacks()
        return Step.HOP

    def enqueue_fallbacks(self) -> None:
        """The current group's generic fallbacks go to the back of the queue (breadth-first)."""
        targets = self._targets(self.settings.fallbacks) or self.settings.default_fallbacks
        self.queue.extend([t for t in targets if t not in self.queue])

    def _targets(self, mapping: Mapping[str, Sequence[str]]) -> list[str]:
        found = mapping.get(self.group) or mapping.get("*") or ()
        return [t for t in found if t not in self.visited]

    def has_fallback(self) -> bool:
        return self.hops < self.settings.max_fallbacks and any(self._usable(g) for g in self.queue)

    def _usable(self, name: str) -> bool:
        group = self.table.group_name(name)
        return group is not None and group not in self.visited

    def hop(self) -> str | None:
        """Move to the next usable fallback group; None when none is left or ``max_fallbacks`` is reached."""
        while self.queue and self.hops < self.settings.max_fallbacks:
            group = self.table.group_name(self.queue.pop(0))
            if group is None or group in self.visited:
                continue
            self.hops += 1
            self.visited.append(group)
            self.group = group
            self.members = self.table.members(group)
            return group
        return None

    def final_error(self, now: float) -> RouterError:
        """What the caller gets when the plan is spent: the typed error itself when exactly one attempt was made
        and it is not retryable; otherwise NoDeploymentAvailableError with every attempt and ``retry_after``
        (until the earliest blocked deployment returns, else the last upstream Retry-After)."""
        errors = self.errors
        if len(errors) == 1 and not errors[0].retryable:
            return errors[0]
        retry_after: float | None = None
        if self.retry_at is not None and self.retry_at > now:
            retry_after = round(self.retry_at - now, 3)
        elif errors:
            last_after = getattr(errors[-1], "retry_after", None)
            retry_after = last_after if isinstance(last_after, int | float) else None
        return NoDeploymentAvailableError(
            self._failure_message(retry_after),
            model=self.model,
            attempts=[as_upstream(e) for e in errors],
            retry_after=retry_after,
        )

    def _failure_message(self, retry_after: float | None) -> str:
        when = f" Retry in {retry_after:.1f}s." if retry_after is not None else ""
        if not self.attempts:
            return f"No deployment of model {self.model!r} is available: all are cooling down or at their limits.{when}"
        parts = []
        for record in self.attempts:
            status = record.error.upstream_status if record.error is not None else None
            parts.append(f"{record.deployment_id}: {type(record.error).__name__}" + (f" ({status})" if status else ""))
        n = len(self.attempts)
        return f"All {n} attempt{'s' if n != 1 else ''} for model {self.model!r} failed: {'; '.join(parts)}.{when}"


def as_upstream(error: RouterError) -> UpstreamError:
    """NoDeploymentAvailableError lists UpstreamErrors; a CredentialsError is wrapped, keeping its cause."""
    if isinstance(error, UpstreamError):
        return error
    wrapped = UpstreamError(error.message, code=error.code)
    wrapped.__cause__ = error
    return wrapped
