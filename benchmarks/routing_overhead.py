"""Routing engine overhead per request (pick + call bookkeeping + record) with the in-memory store.

    .venv/bin/python benchmarks/routing_overhead.py [--requests 20000] [--redis-url redis://127.0.0.1:6379/0]

Each request runs ``RoutingEngine.execute`` against a call function that returns at once; the baseline is
awaiting that call directly, so "added" is what the engine costs. Prints median and p99 in microseconds per
strategy. With ``--redis-url`` the same runs use the Redis store (one pipelined read per pick, plus one
script call per reservation or latency sample). Logging is filtered to warnings (as in production), so
successful attempts build no log lines.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import time
from typing import Any

import structlog

from router.routing import (
    AttemptInfo,
    DeploymentSpec,
    MemoryStore,
    RedisStore,
    RoutingEngine,
    RoutingSettings,
    StateStore,
)


async def answer(spec: DeploymentSpec, info: AttemptInfo) -> str:
    return "ok"


def deployments() -> list[DeploymentSpec]:
    regions = ["europe-west4", "europe-west1", "us-central1"]
    return [
        DeploymentSpec(
            model_name="gemini-flash",
            model="vertex_ai/gemini-2.5-flash",
            project="bench",
            location=region,
            rpm=10**9,
            tpm=10**12,
            weight=i + 1,
            input_cost_per_token=1e-7 * (i + 1),
            output_cost_per_token=4e-7,
        )
        for i, region in enumerate(regions)
    ]


async def measure(settings: RoutingSettings | None, n: int, redis_url: str | None = None) -> list[float]:
    samples: list[float] = []
    if settings is None:
        spec = deployments()[0]
        info = AttemptInfo(1, "g", spec.id, False, 0.0, 0.0, 1.0, None)
        for _ in range(n):
            t0 = time.perf_counter_ns()
            await answer(spec, info)
            samples.append((time.perf_counter_ns() - t0) / 1000)
        return samples
    store: StateStore = RedisStore.connect(url=redis_url) if redis_url else MemoryStore()
    engine = RoutingEngine(deployments(), settings, store=store, rng=random.Random(1))
    for _ in range(1000):  # warm-up
        await engine.execute("gemini-flash", answer, tokens=50)
    for _ in range(n):
        t0 = time.perf_counter_ns()
        await engine.execute("gemini-flash", answer, tokens=50)
        samples.append((time.perf_counter_ns() - t0) / 1000)
    await engine.aclose()
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99)]


async def main(n: int, redis_url: str | None = None) -> dict[str, Any]:
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING), cache_logger_on_first_use=True
    )
    base_median, _ = summary(await measure(None, n))
    results: dict[str, Any] = {}
    print(f"store: {'redis ' + redis_url if redis_url else 'memory'}; {n} requests per strategy")
    print(f"baseline (await call directly): median {base_median:.2f} us")
    print(f"{'strategy':<26} {'median us':>10} {'p99 us':>10} {'added median us':>16}")
    for strategy in (
        "simple-shuffle",
        "least-busy",
        "latency-based-routing",
        "usage-based-routing-v2",
        "cost-based-routing",
    ):
        median, p99 = summary(await measure(RoutingSettings(routing_strategy=strategy), n, redis_url))
        results[strategy] = {"median_us": median, "p99_us": p99, "added_median_us": median - base_median}
        print(f"{strategy:<26} {median:>10.1f} {p99:>10.1f} {median - base_median:>16.1f}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.redis_url))
