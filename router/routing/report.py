"""What the engine hands the attempt function (``AttemptInfo``) and what it returns about a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from router.errors import UpstreamError
from router.routing.clock import Clock
from router.routing.deployments import DeploymentSpec


@dataclass(slots=True)
class AttemptInfo:
    """One attempt. The call reads the deadlines and may report back ``first_token_at`` (use
    ``mark_first_token()``: it reads the engine's clock) and ``tokens_used`` (prompt + completion)."""

    attempt: int  # 1-based, across retries and fallback hops
    group: str
    deployment_id: str
    stream: bool
    started_at: float
    deadline: float  # the whole request's deadline (engine clock)
    timeout: float  # seconds this attempt may take: min(deployment/router timeout, time left)
    first_token_timeout: float | None  # streams: first_token_timeout, else stream_timeout (bounded by timeout)
    is_retry: bool = False
    is_fallback: bool = False
    first_token_at: float | None = None
    tokens_used: int | None = None
    clock: Clock | None = field(default=None, repr=False)

    def mark_first_token(self) -> None:
        if self.clock is not None:
            self.first_token_at = self.clock()


class AttemptRecord(NamedTuple):
    deployment_id: str
    error: UpstreamError | None
    latency: float  # seconds


@dataclass(slots=True)
class ExecutionReport:
    model: str  # as the caller asked
    model_group: str  # the group that answered
    deployment: DeploymentSpec
    attempts: list[AttemptRecord]
    requested_group: str
    fallback_used: str | None = None  # the group that answered when it is not the requested one
    retries: int = 0
    hops: int = 0
    overhead_ms: float = 0.0  # engine time spent outside the call function (picks, store, bookkeeping)

    @property
    def deployment_id(self) -> str:
        return self.deployment.id

    @property
    def attempt_count(self) -> int:
        return len(self.attempts)

    total_attempts = attempt_count
