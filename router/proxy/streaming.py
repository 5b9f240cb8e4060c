"""Relaying a stream to the client: one ASGI send per event, flushed at once, upstream closed on disconnect.

Server-sent events for OpenAI streams (``data: {json}`` per chunk, ``data: [DONE]`` at the end, an error
event and no ``[DONE]`` when the stream fails mid-way), raw byte chunks for the Vertex pass-through.
A watcher task per request waits for the client to go away and cancels the work, so a closed connection
stops the Router's attempts or the upstream stream instead of running them to the end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import structlog

from router.errors import RouterError
from router.proxy.asgi import Exchange
from router.proxy.errors import error_answer

DONE = b"data: [DONE]\n\n"
SSE_HEADERS = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    # Reverse proxies (nginx) buffer responses unless told not to; a buffered stream is no stream.
    (b"x-accel-buffering", b"no"),
)


def sse_frame(item: Any) -> bytes:
    """One SSE event for a chunk: a response model, a dict, or bytes a pass-through family already encoded."""
    if isinstance(item, bytes | bytearray):
        data = bytes(item)
        if data.startswith((b"data:", b"event:", b"id:", b":")):
            return data if data.endswith(b"\n\n") else data.rstrip(b"\n") + b"\n\n"
        return b"data: " + data + b"\n\n"
    payload = item if isinstance(item, dict) else item.model_dump()
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def sse_error_frame(exc: BaseException) -> bytes:
    _status, _headers, body = error_answer(exc)
    return b"data: " + body + b"\n\n"


class DisconnectWatch:
    """Cancels the task serving a request when its client goes away, until ``stop()``.

    One watcher task per model request: a client that gave up (a timeout, a closed tab) stops the Router's
    attempts and retries, and a stream's upstream call, instead of having them run to the end for nobody.
    """

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.task = asyncio.current_task()
        self.disconnected = False
        self.stopped = False
        self._watcher = asyncio.create_task(self._watch())

    def stop(self) -> None:
        """Stop watching (call before the last bytes are sent: the server reports a disconnect then too)."""
        self.stopped = True
        self._watcher.cancel()

    def absorb(self) -> bool:
        """In ``except CancelledError``: True (and the cancellation undone) when it was this watch's doing."""
        if self.disconnected and self.task is not None:
            self.task.uncancel()
            return True
        return False

    async def _watch(self) -> None:
        while True:
            message = await self.exchange.receive()
            if message["type"] == "http.disconnect":
                if not self.stopped and self.task is not None:
                    self.disconnected = True
                    self.task.cancel()
                return


class Relay:
    """Sends an async iterator's items to the client until it ends, fails, or the client disconnects."""

    def __init__(self, exchange: Exchange, *, log: structlog.typing.FilteringBoundLogger) -> None:
        self.exchange = exchange
        self.log = log

    async def run(
        self,
        items: AsyncIterator[Any],
        encode: Callable[[Any], bytes],
        close: Callable[[], Awaitable[None]],
        *,
        done: bytes = b"",
        watch: DisconnectWatch | None = None,
    ) -> str:
        """Relay every item; returns the outcome: ``completed``, ``failed`` or ``disconnected``."""
        watch = watch if watch is not None else DisconnectWatch(self.exchange)
        send = self.exchange.send
        outcome = "completed"
        try:
            async for item in items:
                await send({"type": "http.response.body", "body": encode(item), "more_body": True})
            watch.stop()
            await send({"type": "http.response.body", "body": done, "more_body": False})
        except asyncio.CancelledError:
            if not watch.absorb():
                raise
            outcome = "disconnected"
        except Exception as exc:
            outcome = "failed"
            watch.stop()
            await self._fail(exc)
        finally:
            watch.stop()
            await _close_quietly(close)
        return outcome

    async def _fail(self, exc: Exception) -> None:
        request_id = self.exchange.request_id.decode()
        if not isinstance(exc, RouterError):
            self.log.error("stream_failed", request_id=request_id, error_type=type(exc).__name__)
        else:
            self.log.warning("stream_failed", request_id=request_id, error_type=type(exc).__name__)
        send = self.exchange.send
        await send({"type": "http.response.body", "body": sse_error_frame(exc), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _close_quietly(close: Callable[[], Awaitable[None]]) -> None:
    # The client's response is settled; a failing upstream close changes nothing for it.
    with contextlib.suppress(Exception):
        await close()
