"""The Router's own overhead, in process, against a direct call with the same HTTP client.

Two measurements:

1. ``mock``: the upstream is an ``httpx.MockTransport`` answering a canned Gemini response, so the difference
   between ``Router.acompletion`` and a direct ``client.send`` of a pre-built request is the router's own work
   (routing decision, translation, token lookup, response mapping).
2. ``emulator``: the emulator as a separate process (``vertex-router emulator``) on 127.0.0.1; median and p99
   of the Router vs a direct call at concurrency 1 and 64, CPU time per request, time to first chunk of a
   stream, peak RSS.

    python benchmarks/router_overhead.py [--requests 2000] [--no-pin]

With two or more cores the emulator is pinned to the last core and the benchmark to the others (``--no-pin``
lets them share): the upstream does not share the router's CPU in production.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from router import Router
from router.families import get_family
from router.families.base import CallRequest, Target
from router.vertex.client import VertexClient

MESSAGES = [{"role": "user", "content": "hello there"}]
ROUNDS = 5
PIN = True  # --no-pin: let the emulator and the benchmark share both cores
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


async def _cpu_per_call(fn: Callable[[], Awaitable[Any]], n: int) -> float:
    cpu0 = time.process_time()
    for _ in range(n):
        await fn()
    return (time.process_time() - cpu0) / n


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _timed(fn: Callable[[], Awaitable[Any]], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - t0)
    return out


async def _timed_pair(
    a: Callable[[], Awaitable[Any]], b: Callable[[], Awaitable[Any]], n: int
) -> tuple[list[float], list[float]]:
    """Latencies of ``a`` and ``b`` called alternately, so a change in machine load affects both alike."""
    out_a, out_b = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        await a()
        t1 = time.perf_counter()
        await b()
        out_a.append(t1 - t0)
        out_b.append(time.perf_counter() - t1)
    return out_a, out_b


async def _throughput(fn: Callable[[], Awaitable[Any]], total: int, concurrency: int) -> tuple[float, float]:
    """requests/s and CPU seconds per request at the given concurrency."""
    queue = iter(range(total))

    async def worker() -> None:
        for _ in queue:
            await fn()

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return total / wall, cpu / total


def _report(name: str, router: list[float], direct: list[float]) -> None:
    r50, d50 = statistics.median(router), statistics.median(direct)
    print(
        f"{name:<34} router p50 {r50 * 1e6:8.1f} µs  p99 {_pct(router, 0.99) * 1e6:8.1f} µs | "
        f"direct p50 {d50 * 1e6:8.1f} µs  p99 {_pct(direct, 0.99) * 1e6:8.1f} µs | "
        f"added p50 {(r50 - d50) * 1e6:7.1f} µs"
    )


async def bench_mock(n: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600, "token_type": "Bearer"})
        return httpx.Response(200, content=CANNED, headers={"content-type": "application/json"})

    transport = httpx.MockTransport(handler)
    config = {
        "model_list": [
            {
                "model_name": "flash",
                "litellm_params": {
                    "model": "vertex_ai/gemini-2.5-flash",
                    "vertex_project": "p",
                    "vertex_location": "us-central1",
                    "api_base": "http://upstream",
                },
            }
        ]
    }
    router = Router.from_dict(config, transport=transport)
    # Tokens are minted off the request path; pre-seed the cache so no google-auth call happens here.
    res = router._resources()
    tokens: Any = res.tokens

    async def fake_token(source: Any) -> str:
        return "t"

    tokens.token = fake_token
    family = get_family("gemini")
    target = Target("gemini", "gemini-2.5-flash", "p", "us-central1", "d", api_base="http://upstream")
    prepared = family.build_request(CallRequest("chat", {"messages": MESSAGES}), target)
    client = VertexClient(transport=transport)

    async def via_router() -> Any:
        return await router.acompletion(model="flash", messages=MESSAGES)

    async def direct() -> Any:
        return await client.send(prepared, token="t")

    for fn in (via_router, direct):
        await _timed(fn, 200)  # warm-up
    _report("mock transport, sequential", *await _timed_pair(via_router, direct, n))
    # CPU time is steadier than wall time on a shared machine; alternate rounds and keep the median.
    cpu_router, cpu_direct = [], []
    for _ in range(ROUNDS):
        cpu_router.append(await _cpu_per_call(via_router, n))
        cpu_direct.append(await _cpu_per_call(direct, n))
    r_cpu, d_cpu = statistics.median(cpu_router), statistics.median(cpu_direct)
    print(
        f"{'mock transport, CPU per request':<34} router {r_cpu * 1e6:8.1f} µs | direct {d_cpu * 1e6:8.1f} µs | "
        f"added {(r_cpu - d_cpu) * 1e6:7.1f} µs (median of {ROUNDS} rounds)"
    )
    await router.aclose()
    await client.aclose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _complete_json(path: Path) -> bool:
    """The emulator writes its credentials file while it starts: wait until it is whole, not just present."""
    try:
        orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return False
    return True


def _pin_apart(emulator_pid: int) -> None:
    """The emulator on the last core, this process on the others: the emulator stands in for Vertex, which
    does not share a core with the router in production; on one core its work would be counted as the
    router's contention. Nothing is pinned on a single-core machine."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cores) < 2:
        return
    os.sched_setaffinity(emulator_pid, {cores[-1]})
    os.sched_setaffinity(0, set(cores[:-1]))
    print(f"emulator pinned to core {cores[-1]}, benchmark to {cores[:-1]}")


