"""The proxy app's own CPU per request, in process: ASGI messages in, ASGI messages out, a stub Router.

No server, no sockets, no upstream: what ``router.proxy`` itself costs (auth, body parse, validation, the
Router call's bookkeeping, serialisation, headers, metrics) for a small chat request, a streamed one (3
chunks), and a rejected one (401). Compare with ``proxy_load.py`` for the whole path.

    python benchmarks/proxy_overhead.py [--requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from router.proxy.app import create_app
from router.proxy.auth import ApiKey, ProxyAuth
from router.types import ChatCompletion, ChatCompletionChunk, Choice, ChunkChoice, Delta, Message, Usage

HIDDEN = {"deployment_id": "d1", "attempts": 1, "overhead_ms": 0.05, "model": "gemini-2.5-flash"}
RESPONSE = ChatCompletion(
    id="chatcmpl-1",
    model="gemini-flash",
    choices=[Choice(message=Message(content="Echo: hello there"))],
    usage=Usage(prompt_tokens=2, completion_tokens=3, total_tokens=5),
)
RESPONSE._hidden_params = HIDDEN
CHUNKS = [
    ChatCompletionChunk(
        id="c", model="gemini-flash", choices=[ChunkChoice(delta=Delta(role="assistant", content="Hi"))]
    ),
    ChatCompletionChunk(id="c", model="gemini-flash", choices=[ChunkChoice(delta=Delta(content=" there"))]),
    ChatCompletionChunk(id="c", model="gemini-flash", choices=[ChunkChoice(delta=Delta(), finish_reason="stop")]),
]


class Stream:
    hidden_params = HIDDEN

    def __init__(self) -> None:
        self._it = iter(CHUNKS)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        try:
            return next(self._it)
        except StopIteration:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        return None


class StubRouter:
    def model_names(self) -> list[str]:
        return ["gemini-flash"]

    async def acompletion(self, *, model: str, messages: list[Any], stream: bool = False, **params: Any) -> Any:
        return Stream() if stream else RESPONSE


def scope(body: bytes, key: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "query_string": b"",
        "headers": [(b"authorization", b"Bearer " + key), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
    }  # fmt: skip


async def measure(name: str, body: bytes, key: bytes, n: int) -> None:
    app = create_app(StubRouter(), auth=ProxyAuth([ApiKey.from_secret("master", "sk-bench")]))  # type: ignore[arg-type]
    request = {"type": "http.request", "body": body, "more_body": False}
    sc = scope(body, key)
    pending = asyncio.Event()  # never set: the stream's disconnect watcher waits on it, as on a live socket

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return request
        await pending.wait()
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        return None

    first = True
    for _ in range(500):
        first = True
        await app(sc, receive, send)
    start = time.perf_counter()
    cpu = time.process_time()
    for _ in range(n):
        first = True
        await app(sc, receive, send)
    wall = (time.perf_counter() - start) / n * 1e6
    cpu_us = (time.process_time() - cpu) / n * 1e6
    print(f"{name:<28} {wall:8.1f} us/request wall {cpu_us:8.1f} us CPU")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    n = parser.parse_args().requests
    chat = orjson.dumps({"model": "gemini-flash", "messages": [{"role": "user", "content": "hello there"}]})
    stream = orjson.dumps(
        {"model": "gemini-flash", "messages": [{"role": "user", "content": "hello there"}], "stream": True}
    )
    await measure("chat, non-streaming", chat, b"sk-bench", n)
    await measure("chat, streaming (3 chunks)", stream, b"sk-bench", n)
    await measure("rejected (401)", chat, b"sk-wrong", n)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
