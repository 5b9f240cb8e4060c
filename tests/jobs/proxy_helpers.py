"""The proxy (with its jobs routes) on a real socket in the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from router.proxy.app import ProxyApp, create_app
from router.proxy.asgi import Exchange
from router.proxy.auth import ApiKey, ProxyAuth
from router.proxy.jobs import JobsRoutes

KEY = "sk-jobs-tests"


class _WithJobRoutes:
    """The proxy app with the jobs routes in front (until app.py dispatches to them itself)."""

    def __init__(self, app: ProxyApp, router: Any, auth: ProxyAuth) -> None:
        self.app = app
        self.routes = JobsRoutes(router, auth, 10 * 1024 * 1024)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"][3:] if scope["path"].startswith("/v1/") else scope["path"]
            found = self.routes.resolve(scope["method"], path)
            if found is not None:
                ex = Exchange.from_scope(scope, receive, send)
                try:
                    await found[1](ex)
                except Exception as exc:
                    await self.app._answer_error(ex, exc, found[0])
                return
        await self.app(scope, receive, send)


def proxy_app(router: Any) -> Any:
    auth = ProxyAuth([ApiKey.from_secret("master", KEY)])
    app = create_app(router, auth=auth)
    if getattr(app, "jobs", None) is not None:
        return app
    return _WithJobRoutes(app, router, auth)


@asynccontextmanager
async def live_proxy(router: Any) -> AsyncIterator[str]:
    config = uvicorn.Config(proxy_app(router), host="127.0.0.1", port=0, http="httptools", loop="none",
                            log_level="warning", access_log=False, lifespan="off")  # fmt: skip
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
