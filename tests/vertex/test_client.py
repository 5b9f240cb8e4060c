"""VertexClient: requests as sent, SSE as it arrives, and every transport failure mapped to one error type."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from httpx_aiohttp import AiohttpTransport

from router.errors import APIConnectionError, UpstreamTimeoutError
from router.families.base import PreparedRequest, json_request
from router.vertex.client import Deadlines, VertexClient

URL = "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/g"
FAST = Deadlines(connect=1.0, first_byte=0.2, chunk_gap=0.2, total=5.0)
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def _client(handler: Handler) -> VertexClient:
    return VertexClient(transport=httpx.MockTransport(handler), timeouts=FAST)


def _stream_request() -> PreparedRequest:
    return json_request(URL + ":streamGenerateContent?alt=sse", {"contents": []}, stream=True)


async def _chunks(*parts: bytes, pause: float = 0.0, then_hang: bool = False) -> AsyncIterator[bytes]:
    for part in parts:
        if pause:
            await asyncio.sleep(pause)
        yield part
    if then_hang:
        await asyncio.Event().wait()


async def test_send_adds_bearer_token_and_returns_status_headers_body() -> None:
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(429, headers={"Retry-After": "7"}, content=b'{"error": {"code": 429}}')

    async with _client(handler) as client:
        response = await client.send(json_request(URL + ":generateContent", {"a": 1}), token="ya29.t")
    assert response.status == 429
    assert response.headers["retry-after"] == "7"
    assert response.body == b'{"error": {"code": 429}}'
    assert seen[0].headers["authorization"] == "Bearer ya29.t"
    assert seen[0].headers["content-type"] == "application/json"
    assert seen[0].headers["user-agent"].startswith("vertex-router/")
    assert seen[0].content == b'{"a":1}'
    assert str(seen[0].url) == URL + ":generateContent"


async def test_send_without_token_sends_no_authorization_header() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        assert "authorization" not in request.headers
        return httpx.Response(200, content=b"{}")

    async with _client(handler) as client:
        assert (await client.send(json_request(URL, {}), token=None)).status == 200


@pytest.mark.parametrize(
    ("raised", "expected", "words"),
    [
        (httpx.ConnectError("refused"), APIConnectionError, "could not connect"),
        (httpx.ConnectTimeout("slow"), UpstreamTimeoutError, "connect deadline"),
        (httpx.ReadError("reset by peer"), APIConnectionError, "ReadError"),
        (httpx.RemoteProtocolError("peer closed"), APIConnectionError, "RemoteProtocolError"),
        (ConnectionResetError("reset"), APIConnectionError, "ConnectionResetError"),
    ],
)
async def test_transport_errors_map_to_one_upstream_error_each(
    raised: Exception, expected: type[Exception], words: str
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    async with _client(handler) as client:
        with pytest.raises(expected, match=words) as info:
            await client.send(json_request(URL, {}), token="t")
    assert info.value.__cause__ is raised


async def test_headers_later_than_first_byte_deadline_time_out_naming_it() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async with _client(handler) as client:
        with pytest.raises(UpstreamTimeoutError, match=r"first_byte deadline of 0\.2s"):
            await client.open_stream(_stream_request(), token="t")


async def test_total_deadline_caps_a_slow_body() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=_chunks(b"{", then_hang=True))

    client = VertexClient(transport=httpx.MockTransport(handler))
    with pytest.raises(UpstreamTimeoutError, match="total deadline"):
        await client.send(json_request(URL, {}), token="t", timeouts=Deadlines(first_byte=5, total=0.2))
    await client.aclose()


async def test_stream_yields_sse_payloads_split_across_arbitrary_chunks() -> None:
    wire = b'data: {"n": 1}\r\n\r\ndata: {"n": 2}\r\n\r\n: comment\r\n\r\ndata: {"n": 3}\r\n\r\n'
    pieces = [wire[i : i + 3] for i in range(0, len(wire), 3)]

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=_chunks(*pieces))

    async with _client(handler) as client, await client.open_stream(_stream_request(), token="t") as stream:
        assert stream.status == 200
        assert stream.headers["content-type"] == "text/event-stream"
        assert [e async for e in stream.events()] == ['{"n": 1}', '{"n": 2}', '{"n": 3}']


async def test_events_are_yielded_as_they_arrive_not_at_the_end() -> None:
    gate = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield b"data: first\n\n"
        await gate.wait()
        yield b"data: second\n\n"

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body())

    async with _client(handler) as client, await client.open_stream(_stream_request(), token="t") as stream:
        events = stream.events()
        assert await anext(events) == "first"  # while the upstream still holds the second event back
        gate.set()
        assert await anext(events) == "second"


async def test_gap_between_events_longer_than_chunk_gap_times_out() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=_chunks(b"data: one\n\n", then_hang=True))

    async with _client(handler) as client, await client.open_stream(_stream_request(), token="t") as stream:
        events = stream.events()
        assert await anext(events) == "one"
        with pytest.raises(UpstreamTimeoutError, match=r"chunk_gap deadline of 0\.2s"):
            await anext(events)


async def test_headers_without_a_first_event_time_out_as_first_byte() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=_chunks(b": just a comment\n\n", then_hang=True))

    async with _client(handler) as client, await client.open_stream(_stream_request(), token="t") as stream:
        with pytest.raises(UpstreamTimeoutError, match="first_byte"):
            await anext(stream.events())


async def test_stream_ending_inside_an_event_is_a_connection_error() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=_chunks(b"data: whole\n\n", b'data: {"trunc'))

    async with _client(handler) as client, await client.open_stream(_stream_request(), token="t") as stream:
        events = stream.events()
        assert await anext(events) == "whole"
        with pytest.raises(APIConnectionError, match="inside an event"):
            await anext(events)


async def test_read_body_of_an_error_status_stream() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, content=_chunks(b'{"error": ', b'{"status": "UNAVAILABLE"}}'))

    async with _client(handler) as client:
        stream = await client.open_stream(_stream_request(), token="t")
        assert stream.status == 503
        assert await stream.read_body() == b'{"error": {"status": "UNAVAILABLE"}}'


# -- real sockets: both transports -------------------------------------------------------------------------


def _transports() -> list[Any]:
    return [
        pytest.param(lambda: httpx.AsyncHTTPTransport(), id="httpx"),
        pytest.param(lambda: AiohttpTransport(), id="aiohttp"),
    ]


async def _raw_server(reply: Callable[[asyncio.StreamWriter], Awaitable[None]]) -> tuple[asyncio.Server, str]:
    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reply(writer)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/v1/x:streamGenerateContent?alt=sse"


async def _reset(writer: asyncio.StreamWriter) -> None:
    writer.transport.abort()  # RST without a response


async def _cut_after_one_event(writer: asyncio.StreamWriter) -> None:
    event = b"data: one\n\n"
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
    writer.write(b"%x\r\n%s\r\n" % (len(event), event))
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.transport.abort()


@pytest.mark.parametrize("make_transport", _transports())
async def test_connection_reset_before_response_is_api_connection_error(make_transport: Any) -> None:
    server, url = await _raw_server(_reset)
    async with server, VertexClient(transport=make_transport(), timeouts=FAST) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.send(PreparedRequest(method="POST", url=url, body=b"{}"), token="t")
    assert info.value.__cause__ is not None


@pytest.mark.parametrize("make_transport", _transports())
async def test_stream_cut_mid_body_is_api_connection_error_after_delivered_events(make_transport: Any) -> None:
    server, url = await _raw_server(_cut_after_one_event)
    async with server, VertexClient(transport=make_transport(), timeouts=FAST) as client:
        stream = await client.open_stream(PreparedRequest(method="POST", url=url, body=b"{}"), token="t")
        events = stream.events()
        assert await anext(events) == "one"
        with pytest.raises(APIConnectionError, match="stream ended abruptly"):
            await anext(events)
        await stream.aclose()


@pytest.mark.parametrize("make_transport", _transports())
async def test_connection_refused_is_api_connection_error(make_transport: Any, unused_tcp_port: int) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/v1/x:generateContent"
    async with VertexClient(transport=make_transport(), timeouts=FAST) as client:
        with pytest.raises(APIConnectionError, match="could not connect"):
            await client.send(PreparedRequest(method="POST", url=url, body=b"{}"), token="t")


@pytest.mark.parametrize("make_transport", _transports())
async def test_silent_server_times_out_on_first_byte_with_either_transport(make_transport: Any) -> None:
    async def silent(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(1)

    server, url = await _raw_server(silent)
    async with server, VertexClient(transport=make_transport(), timeouts=FAST) as client:
        with pytest.raises(UpstreamTimeoutError, match="first_byte"):
            await client.send(PreparedRequest(method="POST", url=url, body=b"{}"), token="t")


def test_default_transport_is_aiohttp() -> None:
    client = VertexClient()
    assert isinstance(client.http._transport, AiohttpTransport)
