"""Randomised (seeded) fallback graphs and failure scripts: the plan's bounds hold for every one of them."""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest

from router.errors import (
    BadRequestError,
    ContextWindowExceededError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    RouterError,
)
from router.routing import AttemptInfo, DeploymentSpec

from .fakes import Harness, dep

GROUPS = "abcd"


def random_case(rng: random.Random) -> tuple[list[DeploymentSpec], dict[str, Any]]:
    deps = [dep(g, f"{g}{i}") for g in GROUPS for i in range(rng.randint(1, 3))]
    fallbacks = {g: rng.sample([x for x in GROUPS if x != g], rng.randint(0, 2)) for g in GROUPS}
    settings = {
        "num_retries": rng.randint(0, 3),
        "max_fallbacks": rng.randint(0, 3),
        "fallbacks": fallbacks,
        "context_window_fallbacks": {"a": ["d"]} if rng.random() < 0.5 else None,
        "allowed_fails": rng.randint(0, 2),
    }
    return deps, settings


def outcome(rng: random.Random) -> RouterError | str:
    return rng.choice(
        [
            InternalServerError("x", upstream_status=500),
            RateLimitError("q", upstream_status=429, retry_after=rng.choice([None, 2.0])),
            NotFoundError("n", upstream_status=404),
            BadRequestError("b", upstream_status=400),
            ContextWindowExceededError("c"),
            "ok",
            "ok",
        ]
    )


@pytest.mark.parametrize("seed", range(120))
async def test_attempts_never_exceed_retries_plus_hops_and_no_sleep_is_wasted(seed: int) -> None:
    rng = random.Random(seed)
    deps, settings = random_case(rng)
    h = Harness()
    engine = h.engine(deps, seed=seed, **settings)
    timeline: list[tuple[str, str]] = []
    hops: list[str] = []
    engine.add_callback(lambda event, fields: hops.append(event) if event == "fallback_used" else None)

    async def call(spec: DeploymentSpec, info: AttemptInfo) -> str:
        timeline.append(("call", spec.model_name))
        result = outcome(rng)
        if isinstance(result, RouterError):
            raise result
        return spec.id

    real_sleep = h.sleep.__call__

    async def sleep(seconds: float) -> None:
        timeline.append(("sleep", ""))
        await real_sleep(seconds)

    engine._sleep = sleep  # record sleeps in the same timeline as calls
    for _ in range(6):
        timeline.clear()
        hops.clear()
        with contextlib.suppress(RouterError):
            await engine.execute("a", call, timeout=30)
        calls = [t for t in timeline if t[0] == "call"]
        assert len(calls) <= 1 + settings["num_retries"] + len(hops)
        assert len(hops) <= settings["max_fallbacks"]
        for i, (kind, _) in enumerate(timeline):
            if kind == "sleep":
                assert i + 1 < len(timeline), "a sleep after the last attempt"
                assert timeline[i + 1][0] == "call", "a sleep that no attempt followed"
        h.clock.advance(rng.choice([0.5, 3.0, 10.0]))
