"""A guide config served by the real proxy on a real socket, in a background thread (so the guide's synchronous
``openai.OpenAI`` and ``curl`` calls run unchanged). The key is the guide's ``sk-1234``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from router import Router
from router.proxy.app import create_app
from router.proxy.auth import ProxyAuth

from .conftest import CONFIGS

KEY = "sk-1234"


@contextmanager
def serve(config: str | Path) -> Iterator[str]:
    """Serve ``configs/guide/<config>`` (the environment must already hold what it reads); yields the base URL."""
    path = config if isinstance(config, Path) else CONFIGS / config
    router = Router.from_yaml(path)
    auth = ProxyAuth.from_config(router.config, env={"VERTEX_ROUTER_MASTER_KEY": KEY})
    app = create_app(router, auth=auth)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            http="httptools",
            loop="asyncio",
            lifespan="on",
            log_level="warning",
            access_log=False,
            log_config=None,
        )
    )
    thread = threading.Thread(target=server.run, name="guide-proxy", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the proxy did not start")
        time.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
