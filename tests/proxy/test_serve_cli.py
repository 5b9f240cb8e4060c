"""`vertex-router serve --config FILE` as users start it: a subprocess on a free port, in front of the emulator."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import orjson
import pytest
import yaml

from router.emulator.faults import Fault
from router.emulator.oauth import TokenAuthority
from router.emulator.server import RunningEmulator, start_in_thread

CLI = str(Path(sys.executable).parent / "vertex-router")
KEY = "sk-serve-test-key"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningEmulator, Path]]:
    authority = TokenAuthority()
    running = start_in_thread(authority=authority)
    credentials = tmp_path_factory.mktemp("serve") / "sa.json"
    authority.write_credentials(credentials, token_uri=f"{running.url}/token")
    yield running, credentials
    running.stop()


def write_config(path: Path, emulator: RunningEmulator, credentials: Path, *, master_key: str | None) -> Path:
    deployment = {
        "model_name": "gemini-flash",
        "litellm_params": {"model": "vertex_ai/gemini-2.5-flash", "vertex_project": "emulator-project",
                           "vertex_location": "us-central1", "api_base": emulator.url,
                           "vertex_credentials": str(credentials)},
    }  # fmt: skip
    config: dict[str, object] = {"model_list": [deployment]}
    if master_key:
        config["general_settings"] = {"master_key": master_key}
    path.write_text(yaml.safe_dump(config))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(config: Path, *extra: str, before: tuple[str, ...] = ()) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [CLI, *before, "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # wait for the listener (bounded; the process exiting early ends the wait)
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise AssertionError(f"serve exited with {process.returncode}: {output}")
        try:
            if httpx.get(f"{url}/health/liveliness", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("serve did not come up")


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def test_serve_answers_openai_sdk_and_stops_cleanly(emulator: tuple[RunningEmulator, Path], tmp_path: Path) -> None:
    running, credentials = emulator
    config = write_config(tmp_path / "config.yaml", running, credentials, master_key=KEY)
    process, url = start(config, "--workers", "1")
    try:
        client = openai.OpenAI(api_key=KEY, base_url=f"{url}/v1", max_retries=0)
        response = client.chat.completions.create(model="gemini-flash", messages=[{"role": "user", "content": "hi"}])
        assert response.choices[0].message.content
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(api_key="sk-wrong", base_url=f"{url}/v1", max_retries=0).models.list()
    finally:
        code = stop(process)
    assert code == 0


def test_in_flight_request_finishes_during_graceful_shutdown(
    emulator: tuple[RunningEmulator, Path], tmp_path: Path
) -> None:
    running, credentials = emulator
    config = write_config(tmp_path / "config.yaml", running, credentials, master_key=KEY)
    process, url = start(config, "--workers", "1")
    running.app.faults.add(Fault(location="us-central1", latency_ms=1500, times=1))
    seen_before = len(running.app.requests)
    result: dict[str, int] = {}

    def call() -> None:
        body = {"model": "gemini-flash", "messages": [{"role": "user", "content": "slow"}]}
        response = httpx.post(f"{url}/v1/chat/completions", json=body, headers={"x-api-key": KEY}, timeout=30)
        result["status"] = response.status_code

    thread = threading.Thread(target=call)
    thread.start()
    for _ in range(1000):  # until the request reached the upstream: it is in flight in the proxy
        if len(running.app.requests) > seen_before:
            break
        time.sleep(0.01)
    code = stop(process)
    thread.join(timeout=30)
    assert result.get("status") == 200
    assert code == 0


def test_serve_refuses_to_start_without_a_key(emulator: tuple[RunningEmulator, Path], tmp_path: Path) -> None:
    running, credentials = emulator
    config = write_config(tmp_path / "config.yaml", running, credentials, master_key=None)
    env_free = subprocess.run(
        [CLI, "serve", "--config", str(config), "--port", str(free_port())],
        capture_output=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert env_free.returncode == 2
    assert b"--no-auth" in env_free.stderr


def test_serve_with_no_auth_and_two_workers(emulator: tuple[RunningEmulator, Path], tmp_path: Path) -> None:
    running, credentials = emulator
    config = write_config(tmp_path / "config.yaml", running, credentials, master_key=None)
    process, url = start(config, "--no-auth", "--workers", "2")
    try:
        body = {"model": "gemini-flash", "messages": [{"role": "user", "content": "hi"}]}
        statuses = {httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30).status_code for _ in range(6)}
        assert statuses == {200}
        # Whichever worker answers the scrape reports all six (other workers publish once a second).
        wanted = 'vertex_router_requests_total{route="/chat/completions",status="200"} 6'
        # The scrape that saw all six is the one asserted on: another scrape may be answered by the other worker,
        # whose copy of this one's counters can be up to a publish interval older.
        text = ""
        for _ in range(100):
            text = httpx.get(f"{url}/metrics").text
            if wanted in text:
                break
            time.sleep(0.1)
        assert wanted in text
    finally:
        code = stop(process)
    assert code == 0


def test_json_logs_make_every_line_json(emulator: tuple[RunningEmulator, Path], tmp_path: Path) -> None:
    running, credentials = emulator
    config = write_config(tmp_path / "config.yaml", running, credentials, master_key=KEY)
    process, url = start(config, "--workers", "1", before=("--json-logs",))
    httpx.post(f"{url}/v1/chat/completions", json={"model": "nope", "messages": []}, headers={"x-api-key": KEY})
    assert stop(process) == 0
    lines = [line for line in (process.stdout.read() if process.stdout else b"").splitlines() if line.strip()]
    assert lines, "the server logs its start and stop"
    events = [orjson.loads(line) for line in lines]  # raises on any line that is not JSON
    assert any(event.get("event") == "proxy_starting" for event in events)
