"""The HTTP sender: one shared ``httpx.AsyncClient`` and the one place foreign transport errors are mapped.

The transport is the seam tests replace (``httpx.MockTransport``, ``httpx.ASGITransport``). Deadlines are
enforced here with ``asyncio`` timeouts rather than the transport's own read timeouts, so every transport
behaves alike and the error says which deadline was missed: connect, first byte (response headers, and for a
stream its first event), the gap between two events, or the total.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from types import TracebackType
from typing import Any, NamedTuple, Self

import aiohttp
import httpx

from router.errors import APIConnectionError, UpstreamError, UpstreamTimeoutError
from router.families.base import PreparedRequest, UpstreamResponse
from router.vertex.sse import SSEDecoder

USER_AGENT = "vertex-router/0.1"
# Headers httpx derives from the URL and the body; a request that sets one itself takes httpx's own path.
_AUTO_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})
MAX_CACHED_URLS = 1024
DEFAULT_LIMITS = httpx.Limits(max_connections=512, max_keepalive_connections=256, keepalive_expiry=60.0)


class Deadlines(NamedTuple):
    """Seconds allowed per phase of one attempt. ``first_byte`` runs from the start of the attempt to the
    response headers (and, for a stream, to its first event); ``chunk_gap`` between two stream events.

    A NamedTuple rather than a frozen dataclass: just as immutable, and a third of the cost to build (one is
    built per attempt)."""

    connect: float = 10.0
    first_byte: float = 60.0
    chunk_gap: float = 60.0
    total: float = 600.0


def default_transport(limits: httpx.Limits = DEFAULT_LIMITS) -> httpx.AsyncBaseTransport:
    """aiohttp under httpx's API: benchmarks/transports.py measured it well ahead of httpx's own pool."""
    from httpx_aiohttp import AiohttpTransport

    transport: httpx.AsyncBaseTransport = AiohttpTransport(limits=limits)
    return transport


class VertexClient:
    """Sends prepared requests with a bearer token; maps every transport failure to an ``UpstreamError``."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
        timeouts: Deadlines | None = None,
    ) -> None:
        self._timeouts = timeouts or Deadlines()
        self._urls: dict[str, _Url] = {}
        self._transport = transport if transport is not None else default_transport(limits)
        # Vertex calls go straight to the transport: AsyncClient's cookie, auth, redirect and hook layers cost
        # ~70 µs a call (benchmarks/transports.py) and do nothing for us. The client shares the transport (and
        # its pool) for side fetches that want those layers.
        self._http = httpx.AsyncClient(
            transport=self._transport,
            timeout=None,  # noqa: S113  (deadlines are enforced per attempt, see _Attempt)
            follow_redirects=False,
        )

    def _url(self, url: str) -> _Url:
        """Parsed URLs, cached: a deployment sends to the same few URLs, and parsing one costs tens of µs."""
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= MAX_CACHED_URLS:
                self._urls.clear()
            parsed_url = httpx.URL(url)
            parsed = self._urls[url] = _Url(parsed_url, parsed_url.netloc)
        return parsed

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared client (for the guarded URL fetcher and side calls)."""
        return self._http

    async def send(
        self, req: PreparedRequest, *, token: str | None, timeouts: Deadlines | None = None
    ) -> UpstreamResponse:
        """Send and read the whole body. Any status is returned; only transport failures raise."""
        attempt = _Attempt(req, self._url(req.url), timeouts or self._timeouts)
        return await attempt.exchange(self._transport, token)

    async def open_stream(
        self, req: PreparedRequest, *, token: str | None, timeouts: Deadlines | None = None
    ) -> UpstreamStream:
        """Send and return once the response headers arrived; the body is read through the stream."""
        attempt = _Attempt(req, self._url(req.url), timeouts or self._timeouts)
        response = await attempt.open(self._transport, token)
        return UpstreamStream(response, attempt)

    async def fetch_url(self, url: str, **options: Any) -> tuple[bytes, str]:
        """``router.vertex.fetch.fetch_url`` over this client's pool (SSRF-guarded, size and time capped)."""
        from router.vertex.fetch import fetch_url

        return await fetch_url(url, client=self._http, **options)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class UpstreamStream:
    """An open upstream response: status and headers now, the body as SSE payloads or all at once."""

    def __init__(self, response: httpx.Response, attempt: _Attempt) -> None:
        self._response = response
        self._attempt = attempt
        self._events: AsyncGenerator[str, None] | None = None
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers

    async def read_body(self) -> bytes:
        """The whole body (for error statuses); closes the stream."""
        try:
            return await self._attempt.read_all(self._response)
        finally:
            await self.aclose()

    def events(self) -> AsyncIterator[str]:
        """The ``data:`` payloads as they arrive; raises on a missed deadline or an abrupt end."""
        if self._events is None:
            self._events = self._iterate()
        return self._events

    async def _iterate(self) -> AsyncGenerator[str, None]:
        decoder = SSEDecoder()
        chunks = self._response.aiter_bytes().__aiter__()
        loop = asyncio.get_running_loop()
        deadline, phase = self._attempt.first_byte_at, "first_byte"
        while True:
            chunk = await self._attempt.next_chunk(chunks, deadline, phase)
            if chunk is None:
                break
            payloads = decoder.feed(chunk)
            for payload in payloads:
                yield payload
            if payloads:
                # Measured from when the consumer asks again, so a slow consumer is not blamed on upstream.
                deadline, phase = loop.time() + self._attempt.deadlines.chunk_gap, "chunk_gap"
        if decoder.pending():
            raise APIConnectionError(f"{self._attempt.describe}: stream ended inside an event")

    async def aclose(self) -> None:
        events, self._events = self._events, None
        if events is not None:
            # Closing from another task while the generator awaits a chunk raises RuntimeError; closing the
            # response below ends that read anyway.
            with contextlib.suppress(RuntimeError):
                await events.aclose()
        await self._response.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class _Url(NamedTuple):
    url: httpx.URL
    host: bytes  # the Host header, as httpx would derive it


