"""Serving the emulator on a real socket: uvicorn with httptools + uvloop (never h11).

- ``run_from_args(args)``: the ``vertex-router emulator`` command (host, port, latency_ms, faults file,
  write_credentials path); blocks until interrupted.
- ``start_in_thread(...)``: a background server on 127.0.0.1 (port 0 = any free port) for tests, benchmarks and
  the demo; ``.url``, ``.app``, ``.stop()``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import structlog
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from router.emulator.app import TRANSPORT_KEY, EmulatorApp, create_app
from router.emulator.call import EmulatorSettings
from router.emulator.faults import FaultTable, load_faults_file

log = structlog.get_logger(__name__)

_START_TIMEOUT = 10.0


class EmulatorHttpProtocol(HttpToolsProtocol):
    """httptools protocol that hands the app its transport, so a fault can really reset the connection."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        extensions: dict[str, Any] = {TRANSPORT_KEY: self.transport}
        self.scope["extensions"] = extensions


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _config(app: EmulatorApp, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        http=EmulatorHttpProtocol,
        loop="uvloop",
        ws="none",
        lifespan="off",
        log_config=None,  # leave logging to the process (the CLI configures structlog); uvicorn's would override it
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
        **extra,
    )


def _url(host: str, sock: socket.socket) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"http://{shown}:{sock.getsockname()[1]}"


@dataclass
class RunningEmulator:
    url: str
    app: EmulatorApp
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=_START_TIMEOUT)

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(host: str = "127.0.0.1", port: int = 0, **create_app_kwargs: Any) -> RunningEmulator:
    """Serve a new emulator app from a daemon thread; returns once it accepts connections."""
    app = create_app(**create_app_kwargs)
    sock = _bind(host, port)
    server = uvicorn.Server(_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="vertex-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the Vertex emulator did not start")
        time.sleep(0.005)
    return RunningEmulator(url=_url(host, sock), app=app, server=server, thread=thread)


def run_from_args(args: Any) -> int:
    """``vertex-router emulator``: serve until interrupted. ``args`` has ``host``, ``port``, ``latency_ms``,
    ``faults`` (path to a YAML/JSON rules file, or None) and ``write_credentials`` (path, or None)."""
    from router.emulator.oauth import TokenAuthority

    host = str(getattr(args, "host", "127.0.0.1") or "127.0.0.1")
    sock = _bind(host, int(getattr(args, "port", 8089) or 0))
    url = _url(host, sock)
    faults_path = getattr(args, "faults", None)
    faults = FaultTable(load_faults_file(faults_path) if faults_path else ())
    authority = TokenAuthority()
    credentials = getattr(args, "write_credentials", None)
    if credentials:
        authority.write_credentials(credentials, token_uri=f"{url}/token")
    settings = EmulatorSettings(
        serve_palm=bool(getattr(args, "serve_palm", False)) or _env_flag("VERTEX_EMULATOR_SERVE_PALM")
    )
    app = create_app(
        latency_ms=float(getattr(args, "latency_ms", 0.0) or 0.0),
        faults=faults,
        authority=authority,
        require_auth=not bool(getattr(args, "no_auth", False)),
        settings=settings,
    )
    log.info("emulator_started", url=url, faults=len(faults), credentials=credentials or None)
    uvicorn.Server(_config(app)).run(sockets=[sock])
    return 0


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
