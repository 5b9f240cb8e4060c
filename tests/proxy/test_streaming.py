"""SSE over a real socket (uvicorn + httptools): frames, [DONE], error events, disconnects."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import orjson

from .conftest import MASTER, LiveServer
from .fakes import FakeRouter

H = {"Authorization": f"Bearer {MASTER}"}


def _chat(model: str) -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True}


async def _until(condition, limit: int = 500) -> None:  # type: ignore[no-untyped-def]
    for _ in range(limit):
        if condition():
            return
        await asyncio.sleep(0.01)


async def test_stream_is_sse_frames_then_done(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url) as client:
        response = await client.post("/v1/chat/completions", json=_chat("gemini-flash"), headers=H)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-router-deployment"] == "gemini-flash-us-central1"
    events = [e for e in response.text.split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    chunks = [orjson.loads(e.removeprefix("data: ")) for e in events[:-1]]
    assert [c["object"] for c in chunks] == ["chat.completion.chunk"] * 3
    assert "".join(c["choices"][0]["delta"]["content"] or "" for c in chunks) == "Hello"
    # OpenAI's chunk shape keeps explicit nulls (finish_reason: null), which clients test against.
    assert chunks[0]["choices"][0]["finish_reason"] is None


async def test_midstream_failure_ends_with_error_event_and_no_done(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url) as client:
        response = await client.post("/v1/chat/completions", json=_chat("midstream"), headers=H)
    events = [e for e in response.text.split("\n\n") if e]
    assert "data: [DONE]" not in events
    error = orjson.loads(events[-1].removeprefix("data: "))["error"]
    assert error["message"] == "upstream stream broke"
    assert set(error) == {"message", "type", "param", "code"}


async def test_first_chunk_arrives_before_the_stream_ends(live: LiveServer, fake_router: FakeRouter) -> None:
    async with (
        httpx.AsyncClient(base_url=live.url) as client,
        client.stream("POST", "/v1/chat/completions", json=_chat("slow-stream"), headers=H) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                assert orjson.loads(line[6:])["choices"][0]["delta"]["content"] == "Hel"
                # Upstream is still open (it never ends by itself): the frame was flushed, not buffered.
                assert not fake_router.streams[-1].closed
                break


async def test_client_disconnect_closes_the_upstream_stream(live: LiveServer, fake_router: FakeRouter) -> None:
    client = httpx.AsyncClient(base_url=live.url)
    async with client.stream("POST", "/v1/chat/completions", json=_chat("slow-stream"), headers=H) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                break
        stream = fake_router.streams[-1]
        await _until(stream.started.is_set)
        assert not stream.closed
    await client.aclose()
    await _until(lambda: stream.closed)
    assert stream.closed


async def test_passthrough_streams_upstream_bytes_unchanged(live: LiveServer, fake_router: FakeRouter) -> None:
    async with httpx.AsyncClient(base_url=live.url) as client:
        response = await client.post(
            "/vertex-ai/v1/projects/p/locations/us-central1/publishers/google/models/g:streamGenerateContent",
            params={"alt": "sse"},
            content=b"{}",
            headers=H,
        )
    assert response.status_code == 200
    assert response.text == 'data: {"candidates": [1]}\r\n\r\ndata: {"candidates": [2]}\r\n\r\n'
    assert response.headers["content-type"] == "text/event-stream"


async def test_client_leaving_before_the_answer_cancels_the_router_call(
    live: LiveServer, fake_router: FakeRouter
) -> None:
    body = {"model": "slow", "messages": [{"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient(base_url=live.url) as client:
        with contextlib.suppress(httpx.TimeoutException):
            await client.post("/v1/chat/completions", json=body, headers=H, timeout=0.2)
    await _until(lambda: fake_router.cancelled == 1)
    assert fake_router.cancelled == 1
    await _until(lambda: b'status="499"' in live.app.metrics.render())
    assert b'vertex_router_requests_total{route="/chat/completions",status="499"} 1' in live.app.metrics.render()


async def test_a_finished_request_is_not_cancelled_by_the_connection_closing(
    live: LiveServer, fake_router: FakeRouter
) -> None:
    async with httpx.AsyncClient(base_url=live.url) as client:
        for _ in range(3):
            response = await client.post(
                "/v1/chat/completions", json=_chat("gemini-flash") | {"stream": False}, headers=H
            )
            assert response.status_code == 200
    assert fake_router.cancelled == 0
    assert b'status="200"} 3' in live.app.metrics.render()
