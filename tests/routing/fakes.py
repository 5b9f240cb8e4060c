"""Fakes for routing tests: a clock, a sleep that advances it (and records every wait), a scripted upstream."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from router.errors import RouterError
from router.routing import AttemptInfo, DeploymentSpec, MemoryStore, RoutingEngine, RoutingSettings, StateStore

START = 1_800_000_000.0  # an exact minute boundary on the epoch scale


class FakeClock:
    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeSleep:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)


Behaviour = RouterError | Callable[[DeploymentSpec, AttemptInfo], Any] | str


class Upstream:
    """The ``call`` function: per deployment id a queue of outcomes (an error to raise, a callable, or "ok");
    once the queue is empty, ``default`` per id (else "ok"). Records every call in order."""

    def __init__(self, clock: FakeClock, latency: float = 0.0) -> None:
        self.clock = clock
        self.latency = latency
        self.calls: list[str] = []
        self.infos: list[AttemptInfo] = []
        self.script: dict[str, list[Behaviour]] = {}
        self.default: dict[str, Behaviour] = {}

    def then(self, dep_id: str, *outcomes: Behaviour) -> Upstream:
        self.script.setdefault(dep_id, []).extend(outcomes)
        return self

    def always(self, dep_id: str, outcome: Behaviour) -> Upstream:
        self.default[dep_id] = outcome
        return self

    async def __call__(self, spec: DeploymentSpec, info: AttemptInfo) -> str:
        self.calls.append(spec.id)
        self.infos.append(info)
        queue = self.script.get(spec.id)
        outcome = queue.pop(0) if queue else self.default.get(spec.id, "ok")
        self.clock.advance(self.latency)
        if isinstance(outcome, RouterError):
            raise outcome
        if callable(outcome):
            result = outcome(spec, info)
            if asyncio.iscoroutine(result):
                result = await result
            return f"ok:{spec.id}" if result is None else str(result)
        return f"ok:{spec.id}"

    def count(self, dep_id: str) -> int:
        return self.calls.count(dep_id)


def dep(group: str, name: str, **kw: Any) -> DeploymentSpec:
    return DeploymentSpec(model_name=group, model="vertex_ai/gemini-2.5-flash", location=name, id=name, **kw)


class Harness:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.sleep = FakeSleep(self.clock)
        self.upstream = Upstream(self.clock)

    def engine(
        self,
        deployments: list[DeploymentSpec],
        *,
        seed: int = 7,
        store: StateStore | None = None,
        **settings: Any,
    ) -> RoutingEngine:
        return RoutingEngine(
            deployments,
            RoutingSettings(**settings),
            store=store if store is not None else MemoryStore(),
            clock=self.clock,
            rng=random.Random(seed),
            sleep=self.sleep,
        )
