"""cachedContents create / get / list / patch / delete, expiry on a fake clock, and use from generateContent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from router.emulator.app import EmulatorApp, create_app
from tests.emulator_helpers import PROJECT, gemini_body, model_path


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(clock: FakeClock) -> AsyncIterator[tuple[httpx.AsyncClient, EmulatorApp]]:
    app = create_app(require_auth=False, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as c:
        yield c, app


def collection(location: str = "us-central1") -> str:
    return f"/v1/projects/{PROJECT}/locations/{location}/cachedContents"


def cache_body(location: str = "us-central1", **extra: object) -> dict[str, object]:
    return {
        "model": f"projects/{PROJECT}/locations/{location}/publishers/google/models/gemini-2.5-flash",
        "contents": [{"role": "user", "parts": [{"text": "a long shared document of seven words"}]}],
        "systemInstruction": {"parts": [{"text": "be nice"}]},
        "displayName": "doc-cache",
        **extra,
    }


async def test_create_get_list_patch_delete(client: tuple[httpx.AsyncClient, EmulatorApp], clock: FakeClock) -> None:
    c, _ = client
    created = (await c.post(collection(), json=cache_body(ttl="300s"))).json()
    name = created["name"]
    assert name.startswith(f"projects/{PROJECT}/locations/us-central1/cachedContents/")
    assert created["usageMetadata"]["totalTokenCount"] == 9
    assert created["expireTime"] == "2027-01-15T08:05:00.000000Z"
    assert created["displayName"] == "doc-cache"
    got = (await c.get(f"/v1/{name}")).json()
    assert got["name"] == name
    listed = (await c.get(collection())).json()["cachedContents"]
    assert [e["name"] for e in listed] == [name]
    patched = (await c.patch(f"/v1/{name}?updateMask=ttl", json={"ttl": "7200s"})).json()
    assert patched["expireTime"] == "2027-01-15T10:00:00.000000Z"
    assert (await c.delete(f"/v1/{name}")).status_code == 200
    assert (await c.get(f"/v1/{name}")).status_code == 404


async def test_expired_cache_is_gone(client: tuple[httpx.AsyncClient, EmulatorApp], clock: FakeClock) -> None:
    c, _ = client
    name = (await c.post(collection(), json=cache_body(ttl="60s"))).json()["name"]
    clock.now += 61
    assert (await c.get(f"/v1/{name}")).status_code == 404
    assert (await c.get(collection())).json()["cachedContents"] == []


async def test_list_pages(client: tuple[httpx.AsyncClient, EmulatorApp]) -> None:
    c, _ = client
    for _ in range(3):
        await c.post(collection(), json=cache_body())
    first = (await c.get(collection() + "?pageSize=2")).json()
    assert len(first["cachedContents"]) == 2
    second = (await c.get(collection() + f"?pageSize=2&pageToken={first['nextPageToken']}")).json()
    assert len(second["cachedContents"]) == 1
    assert "nextPageToken" not in second


async def test_generate_with_cached_content_counts_cached_tokens(client: tuple[httpx.AsyncClient, EmulatorApp]) -> None:
    c, _ = client
    name = (await c.post(collection(), json=cache_body())).json()["name"]
    data = (
        await c.post(
            model_path("gemini-2.5-flash", "generateContent"), json=gemini_body("question", cachedContent=name)
        )
    ).json()
    usage = data["usageMetadata"]
    assert usage["cachedContentTokenCount"] == 9
    assert usage["promptTokenCount"] == 10
    assert data["candidates"][0]["content"]["parts"][0]["text"] == "Echo: question"


async def test_cache_from_another_region_is_not_found(client: tuple[httpx.AsyncClient, EmulatorApp]) -> None:
    c, _ = client
    name = (await c.post(collection(), json=cache_body())).json()["name"]
    path = model_path("gemini-2.5-flash", "generateContent", location="europe-west4")
    response = await c.post(path, json=gemini_body("q", cachedContent=name))
    assert response.status_code == 404


async def test_system_instruction_beside_cached_content_is_rejected(
    client: tuple[httpx.AsyncClient, EmulatorApp],
) -> None:
    c, _ = client
    name = (await c.post(collection(), json=cache_body())).json()["name"]
    body = gemini_body("q", cachedContent=name, systemInstruction={"parts": [{"text": "s"}]})
    response = await c.post(model_path("gemini-2.5-flash", "generateContent"), json=body)
    assert response.status_code == 400
    assert "cached content" in response.json()["error"]["message"]


async def test_tools_in_the_cache_are_used_for_forced_calls(client: tuple[httpx.AsyncClient, EmulatorApp]) -> None:
    c, _ = client
    tools = [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT", "properties": {}}}]}]
    body = cache_body(tools=tools, toolConfig={"functionCallingConfig": {"mode": "ANY"}})
    name = (await c.post(collection(), json=body)).json()["name"]
    data = (
        await c.post(model_path("gemini-2.5-flash", "generateContent"), json=gemini_body("q", cachedContent=name))
    ).json()
    assert data["candidates"][0]["content"]["parts"][0]["functionCall"]["name"] == "f"


async def test_create_rejects_unknown_fields_and_bad_models(client: tuple[httpx.AsyncClient, EmulatorApp]) -> None:
    c, _ = client
    assert (await c.post(collection(), json=cache_body(ttlSeconds=5))).status_code == 400
    assert (await c.post(collection(), json=cache_body(model="gemini-2.5-flash"))).status_code == 400
