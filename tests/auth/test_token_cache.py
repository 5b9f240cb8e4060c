"""TokenCache against a real token endpoint on 127.0.0.1: google-auth signs, the authority verifies."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import orjson
import pytest
from structlog.testing import capture_logs

from router.auth import TokenCache
from router.errors import CredentialsError

from .conftest import TokenServer


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_service_account_file_from_the_authority_yields_a_token_it_accepts(
    token_server: TokenServer, sa_file: Path
) -> None:
    cache = TokenCache()
    token = await cache.token(str(sa_file))
    assert token_server.authority.check_access_token(token)
    assert await cache.token(str(sa_file)) == token
    assert token_server.authority.token_exchanges == 1


async def test_100_concurrent_first_callers_cause_exactly_one_exchange(
    token_server: TokenServer, sa_file: Path
) -> None:
    cache = TokenCache()
    tokens = await asyncio.gather(*(cache.token(str(sa_file)) for _ in range(100)))
    assert len(set(tokens)) == 1
    assert token_server.authority.token_exchanges == 1


async def test_token_near_expiry_is_served_while_one_background_refresh_replaces_it(
    token_server: TokenServer, sa_file: Path
) -> None:
    clock = FakeClock()
    cache = TokenCache(clock=clock, refresh_margin=300)
    first = await cache.token(sa_file)
    clock.now += 3600 - 200  # inside the refresh margin, not yet expired
    stale = await asyncio.gather(*(cache.token(sa_file) for _ in range(20)))
    assert set(stale) == {first}  # callers never wait while the old token is still good
    await cache.drain()
    fresh = await cache.token(sa_file)
    assert fresh != first
    assert token_server.authority.check_access_token(fresh)
    assert token_server.authority.token_exchanges == 2


async def test_expired_token_is_never_served_callers_wait_for_one_refresh(
    token_server: TokenServer, sa_file: Path
) -> None:
    clock = FakeClock()
    cache = TokenCache(clock=clock)
    first = await cache.token(sa_file)
    clock.now += 3600
    renewed = await asyncio.gather(*(cache.token(sa_file) for _ in range(10)))
    assert first not in renewed
    assert len(set(renewed)) == 1
    assert token_server.authority.token_exchanges == 2


async def test_invalidate_after_401_mints_a_new_token(token_server: TokenServer, sa_file: Path) -> None:
    cache = TokenCache()
    first = await cache.token(sa_file)
    token_server.authority.revoke(first)
    cache.invalidate(sa_file)
    second = await cache.token(sa_file)
    assert second != first
    assert token_server.authority.check_access_token(second)


async def test_invalidate_with_a_superseded_token_keeps_the_fresh_one(token_server: TokenServer, sa_file: Path) -> None:
    cache = TokenCache()
    old = await cache.token(sa_file)
    cache.invalidate(sa_file, old)
    new = await cache.token(sa_file)
    cache.invalidate(sa_file, old)  # a late 401 for the old token
    assert await cache.token(sa_file) == new
    assert token_server.authority.token_exchanges == 2


async def test_identity_includes_content_so_an_edited_file_gets_its_own_token(
    token_server: TokenServer, sa_file: Path, tmp_path: Path
) -> None:
    cache = TokenCache()
    info = orjson.loads(sa_file.read_bytes())
    as_json = orjson.dumps(info).decode()
    reordered = orjson.dumps(dict(reversed(list(info.items())))).decode()
    a = await cache.token(as_json)
    assert await cache.token(reordered) == a  # same canonical JSON, same identity
    assert await cache.token(info) != a  # a mapping is its own source, still one exchange each
    other = tmp_path / "other.json"
    token_server.authority.write_credentials(other, token_uri=token_server.token_uri, project_id="second")
    assert await cache.token(other) not in (a,)
    assert token_server.authority.token_exchanges == 3


async def test_token_endpoint_down_is_a_credentials_error_naming_the_source(
    token_server: TokenServer, tmp_path: Path, dead_port: int
) -> None:
    path = tmp_path / "sa.json"
    token_server.authority.write_credentials(path, token_uri=f"http://127.0.0.1:{dead_port}/token")
    cache = TokenCache()
    with capture_logs() as logs, pytest.raises(CredentialsError, match="token refresh failed") as info:
        await cache.token(path)
    assert info.value.source == f"file {path}"
    assert "PRIVATE KEY" not in str(info.value)
    assert logs[0]["event"] == "token_refresh_failed"
    assert logs[0]["source"] == f"file {path}"


async def test_token_endpoint_answering_400_is_a_credentials_error(token_server: TokenServer, sa_file: Path) -> None:
    token_server.answer_400 = True
    cache = TokenCache()
    errors = await asyncio.gather(*(cache.token(sa_file) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(e, CredentialsError) for e in errors)
    assert "invalid_grant" in str(errors[0])
    assert errors[0].source == f"file {sa_file}"
    token_server.answer_400 = False
    assert token_server.authority.check_access_token(await cache.token(sa_file))  # recovers on the next call


async def test_failed_background_refresh_keeps_serving_the_current_token(
    token_server: TokenServer, sa_file: Path
) -> None:
    clock = FakeClock()
    cache = TokenCache(clock=clock)
    first = await cache.token(sa_file)
    token_server.answer_400 = True
    clock.now += 3600 - 100
    assert await cache.token(sa_file) == first
    await cache.drain()
    assert await cache.token(sa_file) == first  # still valid; retried after the backoff


async def test_warm_mints_each_identity_once_and_reports_failures(token_server: TokenServer, sa_file: Path) -> None:
    cache = TokenCache()
    failures = await cache.warm([sa_file, str(sa_file), '{"type": "nope"}'])
    assert [f.source for f in failures] == ["inline JSON"]
    assert token_server.authority.token_exchanges == 1


def test_token_sync_works_outside_an_event_loop(token_server: TokenServer, sa_file: Path) -> None:
    cache = TokenCache()
    token = cache.token_sync(sa_file)
    assert cache.token_sync(sa_file) == token
    assert token_server.authority.token_exchanges == 1


async def test_metadata_server_flow_through_gce_metadata_host(
    token_server: TokenServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from google.auth.compute_engine import _metadata

    token_server.authority.service_account_info(token_uri=token_server.token_uri, project_id="cloud-run-proj")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))  # no gcloud user credentials
    monkeypatch.setenv("GCE_METADATA_HOST", token_server.host)
    monkeypatch.setenv("GCE_METADATA_IP", token_server.host)
    # google-auth reads GCE_METADATA_HOST once at import; this process imported it long before the test.
    monkeypatch.setattr(_metadata, "_GCE_METADATA_HOST", token_server.host)
    cache = TokenCache()
    token = await cache.token(None)
    assert token_server.authority.check_access_token(token)
    assert await cache.token(None) == token
    assert token_server.authority.token_exchanges == 1


class _BlockingCredentials:
    """Stands in for google-auth credentials whose refresh blocks until the event loop proves it is free."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self.token: str | None = None
        self.expiry = None
        self.released_in_time = False

    def refresh(self, request: object) -> None:
        self.released_in_time = self.release.wait(timeout=5)
        self.token = "ya29.blocking"