def _start_emulator(port: int, credentials: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "router",
            "--log-level",
            "warning",
            "emulator",
            "--port",
            str(port),
            "--write-credentials",
            str(credentials),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if PIN:
        _pin_apart(proc.pid)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                pass
            if _complete_json(credentials):
                return proc
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("emulator did not start")


async def bench_emulator(n: int) -> None:
    port = _free_port()
    credentials = Path(tempfile.mkdtemp()) / "sa.json"
    proc = _start_emulator(port, credentials)
    url = f"http://127.0.0.1:{port}"
    try:
        config = {
            "model_list": [
                {
                    "model_name": "flash",
                    "litellm_params": {
                        "model": "vertex_ai/gemini-2.5-flash",
                        "vertex_project": "emulator-project",
                        "vertex_location": "us-central1",
                        "vertex_credentials": str(credentials),
                        "api_base": url,
                    },
                }
            ]
        }
        router = Router.from_dict(config)
        await router.readiness()  # mint the token before measuring
        token = await router._resources().tokens.token(str(credentials))
        family = get_family("gemini")
        target = Target("gemini", "gemini-2.5-flash", "emulator-project", "us-central1", "d", api_base=url)
        prepared = family.build_request(CallRequest("chat", {"messages": MESSAGES}), target)
        stream_req = family.build_request(CallRequest("chat", {"messages": MESSAGES}, stream=True), target)
        client = VertexClient()

        async def via_router() -> Any:
            return await router.acompletion(model="flash", messages=MESSAGES)

        async def direct() -> Any:
            response = await client.send(prepared, token=token)
            return family.parse_response(response, CallRequest("chat", {"messages": MESSAGES}), target)

        async def router_ttfc() -> Any:
            stream = await router.acompletion(model="flash", messages=MESSAGES, stream=True)
            await stream.__anext__()
            await stream.aclose()

        async def direct_ttfc() -> Any:
            upstream = await client.open_stream(stream_req, token=token)
            await upstream.events().__anext__()
            await upstream.aclose()

        for fn in (via_router, direct, router_ttfc, direct_ttfc):
            await _timed(fn, 100)
        _report("emulator, concurrency 1", *await _timed_pair(via_router, direct, n))
        _report("emulator, stream time to 1st chunk", *await _timed_pair(router_ttfc, direct_ttfc, n // 2))
        for concurrency in (64,):
            rounds = []
            for _ in range(ROUNDS):  # alternating, so drift in machine load hits both sides alike
                rounds.append(
                    (await _throughput(via_router, n * 2, concurrency), await _throughput(direct, n * 2, concurrency))
                )
            r_rps = statistics.median(r[0][0] for r in rounds)
            d_rps = statistics.median(r[1][0] for r in rounds)
            r_cpu = statistics.median(r[0][1] for r in rounds)
            d_cpu = statistics.median(r[1][1] for r in rounds)
            ratio = statistics.median(r[0][0] / r[1][0] for r in rounds)
            cpu_ratio = statistics.median(r[1][1] / r[0][1] for r in rounds)
            print(
                f"{f'emulator, concurrency {concurrency}':<34} "
                f"router {r_rps:7.0f} req/s ({r_cpu * 1e6:6.0f} µs CPU/req) | "
                f"direct {d_rps:7.0f} req/s ({d_cpu * 1e6:6.0f} µs CPU/req) | throughput ratio {ratio:5.2f}, "
                f"CPU ratio {cpu_ratio:5.2f} (medians of {ROUNDS} alternating rounds)"
            )
        await router.aclose()
        await client.aclose()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--no-pin", action="store_true", help="do not pin the emulator to its own core")
    args = parser.parse_args()
    global PIN
    PIN = not args.no_pin
    print(f"python {sys.version.split()[0]}, pid {os.getpid()}, {os.cpu_count()} cores")
    await bench_mock(args.requests)
    await bench_emulator(args.requests)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.1f} MiB")


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
