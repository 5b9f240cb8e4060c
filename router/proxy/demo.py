"""``vertex-router demo``: the Vertex emulator and the proxy in one process, offline, no Google account.

The emulator runs with a token authority whose service-account file is written into a state directory; the
proxy serves ``demo_config.yaml`` (one Gemini group in two regions). The europe-west4 region is flaky: every
few seconds it is armed to answer its next two calls with 503, so some requests fail over to us-central1
(see the ``x-router-deployment`` and ``x-router-attempts`` headers, and ``/metrics``).

With ``VERTEX_ROUTER_DEMO_REQUESTS=N`` the demo sends N chat requests through itself, prints one line each
and exits (0 when every request got a 200) — a smoke test for CI.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from router.proxy.app import ProxyApp, create_app
from router.proxy.auth import ProxyAuth

CONFIG_PATH = Path(__file__).with_name("demo_config.yaml")
DEMO_KEY = "sk-vertex-router-demo"
FLAKY_LOCATION = "europe-west4"
FLAKY_EVERY_S = 4.0
REQUESTS_ENV = "VERTEX_ROUTER_DEMO_REQUESTS"
_START_TIMEOUT_S = 15.0


def run_demo(args: Any) -> int:
    """Start emulator and proxy, print how to use them; serve until Ctrl-C, or run N requests and exit."""
    from router.emulator.faults import FaultTable
    from router.emulator.oauth import TokenAuthority
    from router.emulator.server import start_in_thread

    # One line per upstream call from httpx would drown the demo's own output.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    state = Path(tempfile.mkdtemp(prefix="vertex-router-demo-"))
    authority = TokenAuthority()
    faults = FaultTable()
    emulator = start_in_thread(port=int(getattr(args, "emulator_port", 0) or 0), authority=authority, faults=faults)
    credentials = state / "service-account.json"
    authority.write_credentials(credentials, token_uri=f"{emulator.url}/token")
    os.environ["VERTEX_ROUTER_DEMO_API_BASE"] = emulator.url
    os.environ["VERTEX_ROUTER_DEMO_CREDENTIALS"] = str(credentials)
    os.environ["VERTEX_ROUTER_DEMO_KEY"] = DEMO_KEY
    flaky = Flakiness(faults)
    flaky.start()
    proxy = ProxyThread.start(int(getattr(args, "port", 4000)))
    try:
        count = os.environ.get(REQUESTS_ENV, "").strip()
        _print_banner(proxy.url, emulator.url, state, interactive=not count)
        if count:
            return send_requests(proxy.url, int(count))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        flaky.stop()
        proxy.stop()
        emulator.stop()


class Flakiness:
    """Arms the flaky region to fail its next two calls with 503, again every few seconds."""

    def __init__(self, faults: Any) -> None:
        self.faults = faults
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-flakiness", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        from router.emulator.faults import Fault

        while True:
            if not any(f.location == FLAKY_LOCATION for f in self.faults):
                self.faults.add(Fault(location=FLAKY_LOCATION, status=503, message="demo: flaky region", times=2))
            if self._stop.wait(FLAKY_EVERY_S):
                return


@dataclass
class ProxyThread:
    """The proxy (uvicorn, httptools, uvloop) on 127.0.0.1 in a daemon thread."""

    url: str
    server: Any
    thread: threading.Thread

    @classmethod
    def start(cls, port: int) -> ProxyThread:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(1024)
        config = uvicorn.Config(
            "router.proxy.demo:demo_app",
            factory=True,
            http="httptools",
            loop="uvloop",
            lifespan="on",
            access_log=False,
            log_config=None,
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="demo-proxy", daemon=True)
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the demo proxy did not start")
            time.sleep(0.01)
        return cls(url=f"http://127.0.0.1:{sock.getsockname()[1]}", server=server, thread=thread)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


def demo_app() -> ProxyApp:
    """uvicorn's factory: the Router over the bundled demo config (environment set by ``run_demo``)."""
    from router import Router

    router = Router.from_yaml(CONFIG_PATH)
    return create_app(router, auth=ProxyAuth.from_config(router.config))


def send_requests(url: str, count: int) -> int:
    """Send ``count`` chat requests (every fourth one streamed); print a line each; 0 when all got a 200."""
    failures = 0
    headers = {"Authorization": f"Bearer {DEMO_KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for index in range(count):
            stream = index % 4 == 3
            body = {"model": "gemini-flash", "messages": [{"role": "user", "content": f"Say hello #{index}"}],
                    "stream": stream}  # fmt: skip
            response = client.post("/v1/chat/completions", json=body)
            text = _answer_text(response.content, stream) if response.status_code == 200 else response.text[:120]
            failures += response.status_code != 200
            print(
                f"#{index:<3} {response.status_code} stream={'yes' if stream else 'no '} "
                f"deployment={response.headers.get('x-router-deployment', '-')} "
                f"attempts={response.headers.get('x-router-attempts', '-')} "
                f"overhead_ms={response.headers.get('x-router-overhead-ms', '-')} {text!r}"
            )
    print(f"{count - failures}/{count} requests succeeded")
    return 0 if failures == 0 else 1


def _answer_text(content: bytes, stream: bool) -> str:
    if not stream:
        message = orjson.loads(content)["choices"][0]["message"]
        return str(message.get("content") or "")[:80]
    parts: list[str] = []
    for event in content.split(b"\n\n"):
        payload = event.removeprefix(b"data: ").strip()
        if payload and payload != b"[DONE]":
            for choice in orjson.loads(payload).get("choices", []):
                parts.append((choice.get("delta") or {}).get("content") or "")
    return "".join(parts)[:80]


def _print_banner(proxy_url: str, emulator_url: str, state: Path, *, interactive: bool) -> None:
    curl = (
        f"curl {proxy_url}/v1/chat/completions \\\n"
        f"  -H 'Authorization: Bearer {DEMO_KEY}' -H 'Content-Type: application/json' \\\n"
        '  -d \'{"model": "gemini-flash", "messages": [{"role": "user", "content": "Hello!"}]}\''
    )
    sys.stdout.write(
        f"vertex-router demo\n"
        f"  proxy     {proxy_url}   (OpenAI-compatible; API key {DEMO_KEY})\n"
        f"  emulator  {emulator_url}   (local Vertex AI; region {FLAKY_LOCATION} is flaky)\n"
        f"  state     {state}\n"
        f"  metrics   {proxy_url}/metrics\n\n"
        f"Try:\n{curl}\n\n"
    )
    if interactive:
        sys.stdout.write("Press Ctrl-C to stop.\n\n")
    sys.stdout.flush()