async def test_refresh_runs_off_the_event_loop() -> None:
    release = threading.Event()
    creds = _BlockingCredentials(release)
    cache = TokenCache(loader=lambda source, scopes: creds)
    pending = asyncio.ensure_future(cache.token({"type": "service_account"}))
    for _ in range(100):  # the loop keeps running while the refresh blocks its worker thread
        await asyncio.sleep(0)
    assert not pending.done()
    release.set()
    assert await pending == "ya29.blocking"
    assert creds.released_in_time


async def test_an_edited_credentials_file_becomes_a_new_identity(
    token_server: TokenServer, sa_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("router.auth._cache.RECHECK_SECONDS", 0.0)  # re-stat on every call
    cache = TokenCache()
    before = await cache.token(sa_file)
    replacement = tmp_path / "replacement.json"
    token_server.authority.write_credentials(replacement, token_uri=token_server.token_uri, project_id="rotated-key")
    sa_file.write_bytes(replacement.read_bytes())
    after = await cache.token(sa_file)
    assert after != before
    assert token_server.authority.token_exchanges == 2


async def test_repeated_lookups_of_one_source_reuse_the_identity_without_rehashing(
    token_server: TokenServer, sa_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = orjson.loads(sa_file.read_bytes())
    cache = TokenCache()
    token = await cache.token(info)
    calls = 0

    def counting(*args: object, **kwargs: object) -> str:
        nonlocal calls
        calls += 1
        return "never"

    monkeypatch.setattr("router.auth._cache._fingerprint_of", counting)
    assert await cache.token(info) == token
    assert calls == 0
