"""Which HTTP transport should VertexClient use? Latency and throughput against a trivial local server.

    .venv/bin/python benchmarks/transports.py [--requests 3000] [--concurrency 64] [--uvloop]

Starts uvicorn (httptools + uvloop, one worker) in a subprocess answering a small Gemini-like JSON, then for
each client measures p50/p99 of sequential calls and requests/s at the given concurrency:

- httpx with its default transport (httpcore pool)
- httpx with httpx_aiohttp.AiohttpTransport
- raw aiohttp (reference: the floor the aiohttp transport could reach)
- VertexClient (default transport, plus its deadline bookkeeping)
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
import orjson

BODY = orjson.dumps(
    {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": "Hello! How can I help?"}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 7, "totalTokenCount": 11},
        "modelVersion": "gemini-2.5-flash",
    }
)
REQUEST = orjson.dumps({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]})
PATH = "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The smallest ASGI app that reads the request and answers like generateContent."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run(
        app, host="127.0.0.1", port=port, loop="uvloop", http="httptools", log_level="warning", access_log=False
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start")


Call = Callable[[], Awaitable[None]]


async def measure(call: Call, requests: int, concurrency: int) -> tuple[float, float, float]:
    for _ in range(200):  # warm the pool
        await call()
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    samples.sort()
    p50 = statistics.median(samples) * 1e6
    p99 = samples[int(len(samples) * 0.99)] * 1e6

    remaining = requests * 3

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    rps = requests * 3 / (time.perf_counter() - start)
    return p50, p99, rps


async def run_all(url: str, requests: int, concurrency: int) -> None:
    from router.families.base import PreparedRequest
    from router.vertex.client import DEFAULT_LIMITS, VertexClient

    limits = DEFAULT_LIMITS
    headers = {"content-type": "application/json", "authorization": "Bearer ya29.bench"}

    async def with_httpx(client: httpx.AsyncClient) -> Call:
        async def call() -> None:
            response = await client.post(url, content=REQUEST, headers=headers)
            assert response.status_code == 200 and len(response.content) == len(BODY)

        return call

    results: list[tuple[str, tuple[float, float, float]]] = []

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        results.append(("httpx default transport", await measure(await with_httpx(client), requests, concurrency)))

    from httpx_aiohttp import AiohttpTransport

    async with httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=30) as client:
        results.append(("httpx + AiohttpTransport", await measure(await with_httpx(client), requests, concurrency)))

    connector = aiohttp.TCPConnector(limit=limits.max_connections or 0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def raw() -> None:
            async with session.post(url, data=REQUEST, headers=headers) as response:
                body = await response.read()
                assert response.status == 200 and len(body) == len(BODY)

        results.append(("raw aiohttp (reference)", await measure(raw, requests, concurrency)))

    async with VertexClient() as vertex:
        prepared = PreparedRequest(method="POST", url=url, body=REQUEST)

        async def routed() -> None:
            response = await vertex.send(prepared, token="ya29.bench")
            assert response.status == 200 and len(response.body) == len(BODY)

        results.append(("VertexClient (default)", await measure(routed, requests, concurrency)))

    print(f"{'client':28} {'p50 µs':>9} {'p99 µs':>9} {'req/s @' + str(concurrency):>12}")
    for name, (p50, p99, rps) in results:
        print(f"{name:28} {p50:9.0f} {p99:9.0f} {rps:12.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="sequential calls (x3 for the concurrent run)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--uvloop", action="store_true", help="run the clients on uvloop too")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        wait_for(port)
        url = f"http://127.0.0.1:{port}{PATH}"
        print(
            f"server: uvicorn httptools+uvloop pid {server.pid}; client loop: {'uvloop' if args.uvloop else 'asyncio'}"
        )
        if args.uvloop:
            import uvloop

            uvloop.run(run_all(url, args.requests, args.concurrency))
        else:
            asyncio.run(run_all(url, args.requests, args.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
