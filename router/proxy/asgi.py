"""The thin slice of ASGI the proxy speaks: one request's context, reading the body, sending a whole response.

No framework: a response is one ``http.response.start`` and one ``http.response.body`` message, headers are
built as byte pairs once, and the body is read into one ``bytes`` that the handlers parse once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from router.proxy.errors import BodyTooLarge

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON_TYPE = (b"content-type", b"application/json")
MAX_REQUEST_ID = 128


@dataclass(slots=True)
class Exchange:
    """One HTTP request and what the proxy learned while answering it."""

    method: str
    path: str
    query: bytes
    headers: dict[bytes, bytes]
    receive: Receive
    send: Send
    request_id: bytes
    started_at: float = field(default_factory=time.perf_counter)
    router_seconds: float = 0.0
    response_started: bool = False
    status: int = 500
    key: Any = None  # the ApiKey that authenticated the request, once known

    @classmethod
    def from_scope(cls, scope: Scope, receive: Receive, send: Send) -> Exchange:
        # ASGI servers lower-case header names; a repeated header keeps its last value, which is all we read.
        headers = dict(scope["headers"])
        return cls(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b""),
            headers=headers,
            receive=receive,
            send=send,
            request_id=_request_id(headers.get(b"x-request-id")),
        )

    async def read_body(self, limit: int) -> bytes:
        """The whole body, or 413 as soon as it (or its declared length) exceeds ``limit``."""
        declared = self.headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge(limit)
        message = await self.receive()
        body = message.get("body", b"")
        if not message.get("more_body", False):
            if len(body) > limit:
                raise BodyTooLarge(limit)
            return bytes(body)
        parts = [body]
        size = len(body)
        while message.get("more_body", False):
            message = await self.receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            parts.append(chunk)
        return b"".join(parts)

    async def start(self, status: int, headers: Headers) -> None:
        self.status = status
        self.response_started = True
        headers.append((b"x-request-id", self.request_id))
        await self.send({"type": "http.response.start", "status": status, "headers": headers})

    async def respond(self, status: int, headers: Headers, body: bytes) -> None:
        """Send a complete response in two messages."""
        headers.append((b"content-length", str(len(body)).encode()))
        await self.start(status, headers)
        await self.send({"type": "http.response.body", "body": body, "more_body": False})

    async def respond_json(self, status: int, body: bytes, headers: Headers | None = None) -> None:
        out = [JSON_TYPE]
        if headers:
            out.extend(headers)
        await self.respond(status, out, body)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started_at


def _request_id(given: bytes | None) -> bytes:
    """The caller's id when it is short printable ASCII (it is echoed in a header), else a fresh random one."""
    if given and len(given) <= MAX_REQUEST_ID and given.isascii() and all(33 <= b < 127 for b in given):
        return given
    return os.urandom(16).hex().encode()
