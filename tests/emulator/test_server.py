"""``vertex-router emulator`` as a process: faults file, written credentials, google-auth against it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from router.emulator.server import start_in_thread
from tests.emulator_helpers import gemini_body, model_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    credentials = tmp_path / "sa.json"
    faults = tmp_path / "faults.yaml"
    faults.write_text("- {location: europe-west4, status: 429, retry_after: 2}\n")
    command = [sys.executable, "-m", "router", "emulator", "--port", str(port), "--faults", str(faults)]
    command += ["--write-credentials", str(credentials)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url, credentials
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"emulator exited with {process.returncode}")
        try:
            httpx.get(f"{url}/_emulator/health", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)  # start-up polling, not a test assertion
    raise RuntimeError("emulator did not start")


def test_cli_serves_with_faults_file_and_written_credentials(emulator_process: tuple[str, Path]) -> None:
    url, credentials_path = emulator_process
    info = orjson.loads(credentials_path.read_bytes())
    assert info["type"] == "service_account"
    assert info["token_uri"] == f"{url}/token"
    credentials = service_account.Credentials.from_service_account_file(
        str(credentials_path), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    credentials.refresh(Request())
    headers = {"authorization": f"Bearer {credentials.token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        ok = client.post(model_path("gemini-2.5-flash", "generateContent"), json=gemini_body("via cli"))
        limited = client.post(
            model_path("gemini-2.5-flash", "generateContent", location="europe-west4"), json=gemini_body()
        )
        unauthenticated = client.post(
            model_path("gemini-2.5-flash", "generateContent"), json=gemini_body(), headers={"authorization": "Bearer x"}
        )
    assert ok.json()["candidates"][0]["content"]["parts"][0]["text"] == "Echo: via cli"
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
    assert unauthenticated.status_code == 401


def test_start_in_thread_serves_and_stops() -> None:
    running = start_in_thread(require_auth=False)
    with httpx.Client(base_url=running.url, timeout=5) as client:
        assert client.get("/_emulator/health").json() == {"status": "ok"}
    running.stop()
    assert not running.thread.is_alive()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{running.url}/_emulator/health", timeout=1.0)
