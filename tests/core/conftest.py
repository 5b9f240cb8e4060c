"""A live emulator with auth on, a service-account file it wrote, and a Router factory pointed at it.

Every call in these tests goes through google-auth's real service-account flow against the emulator's token
endpoint, over real sockets on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from router import Router
from router.emulator.oauth import TokenAuthority
from router.emulator.server import RunningEmulator, start_in_thread


class FakeClock:
    """Engine time that only moves when a test says so; ``sleep`` advances it instead of waiting."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Stack:
    def __init__(self, emulator: RunningEmulator, credentials: Path) -> None:
        self.emulator = emulator
        self.credentials = credentials

    def deployment(self, group: str, model: str, location: str = "us-central1", **params: Any) -> dict[str, Any]:
        return {
            "model_name": group,
            "litellm_params": {
                "model": model,
                "vertex_project": "emulator-project",
                "vertex_location": location,
                "vertex_credentials": str(self.credentials),
                "api_base": self.emulator.url,
                **params,
            },
        }

    def router(self, model_list: list[dict[str, Any]], **settings: Any) -> Router:
        config: dict[str, Any] = {"model_list": model_list}
        clock = settings.pop("clock", None)
        if settings:
            config["router_settings"] = settings
        kwargs: dict[str, Any] = {}
        if clock is not None:
            kwargs.update(clock=clock, sleep=clock.sleep)
        return Router.from_dict(config, **kwargs)

    def requests(self, **match: str) -> list[Any]:
        return [r for r in self.emulator.app.requests if all(getattr(r, key) == value for key, value in match.items())]


@pytest.fixture(scope="module")
def _stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    authority = TokenAuthority()
    emulator = start_in_thread(authority=authority)
    credentials = tmp_path_factory.mktemp("creds") / "sa.json"
    authority.write_credentials(credentials, token_uri=f"{emulator.url}/token")
    yield Stack(emulator, credentials)
    emulator.stop()


@pytest.fixture
def stack(_stack: Stack) -> Stack:
    _stack.emulator.app.reset()
    return _stack


@pytest.fixture
def fake_clock() -> Callable[[], float]:
    return FakeClock()
