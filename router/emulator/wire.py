"""Raw ASGI I/O for the emulator: reading bodies, writing replies and streams, and the faults that act on the
wire (slow first byte, malformed/error events, stalls, cut and reset connections)."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx
import orjson

from router.emulator.errors import (
    Headers,
    Reply,
    StreamReply,
    anthropic_error_body,
    google_error,
    google_error_body,
    json_reply,
)
from router.emulator.faults import Fault
from router.emulator.routes import Route

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]

TRANSPORT_KEY = "vertex_emulator.transport"  # set by server.py's protocol: lets faults close a real socket


class EmulatedConnectionReset(httpx.RemoteProtocolError):
    """Raised in-process (no socket to close) where a real server would drop the connection; it is the
    exception httpx raises over a real socket in that case."""


class Dropped(Exception):
    """The request was answered by closing (or never answering) on purpose; nothing more to send."""


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def with_length(reply: Reply) -> Headers:
    return [*reply.headers, (b"content-length", str(len(reply.body)).encode())]


async def send_reply(send: Send, reply: Reply) -> None:
    await send({"type": "http.response.start", "status": reply.status, "headers": with_length(reply)})
    await send({"type": "http.response.body", "body": reply.body})


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def wait_for_disconnect(receive: Receive, seconds: float) -> None:
    """Hang until the client goes away or ``seconds`` pass."""

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(until_disconnect(), timeout=seconds)
    except TimeoutError:
        return


async def drop_connection(scope: Scope, receive: Receive, *, reset: bool) -> None:
    """Close the client's connection: with ``reset`` an RST (SO_LINGER 0), else a plain close mid-response.
    In-process there is no socket: raise the error httpx raises for a dropped connection."""
    transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
    if transport is None:
        raise EmulatedConnectionReset("Server disconnected without sending a complete response.")
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.close()
    await wait_for_disconnect(receive, 1.0)  # let the server notice, so it does not try to answer
    raise Dropped()


# ------------------------------------------------------------------------------------------------ faults


def fault_reply(fault: Fault, route: Route | None) -> Reply:
    """The error a ``status`` fault answers: Google's body (Anthropic's for a 529 on Claude)."""
    status = fault.status or 500
    headers: Headers = []
    if fault.retry_after is not None:
        seconds = fault.retry_after
        headers.append((b"retry-after", (str(int(seconds)) if seconds == int(seconds) else str(seconds)).encode()))
    if status == 529 and route is not None and route.publisher == "anthropic":
        return json_reply(529, anthropic_error_body(529, fault.message or "Overloaded"), headers)
    return google_error(status, fault.message, headers=headers)


def error_event(flavor: str, status: int, message: str | None) -> bytes:
    """A mid-stream error as each family spells it inside a 200 stream."""
    if flavor == "anthropic":
        payload = anthropic_error_body(529 if status >= 500 else status, message or "Overloaded")
        return b"event: error\ndata: " + orjson.dumps(payload) + b"\n\n"
    error = orjson.dumps(google_error_body(status, message))
    if flavor == "gemini_array":
        return b",\r\n" + error + b"]"
    separator = b"\r\n\r\n" if flavor == "gemini" else b"\n\n"
    return b"data: " + error + separator


MALFORMED = {
    "gemini": b'data: {"candidates": [{"content": {"parts": [{"text": "trunc\r\n\r\n',
    "gemini_array": b',\r\n{"candidates": [{"content": ',
    "anthropic": b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {"ty\n\n',
    "openai": b'data: {"id": "chatcmpl-broken", "choices": [{"delta": {"cont\n\n',
}


async def send_unary(send: Send, reply: Reply, fault: Fault | None, sleep: Sleep) -> None:
    if fault is not None and fault.first_byte_ms > 0:
        await send({"type": "http.response.start", "status": reply.status, "headers": with_length(reply)})
        await sleep(fault.first_byte_ms / 1000)
        await send({"type": "http.response.body", "body": reply.body})
        return
    await send_reply(send, reply)


CUT_GRACE_SECONDS = 0.05


async def send_stream(
    scope: Scope, receive: Receive, send: Send, reply: StreamReply, fault: Fault | None, sleep: Sleep
) -> None:
    """Each event in its own write (flushed at once); stream faults act before event number N."""
    headers = [(b"content-type", reply.content_type), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    if fault is not None and fault.first_byte_ms > 0:
        await sleep(fault.first_byte_ms / 1000)
    for index, event in enumerate([*reply.events, None]):
        if fault is not None:
            if index == fault.error_after:
                status = fault.status or 503
                await send({"type": "http.response.body", "body": error_event(reply.flavor, status, fault.message)})
                return
            if index == fault.malformed_after:
                await send({"type": "http.response.body", "body": MALFORMED[reply.flavor], "more_body": True})
            if index == fault.stall_after:
                await wait_for_disconnect(receive, fault.stall_seconds)
            if index == fault.cut_after:
                # "Cut after N events" means the client got N events: give them a moment to be read first
                # (aiohttp drops bytes still buffered when the close arrives in the same read).
                await sleep(CUT_GRACE_SECONDS)
                await drop_connection(scope, receive, reset=False)
            if index == fault.end_after:
                await send({"type": "http.response.body", "body": b""})
                return
        if event is None:
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.body", "body": event, "more_body": True})
