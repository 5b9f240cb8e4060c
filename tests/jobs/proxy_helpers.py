"""The proxy (its app dispatches the jobs routes itself) on a real socket in the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from router.proxy.app import create_app
from router.proxy.auth import ApiKey, ProxyAuth

KEY = "sk-jobs-tests"


@asynccontextmanager
async def live_proxy(router: Any) -> AsyncIterator[str]:
    app = create_app(router, auth=ProxyAuth([ApiKey.from_secret("master", KEY)]))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, http="httptools", loop="none",
                            log_level="warning", access_log=False, lifespan="off", log_config=None)  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
