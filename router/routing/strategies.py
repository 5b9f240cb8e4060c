"""Routing strategies: pure functions of (candidates, rng, context) → the chosen candidate.

Candidates are already filtered (healthy, within limits, lowest ``order`` tier); a strategy only ranks them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from router.routing.deployments import DeploymentSpec
from router.routing.state import DeploymentState


@dataclass(slots=True)
class Candidate:
    spec: DeploymentSpec
    state: DeploymentState
    half_open: bool = False  # cooldown expired, no success since: picking it makes this request the probe


@dataclass(frozen=True, slots=True)
class PickContext:
    stream: bool = False
    tokens: int = 0
    lowest_latency_buffer: float = 0.0


Strategy = Callable[[Sequence[Candidate], random.Random, PickContext], Candidate]


def _random_among_min(
    candidates: Sequence[Candidate], key: Callable[[Candidate], float], rng: random.Random
) -> Candidate:
    best = min(key(c) for c in candidates)
    tied = [c for c in candidates if key(c) == best]
    return tied[0] if len(tied) == 1 else tied[rng.randrange(len(tied))]


def shuffle_weights(candidates: Sequence[Candidate]) -> list[float]:
    """``weight``, else ``rpm``, else ``tpm``, else uniform — the first field any candidate sets. Candidates
    without that field get the mean of those with it (an unweighted sibling gets an average share rather than
    vanishing)."""
    if not any(c.spec.weight or c.spec.rpm or c.spec.tpm for c in candidates):
        return [1.0] * len(candidates)  # nothing set anywhere (the common case): skip the three passes
    for field in ("weight", "rpm", "tpm"):
        raw: list[float | None] = [getattr(c.spec, field) for c in candidates]
        present = [float(v) for v in raw if v is not None and v > 0]
        if present:
            mean = sum(present) / len(present)
            return [float(v) if v is not None and v > 0 else mean for v in raw]
    return [1.0] * len(candidates)


def simple_shuffle(candidates: Sequence[Candidate], rng: random.Random, ctx: PickContext) -> Candidate:
    if len(candidates) == 1:
        return candidates[0]
    weights = shuffle_weights(candidates)
    point = rng.random() * sum(weights)
    for candidate, weight in zip(candidates, weights, strict=True):
        point -= weight
        if point < 0:
            return candidate
    return candidates[-1]


def least_busy(candidates: Sequence[Candidate], rng: random.Random, ctx: PickContext) -> Candidate:
    return _random_among_min(candidates, lambda c: float(c.state.inflight), rng)


def _latency_of(candidate: Candidate, stream: bool) -> float:
    # Never measured → 0: a new or recovered deployment is tried first, which is how it gets measured.
    state = candidate.state
    value = state.ttft if stream and state.ttft is not None else state.latency
    return 0.0 if value is None else value


def lowest_latency(candidates: Sequence[Candidate], rng: random.Random, ctx: PickContext) -> Candidate:
    """Lowest mean latency (time-to-first-token for streams); random among those within
    ``lowest_latency_buffer`` times best of the best, so near-equal regions share load."""
    latencies = [_latency_of(c, ctx.stream) for c in candidates]
    best = min(latencies)
    limit = best * (1.0 + max(0.0, ctx.lowest_latency_buffer))
    near = [c for c, lat in zip(candidates, latencies, strict=True) if lat <= limit]
    return near[0] if len(near) == 1 else near[rng.randrange(len(near))]


def lowest_usage(candidates: Sequence[Candidate], rng: random.Random, ctx: PickContext) -> Candidate:
    """Fewest tokens used this minute, then fewest requests; ties at random."""
    return _random_among_min(candidates, lambda c: c.state.tpm_used * 1e9 + c.state.rpm_used, rng)


def _cost_of(candidate: Candidate) -> float:
    spec = candidate.spec
    if spec.input_cost_per_token is None and spec.output_cost_per_token is None:
        return math.inf  # unpriced: only when no priced deployment is available
    return (spec.input_cost_per_token or 0.0) + (spec.output_cost_per_token or 0.0)


def lowest_cost(candidates: Sequence[Candidate], rng: random.Random, ctx: PickContext) -> Candidate:
    return _random_among_min(candidates, _cost_of, rng)


STRATEGIES: Mapping[str, Strategy] = MappingProxyType(
    {
        "simple-shuffle": simple_shuffle,
        "least-busy": least_busy,
        "latency-based-routing": lowest_latency,
        "usage-based-routing": lowest_usage,
        "usage-based-routing-v2": lowest_usage,
        "cost-based-routing": lowest_cost,
    }
)


def lowest_tier(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Members of the lowest ``order`` present. Deployments without ``order`` form the last tier (they are not
    dropped, unlike LiteLLM, where they vanish as soon as a sibling sets an order)."""
    if len(candidates) <= 1 or all(c.spec.order is None for c in candidates):
        return list(candidates)
    best = min(_tier(c) for c in candidates)
    return [c for c in candidates if _tier(c) == best]


def _tier(candidate: Candidate) -> float:
    order = candidate.spec.order
    return math.inf if order is None else float(order)
