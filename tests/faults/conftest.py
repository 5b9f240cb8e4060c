"""One emulator (auth on, a service-account file it trusts) and one ``vertex-router serve`` process in front of
it for the whole fault matrix; every row has its own deployments, so rows do not share cooldowns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

from router.emulator.oauth import TokenAuthority
from router.emulator.server import RunningEmulator, start_in_thread
from tests.faults.matrix import Stack, write_config
from tests.faults.proxy import Blackhole, ServedProxy


@dataclass
class Matrix:
    emulator: RunningEmulator
    proxy: ServedProxy
    client: openai.OpenAI
    config: Path
    credentials: Path


@pytest.fixture(scope="session")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    home = tmp_path_factory.mktemp("faults")
    authority = TokenAuthority()
    emulator = start_in_thread(authority=authority)
    credentials = home / "sa.json"
    authority.write_credentials(credentials, token_uri=f"{emulator.url}/token")
    blackhole = Blackhole()
    config = write_config(Stack(emulator.url, credentials, blackhole.url), home / "config.yaml")
    proxy = ServedProxy(config, home / "proxy.log", "--no-auth")
    client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key="unused", max_retries=0, timeout=60)
    yield Matrix(emulator, proxy, client, config, credentials)
    client.close()
    proxy.stop()
    blackhole.close()
    emulator.stop()