class _Attempt:
    """The clock of one attempt: absolute deadlines on the loop's clock, and the error mapping."""

    __slots__ = ("deadlines", "first_byte_at", "req", "target", "total_at")

    def __init__(self, req: PreparedRequest, target: _Url, deadlines: Deadlines) -> None:
        self.req = req
        self.target = target
        self.deadlines = deadlines
        start = asyncio.get_running_loop().time()
        self.total_at = start + deadlines.total
        self.first_byte_at = start + deadlines.first_byte

    @property
    def describe(self) -> str:
        return f"{self.req.method} {self.req.url.split('?', 1)[0]}"

    def request(self, token: str | None) -> httpx.Request:
        """The httpx request, with the headers httpx itself would add (Host, Content-Length).

        Built from raw header bytes and a ready body stream: ``httpx.Request(headers=dict, content=...)``
        normalises and re-copies the headers three times (~10 µs a request); this is ~3 µs.
        """
        req = self.req
        timeout = {"connect": self.deadlines.connect, "read": None, "write": None, "pool": None}
        merged = {"user-agent": USER_AGENT, **req.headers} if req.headers else {"user-agent": USER_AGENT}
        if token is not None:
            merged["authorization"] = f"Bearer {token}"
        if req.headers and not _AUTO_HEADERS.isdisjoint(map(str.lower, req.headers)):
            # The caller set what httpx derives: let httpx reconcile them as it always has.
            request = httpx.Request(req.method, self.target.url, headers=merged, content=req.body)
            request.extensions["timeout"] = timeout
            return request
        raw: list[tuple[bytes, bytes]] = [(b"Host", self.target.host)]
        raw += [(key.encode("ascii"), value.encode("ascii")) for key, value in merged.items()]
        body = req.body or b""
        method = req.method.upper()
        if body or method in ("POST", "PUT", "PATCH"):
            raw.append((b"Content-Length", str(len(body)).encode()))
        request = httpx.Request(method, self.target.url, headers=raw, stream=httpx.ByteStream(body))
        request.read()  # transports read ``request.content``
        # Only the connect phase is left to the transport; it is the one phase asyncio cannot name.
        request.extensions["timeout"] = timeout
        return request

    async def exchange(self, transport: httpx.AsyncBaseTransport, token: str | None) -> UpstreamResponse:
        """Send and read the whole body under one timer: first byte, then moved to the total deadline."""
        request = self.request(token)
        at, phase = self._bound(self.first_byte_at, "first_byte")
        context = "while connecting"
        try:
            async with asyncio.timeout_at(at) as timer:
                response = await transport.handle_async_request(request)
                response.request = request
                try:
                    timer.reschedule(self.total_at)
                    phase, context = "total", "while reading the response"
                    body = await response.aread()
                finally:
                    await response.aclose()
        except TimeoutError as exc:
            raise self._timeout(phase) from exc
        except (httpx.HTTPError, aiohttp.ClientError, OSError) as exc:
            raise self.map_error(exc, context) from exc
        return UpstreamResponse(status=response.status_code, headers=response.headers, body=body)

    async def open(self, transport: httpx.AsyncBaseTransport, token: str | None) -> httpx.Response:
        request = self.request(token)
        at, phase = self._bound(self.first_byte_at, "first_byte")
        try:
            async with asyncio.timeout_at(at):
                response = await transport.handle_async_request(request)
        except TimeoutError as exc:
            raise self._timeout(phase) from exc
        except (httpx.HTTPError, aiohttp.ClientError, OSError) as exc:
            raise self.map_error(exc, "while connecting") from exc
        response.request = request
        return response

    async def read_all(self, response: httpx.Response) -> bytes:
        try:
            async with asyncio.timeout_at(self.total_at):
                return await response.aread()
        except TimeoutError as exc:
            raise self._timeout("total") from exc
        except (httpx.HTTPError, aiohttp.ClientError, OSError) as exc:
            raise self.map_error(exc, "while reading the response") from exc

    async def next_chunk(self, chunks: AsyncIterator[bytes], deadline: float, phase: str) -> bytes | None:
        at, phase = self._bound(deadline, phase)
        try:
            async with asyncio.timeout_at(at):
                return await anext(chunks)
        except StopAsyncIteration:
            return None
        except TimeoutError as exc:
            raise self._timeout(phase) from exc
        except (httpx.HTTPError, aiohttp.ClientError, OSError) as exc:
            raise self.map_error(exc, "stream ended abruptly") from exc

    def _bound(self, at: float, phase: str) -> tuple[float, str]:
        return (self.total_at, "total") if self.total_at <= at else (at, phase)

    def _timeout(self, phase: str) -> UpstreamTimeoutError:
        seconds = getattr(self.deadlines, phase)
        return UpstreamTimeoutError(f"{self.describe}: {phase} deadline of {seconds:g}s exceeded")

    def map_error(self, exc: BaseException, context: str) -> UpstreamError:
        """One foreign transport error → APIConnectionError or UpstreamTimeoutError (message names the phase)."""
        root = _aiohttp_cause(exc)
        if isinstance(root, aiohttp.ServerTimeoutError | asyncio.TimeoutError):
            return self._timeout("connect" if isinstance(root, aiohttp.ConnectionTimeoutError) else "first_byte")
        if root is None and isinstance(exc, httpx.ConnectTimeout):
            return self._timeout("connect")
        if root is None and isinstance(exc, httpx.TimeoutException):
            return self._timeout("first_byte")
        if isinstance(root or exc, aiohttp.ClientConnectorError | httpx.ConnectError | ConnectionRefusedError):
            return APIConnectionError(f"{self.describe}: could not connect ({type(root or exc).__name__})")
        return APIConnectionError(f"{self.describe}: {context} ({type(root or exc).__name__}: {root or exc})")


def _aiohttp_cause(exc: BaseException) -> BaseException | None:
    """httpx-aiohttp re-raises aiohttp errors as httpx ones, some under the wrong name (a reset becomes
    ConnectTimeout); the chained original tells the truth."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, aiohttp.ClientError):
            return seen
        seen = seen.__cause__
    return None
