from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import openai
import pytest
import uvicorn

from router.proxy.app import ProxyApp, create_app
from router.proxy.auth import ApiKey, ProxyAuth

from .fakes import FakeRouter

MASTER = "sk-master-key-for-tests"
TEAM = "sk-team-key-for-tests"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_router() -> FakeRouter:
    return FakeRouter()


@pytest.fixture
def auth(clock: FakeClock) -> ProxyAuth:
    return ProxyAuth(
        [
            ApiKey.from_secret("master", MASTER),
            ApiKey.from_secret("team", TEAM, models=["gemini-flash"], rpm=2),
        ],
        clock=clock,
    )


@pytest.fixture
def app(fake_router: FakeRouter, auth: ProxyAuth) -> ProxyApp:
    return create_app(fake_router, auth=auth, max_body_bytes=64 * 1024)


@pytest.fixture
async def http(app: ProxyApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://proxy") as client:
        yield client


@pytest.fixture
async def client(http: httpx.AsyncClient) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key=MASTER, base_url="http://proxy/v1", http_client=http, max_retries=0)


@dataclass
class LiveServer:
    url: str
    app: ProxyApp


@pytest.fixture
async def live(app: ProxyApp) -> AsyncIterator[LiveServer]:
    """The app on a real socket (uvicorn, httptools) in this test's event loop."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, http="httptools", loop="none", log_level="warning",
                            access_log=False, lifespan="off", log_config=None)  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def auth_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {MASTER}"}
