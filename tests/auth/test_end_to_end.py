"""The real flow against the emulator on a real socket: service-account file written by the emulator →
google-auth → token from the emulator's /token → an authorized Vertex call through VertexClient."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from router.auth import TokenCache
from router.emulator.oauth import TokenAuthority
from router.emulator.server import RunningEmulator, start_in_thread
from router.families.base import json_request
from router.vertex.client import VertexClient
from router.vertex.urls import publisher_model_url

BODY = {"contents": [{"role": "user", "parts": [{"text": "Hallo Emulator"}]}]}


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    running = start_in_thread(authority=TokenAuthority(), require_auth=True)
    yield running
    running.stop()


@pytest.fixture
def credentials(emulator: RunningEmulator, tmp_path: Path) -> Path:
    path = tmp_path / "sa.json"
    emulator.app.authority.write_credentials(path, token_uri=f"{emulator.url}/token", project_id="e2e-proj")  # type: ignore[attr-defined]
    return path


def _generate(emulator: RunningEmulator, method: str = "generateContent", query: str = "") -> str:
    return publisher_model_url(
        "e2e-proj", "us-central1", "google", "gemini-2.5-flash", method, api_base=emulator.url, query=query
    )


async def test_token_from_the_emulator_authorizes_a_vertex_call(emulator: RunningEmulator, credentials: Path) -> None:
    cache = TokenCache()
    async with VertexClient() as client:
        response = await client.send(json_request(_generate(emulator), BODY), token=await cache.token(credentials))
    assert response.status == 200
    text = orjson.loads(response.body)["candidates"][0]["content"]["parts"][0]["text"]
    assert "Hallo Emulator" in text


async def test_without_a_valid_token_vertex_answers_401(emulator: RunningEmulator) -> None:
    async with VertexClient() as client:
        missing = await client.send(json_request(_generate(emulator), BODY), token=None)
        forged = await client.send(json_request(_generate(emulator), BODY), token="ya29.forged")
    assert missing.status == forged.status == 401
    assert orjson.loads(forged.body)["error"]["status"] == "UNAUTHENTICATED"


async def test_100_concurrent_first_calls_cause_exactly_one_token_exchange(
    emulator: RunningEmulator, credentials: Path
) -> None:
    cache = TokenCache()

    async def call(client: VertexClient) -> int:
        token = await cache.token(credentials)
        return (await client.send(json_request(_generate(emulator), BODY), token=token)).status

    async with VertexClient() as client:
        statuses = await asyncio.gather(*(call(client) for _ in range(100)))
    assert statuses == [200] * 100
    assert emulator.app.authority.token_exchanges == 1  # type: ignore[attr-defined]


async def test_a_token_near_expiry_is_refreshed_before_use(emulator: RunningEmulator, credentials: Path) -> None:
    clock = FakeClock()
    cache = TokenCache(clock=clock, refresh_margin=300)
    first = await cache.token(credentials)
    clock.now += 3600 - 120
    assert await cache.token(credentials) == first  # still valid: served, refresh started behind it
    await cache.drain()
    second = await cache.token(credentials)
    assert second != first
    async with VertexClient() as client:
        response = await client.send(json_request(_generate(emulator), BODY), token=second)
    assert response.status == 200
    assert emulator.app.authority.token_exchanges == 2  # type: ignore[attr-defined]


async def test_401_invalidates_and_one_reauth_succeeds(emulator: RunningEmulator, credentials: Path) -> None:
    cache = TokenCache()
    token = await cache.token(credentials)
    emulator.app.authority.revoke(token)  # type: ignore[attr-defined]
    async with VertexClient() as client:
        request = json_request(_generate(emulator), BODY)
        assert (await client.send(request, token=token)).status == 401
        cache.invalidate(credentials, token)
        retry = await client.send(request, token=await cache.token(credentials))
    assert retry.status == 200


async def test_streamed_events_with_an_emulator_token(emulator: RunningEmulator, credentials: Path) -> None:
    cache = TokenCache()
    url = _generate(emulator, "streamGenerateContent", query="alt=sse")
    async with VertexClient() as client:
        stream = await client.open_stream(json_request(url, BODY, stream=True), token=await cache.token(credentials))
        async with stream:
            assert stream.status == 200
            events = [orjson.loads(e) async for e in stream.events()]
    assert events
    assert events[-1]["candidates"][0].get("finishReason") == "STOP"


async def test_adc_through_the_emulator_metadata_server(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from google.auth.compute_engine import _metadata

    host = emulator.url.removeprefix("http://")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("GCE_METADATA_HOST", host)
    monkeypatch.setenv("GCE_METADATA_IP", host)
    monkeypatch.setattr(_metadata, "_GCE_METADATA_HOST", host)  # google-auth reads the variable at import
    cache = TokenCache()
    token = await cache.token(None)
    async with VertexClient() as client:
        response = await client.send(json_request(_generate(emulator), BODY), token=token)
    assert response.status == 200
