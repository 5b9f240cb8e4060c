"""Shared fixtures: the local Vertex emulator, in-process and on a real socket.

- ``emulator``: a fresh in-process ``EmulatorApp`` (``require_auth=False``) with an ``httpx.AsyncClient`` over
  ``httpx.ASGITransport`` (base URL ``http://emulator``) → ``InProcessEmulator(app, client)``. Note that
  ``ASGITransport`` buffers whole responses: use ``live_emulator`` for stall / cut / reset behaviour.
- ``authed_emulator``: the same with auth on; ``.token`` is a valid access token from ``app.authority`` and
  the client sends it.
- ``live_emulator``: a ``RunningEmulator`` (``.url``, ``.app``, ``.stop()``) on 127.0.0.1 with a free port,
  ``require_auth=False``; one server per test module, reset (faults, request log, caches) before each test.
- ``live_authed_emulator``: the same with auth on (issue tokens with ``.app.authority.issue_token()``).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

# ``tests`` has no __init__.py, so pytest puts only tests/ on sys.path; the repo root makes ``tests.<helper>``
# importable however pytest is invoked (``pytest`` or ``python -m pytest``).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from router.emulator.app import create_app
from router.emulator.server import RunningEmulator, start_in_thread
from tests.emulator_helpers import InProcessEmulator


@pytest.fixture
async def emulator() -> AsyncIterator[InProcessEmulator]:
    app = create_app(require_auth=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as client:
        yield InProcessEmulator(app=app, client=client)


@pytest.fixture
async def authed_emulator() -> AsyncIterator[InProcessEmulator]:
    app = create_app(require_auth=True)
    token = app.authority.issue_token()
    headers = {"authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator", headers=headers) as client:
        yield InProcessEmulator(app=app, client=client, token=token)


@pytest.fixture(scope="module")
def _live_emulator_server() -> Iterator[RunningEmulator]:
    running = start_in_thread(require_auth=False)
    yield running
    running.stop()


@pytest.fixture
def live_emulator(_live_emulator_server: RunningEmulator) -> RunningEmulator:
    _live_emulator_server.app.reset()
    return _live_emulator_server


@pytest.fixture(scope="module")
def _live_authed_server() -> Iterator[RunningEmulator]:
    running = start_in_thread(require_auth=True)
    yield running
    running.stop()


@pytest.fixture
def live_authed_emulator(_live_authed_server: RunningEmulator) -> RunningEmulator:
    _live_authed_server.app.reset()
    return _live_authed_server
