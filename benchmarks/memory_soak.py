"""Memory over many requests: RSS every ``--step`` requests through the Router against a mock upstream.

Two runs in one process: unary ``acompletion`` calls, then streams (each read to its end). A leak shows as RSS
that keeps climbing from step to step after the warm-up; a flat curve (allocator noise of a few hundred KiB)
means every per-request object (tasks, timers, parsed URLs, response models) is released. Also counts the
tasks alive on the loop and Python's tracked objects, which catch leaks too small to move RSS quickly.

    python benchmarks/memory_soak.py [--requests 100000] [--step 10000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from router import Router

MESSAGES = [{"role": "user", "content": "hello there"}]
CANNED = orjson.dumps(
    {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "Echo: hello there"}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 3, "totalTokenCount": 5},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "r-1",
    }
)
SSE = b"".join(
    b"data: " + orjson.dumps(event) + b"\r\n\r\n"
    for event in (
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Echo: "}]}}], "responseId": "r-1"},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "hello "}]}}], "responseId": "r-1"},
        {
            "candidates": [{"content": {"role": "model", "parts": [{"text": "there"}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 3, "totalTokenCount": 5},
            "responseId": "r-1",
        },
    )
)


def rss_mib() -> float:
    """Current resident set size (Linux ``/proc``; elsewhere the peak, which only bounds it)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _handler(request: httpx.Request) -> httpx.Response:
    if "streamGenerateContent" in request.url.path:
        return httpx.Response(200, content=SSE, headers={"content-type": "text/event-stream"})
    return httpx.Response(200, content=CANNED, headers={"content-type": "application/json"})


def make_router(api_base: str = "http://upstream", credentials: str | None = None) -> Router:
    """Two deployments of one group (the picker really chooses); a mock upstream unless ``credentials``."""
    extra = {"vertex_credentials": credentials} if credentials else {}
    config = {
        "model_list": [
            {
                "model_name": "flash",
                "litellm_params": {
                    "model": "vertex_ai/gemini-2.5-flash",
                    "vertex_project": "p",
                    "vertex_location": location,
                    "api_base": api_base,
                    **extra,
                },
            }
            for location in ("us-central1", "europe-west4")
        ]
    }
    if credentials:
        return Router.from_dict(config)
    return Router.from_dict(config, transport=httpx.MockTransport(_handler))


async def _seed_token(router: Router) -> None:
    """Tokens are minted off the request path; a constant one keeps google-auth out of the measurement."""
    tokens: Any = router._resources().tokens

    async def fixed(source: Any) -> str:
        return "t"

    tokens.token = fixed


async def _worker(queue: Iterator[int], call: Callable[[], Awaitable[Any]]) -> None:
    for _ in queue:
        await call()


async def soak(name: str, call: Callable[[], Awaitable[Any]], total: int, step: int, concurrency: int) -> float:
    """Run ``total`` calls ``concurrency`` at a time; print RSS per ``step``; return growth after warm-up."""
    done = 0
    baseline: float | None = None
    steady: list[float] = []
    objects_after_warmup = 0
    started = time.perf_counter()
    print(f"{name}: {total} requests, concurrency {concurrency}")
    print(f"{'requests':>10} {'RSS MiB':>9} {'tasks':>6} {'gc objects':>11} {'req/s':>8}")
    while done < total:
        batch = min(step, total - done)
        queue = iter(range(batch))
        t0 = time.perf_counter()
        await asyncio.gather(*(_worker(queue, call) for _ in range(concurrency)))
        rate = batch / (time.perf_counter() - t0)
        done += batch
        gc.collect()
        rss = rss_mib()
        if baseline is None:
            baseline = rss  # the first step warms caches, pools and the allocator's arenas
            objects_after_warmup = len(gc.get_objects())
        else:
            steady.append(rss)
        tasks = len(asyncio.all_tasks())
        print(f"{done:>10} {rss:>9.1f} {tasks:>6} {len(gc.get_objects()):>11} {rate:>8.0f}")
    growth = rss_mib() - (baseline or 0.0)
    print(
        f"{name}: RSS growth after the first {step} requests (warm-up): {growth:+.1f} MiB "
        f"(steady-state range {min(steady or [0.0]):.1f}..{max(steady or [0.0]):.1f} MiB), "
        f"Python objects {len(gc.get_objects()) - objects_after_warmup:+d} "
        f"({time.perf_counter() - started:.0f} s)\n"
    )
    return growth


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--step", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--emulator", action="store_true", help="soak against the emulator process (the real aiohttp transport)"
    )
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, pid {os.getpid()}, start RSS {rss_mib():.1f} MiB")
    with contextlib.ExitStack() as stack:
        if args.emulator:
            api_base, credentials = stack.enter_context(_emulator())
            router = make_router(api_base, credentials)
            await router.readiness()  # mint the token before measuring
            print(f"upstream: emulator at {api_base}")
        else:
            router = make_router()
            await _seed_token(router)
            print("upstream: httpx.MockTransport")
        await _run(router, args)


@contextlib.contextmanager
def _emulator() -> Iterator[tuple[str, str]]:
    from router_overhead import _free_port, _start_emulator  # the sibling benchmark starts it the same way

    port = _free_port()
    credentials = Path(tempfile.mkdtemp()) / "sa.json"
    proc = _start_emulator(port, credentials)
    try:
        yield f"http://127.0.0.1:{port}", str(credentials)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _run(router: Router, args: argparse.Namespace) -> None:
    async def unary() -> None:
        response = await router.acompletion(model="flash", messages=MESSAGES)
        assert response.choices[0].message.content, response

    async def stream() -> None:
        chunks = await router.acompletion(model="flash", messages=MESSAGES, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in chunks if c.choices])
        assert text, "empty stream"

    unary_growth = await soak("unary", unary, args.requests, args.step, args.concurrency)
    stream_growth = await soak("stream", stream, args.requests, args.step, args.concurrency)
    await router.aclose()
    print(f"growth after warm-up: unary {unary_growth:+.1f} MiB, stream {stream_growth:+.1f} MiB")


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
