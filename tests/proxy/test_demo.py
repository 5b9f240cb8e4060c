"""`vertex-router demo` end to end: emulator + proxy in one command, N requests through it, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).parent / "vertex-router")


def test_demo_smoke_mode_sends_requests_through_the_flaky_pair_and_exits_0() -> None:
    env = {**os.environ, "VERTEX_ROUTER_DEMO_REQUESTS": "16"}
    done = subprocess.run(
        [CLI, "demo", "--port", "0", "--emulator-port", "0"], capture_output=True, timeout=120, env=env, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "16/16 requests succeeded" in done.stdout
    assert "curl http://127.0.0.1:" in done.stdout
    assert "stream=yes" in done.stdout
    # The flaky region is armed before the first request and picked at random (p = 1/2 each): with 16 requests
    # some request meets it (all 16 missing it has probability 2**-16) and needs a second attempt.
    assert "attempts=2" in done.stdout
