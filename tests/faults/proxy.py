"""``vertex-router serve`` as users start it: a subprocess on a free port, waited for on /health/liveliness."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

CLI = str(Path(sys.executable).parent / "vertex-router")
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServedProxy:
    """One ``vertex-router serve --no-auth --workers 1`` process; its output goes to ``log_path``."""

    def __init__(self, config: Path, log_path: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        command = [CLI, "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--workers", "1", *extra], stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_alive()

    def _wait_alive(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}: {self.output()}")
            if self.alive():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"serve did not come up: {self.output()}")

    def alive(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health/liveliness", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return int(self.process.returncode)


class Blackhole:
    """A loopback address whose connection attempts hang: a listener that never accepts, its one-slot backlog
    filled, so the kernel drops further SYNs (what an unreachable upstream looks like to a client)."""

    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(0)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._fillers = [self._half_open() for _ in range(4)]

    def _half_open(self) -> socket.socket:
        sock = socket.socket()
        sock.setblocking(False)
        # The handshake completes (or is dropped) in the background; either way the backlog fills.
        with contextlib.suppress(BlockingIOError):
            sock.connect(self._server.getsockname())
        return sock

    def close(self) -> None:
        for sock in [*self._fillers, self._server]:
            sock.close()
