"""Load against the proxy (``vertex-router serve``) in front of the emulator, and against the emulator directly.

Three processes on 127.0.0.1: the emulator (``vertex-router emulator``), the proxy (``vertex-router serve`` on
uvicorn, or granian with ``--server granian``), and this load generator (asyncio + aiohttp, one keep-alive connection
per concurrent client). For concurrency 1, 16 and 64 it prints requests/s, p50 and p99 of small
non-streaming chat calls, for the proxy and for the same call sent straight to the emulator (Gemini's
wire format, with a token minted from the same service account); then the time to the first byte of a
streamed answer. ``cpu ms/req`` is the proxy processes' CPU time (user+sys from /proc) per request.

    python benchmarks/proxy_load.py [--duration 5] [--workers 1] [--server granian|uvicorn] [--soak 100000]

On a 2-core machine all three processes share the cores: the numbers are an honest floor, not a peak.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson
import yaml

BIN = Path(sys.executable).parent
KEY = "sk-bench"
MODEL_PATH = "/v1/projects/emulator-project/locations/us-central1/publishers/google/models/gemini-2.5-flash"
CHAT = orjson.dumps({"model": "gemini-flash", "messages": [{"role": "user", "content": "hello there"}]})
CHAT_STREAM = orjson.dumps(
    {"model": "gemini-flash", "messages": [{"role": "user", "content": "hello there"}], "stream": True}
)
GEMINI = orjson.dumps({"contents": [{"role": "user", "parts": [{"text": "hello there"}]}]})


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    for _ in range(400):
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def process_tree_cpu(pid: int) -> float:
    """User+system CPU seconds of ``pid`` and its children (uvicorn/granian workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            pids.extend(int(c) for c in children)
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            continue
    return total


async def run_load(
    send: Callable[[aiohttp.ClientSession], Awaitable[float]], concurrency: int, duration: float, cpu_pid: int | None
) -> Result:
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        warm_until = time.perf_counter() + min(1.0, duration / 3)
        while time.perf_counter() < warm_until:
            await asyncio.gather(*(send(session) for _ in range(concurrency)))
        latencies: list[float] = []
        errors = 0
        cpu_before = process_tree_cpu(cpu_pid) if cpu_pid else 0.0
        start = time.perf_counter()
        stop_at = start + duration

        async def client() -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                try:
                    latencies.append(await send(session))
                except (aiohttp.ClientError, AssertionError):
                    errors += 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        cpu = (process_tree_cpu(cpu_pid) - cpu_before) if cpu_pid else 0.0
    return Result(len(latencies), elapsed, latencies, errors, cpu)


def proxy_call(url: str) -> Callable[[aiohttp.ClientSession], Awaitable[float]]:
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}

    async def send(session: aiohttp.ClientSession) -> float:
        t0 = time.perf_counter()
        async with session.post(f"{url}/v1/chat/completions", data=CHAT, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
        return time.perf_counter() - t0

    return send


def direct_call(url: str, token: str) -> Callable[[aiohttp.ClientSession], Awaitable[float]]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def send(session: aiohttp.ClientSession) -> float:
        t0 = time.perf_counter()
        async with session.post(f"{url}{MODEL_PATH}:generateContent", data=GEMINI, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
        return time.perf_counter() - t0

    return send


def first_byte(url: str, body: bytes, headers: dict[str, str]) -> Callable[[aiohttp.ClientSession], Awaitable[float]]:
    async def send(session: aiohttp.ClientSession) -> float:
        t0 = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as response:
            assert response.status == 200, response.status
            await response.content.readany()
            ttfb = time.perf_counter() - t0
            await response.read()
        return ttfb

    return send


def start_emulator(port: int, credentials: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(BIN / "vertex-router"), "emulator", "--port", str(port), "--write-credentials", str(credentials)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_http(f"http://127.0.0.1:{port}/", proc)
    return proc


def start_proxy(server: str, config: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """``vertex-router serve`` exactly as users run it, with the server chosen by VERTEX_ROUTER_SERVER."""
    cmd = [str(BIN / "vertex-router"), "--log-level", "warning", "serve", "--config", str(config),
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]  # fmt: skip
    env = {**os.environ, "VERTEX_ROUTER_SERVER": server}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/health/liveliness", proc)
    return proc


def mint_token(credentials: Path) -> str:
    import google.auth.transport.requests
    from google.oauth2 import service_account

    creds = service_account.Credentials.from_service_account_file(
        str(credentials), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    creds.refresh(google.auth.transport.requests.Request())
    return str(creds.token)


def line(name: str, result: Result) -> str:
    cpu = f"{result.cpu_s * 1000 / max(1, result.requests):7.3f}" if result.cpu_s else "      -"
    return (
        f"{name:<30} {result.rps:9.0f} {result.pct(0.50):8.2f} {result.pct(0.99):8.2f} {cpu} "
        f"{result.requests:8d} {result.errors:5d}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    parser.add_argument("--concurrency", default="1,16,64")
    parser.add_argument("--soak", type=int, default=0, help="then send this many requests, printing proxy RSS")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    state = Path(tempfile.mkdtemp(prefix="proxy-bench-"))
    credentials = state / "sa.json"
    emu_port, proxy_port = free_port(), free_port()
    emulator = start_emulator(emu_port, credentials)
    emu_url = f"http://127.0.0.1:{emu_port}"
    deployment = {"model_name": "gemini-flash", "litellm_params": {
        "model": "vertex_ai/gemini-2.5-flash", "vertex_project": "emulator-project", "vertex_location": "us-central1",
        "api_base": emu_url, "vertex_credentials": str(credentials)}}  # fmt: skip
    config = state / "config.yaml"
    config.write_text(yaml.safe_dump({"model_list": [deployment], "general_settings": {"master_key": KEY}}))
    proxy = start_proxy(args.server, config, proxy_port, args.workers)
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    try:
        token = mint_token(credentials)
        print(f"server={args.server} workers={args.workers} duration={args.duration}s cores={os.cpu_count()}")
        print(f"{'scenario':<30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms/req':>7} {'n':>8} {'err':>5}")
        for c in levels:
            direct = await run_load(direct_call(emu_url, token), c, args.duration, None)
            print(line(f"emulator direct, c={c}", direct))
            via = await run_load(proxy_call(proxy_url), c, args.duration, proxy.pid)
            print(line(f"proxy -> emulator, c={c}", via))
            print(f"{'  added p50 (ms)':<30} {via.pct(0.5) - direct.pct(0.5):27.2f}")
        stream_headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        direct_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for c in (1, 16):
            direct_ttfb = first_byte(f"{emu_url}{MODEL_PATH}:streamGenerateContent?alt=sse", GEMINI, direct_headers)
            result = await run_load(direct_ttfb, c, args.duration, None)
            print(line(f"stream TTFB direct, c={c}", result))
            proxy_ttfb = first_byte(f"{proxy_url}/v1/chat/completions", CHAT_STREAM, stream_headers)
            result = await run_load(proxy_ttfb, c, args.duration, proxy.pid)
            print(line(f"stream TTFB proxy, c={c}", result))
        rss = _rss_kb(proxy.pid)
        print(f"proxy RSS after the run: {_tree_rss_kb(proxy.pid) / 1024:.0f} MiB (all its processes)" if rss else "")
        if args.soak:
            await soak(proxy_url, proxy.pid, args.soak)
    finally:
        proxy.terminate()
        proxy.wait(timeout=30)
        emulator.terminate()
        emulator.wait(timeout=10)


async def soak(url: str, pid: int, total: int, concurrency: int = 16) -> None:
    """Memory over many requests: RSS of the proxy's processes after every tenth of them."""
    send = proxy_call(url)
    step = max(1, total // 10)
    done = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        while done < total:
            queue = iter(range(step))
            await asyncio.gather(*(_drain(queue, send, session) for _ in range(concurrency)))
            done += step
            print(f"soak: {done:>8} requests, proxy RSS {_tree_rss_kb(pid) / 1024:.1f} MiB")


async def _drain(
    queue: Iterator[int], send: Callable[[aiohttp.ClientSession], Awaitable[float]], session: aiohttp.ClientSession
) -> None:
    for _ in queue:
        await send(session)


def _tree_rss_kb(pid: int) -> int:
    pids = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            pids.extend(int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
    except OSError:
        pass
    return sum(_rss_kb(p) for p in pids)


def _rss_kb(pid: int) -> int:
    try:
        for row in Path(f"/proc/{pid}/status").read_text().splitlines():
            if row.startswith("VmRSS:"):
                return int(row.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    asyncio.run(main())
