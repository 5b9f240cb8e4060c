from __future__ import annotations

import httpx
import pytest
import structlog

from router.proxy.auth import ApiKey, ProxyAuth
from router.proxy.errors import AuthenticationFailed, KeyRateLimited

from .conftest import MASTER, TEAM, FakeClock

CHAT = {"model": "gemini-flash", "messages": [{"role": "user", "content": "hi"}]}


async def test_missing_key_is_401_openai_error(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "authentication_error"
    assert set(error) == {"message", "type", "param", "code"}


async def test_wrong_key_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/chat/completions", json=CHAT, headers={"Authorization": "Bearer sk-nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


async def test_x_api_key_header_is_accepted(http: httpx.AsyncClient) -> None:
    response = await http.post("/chat/completions", json=CHAT, headers={"x-api-key": MASTER})
    assert response.status_code == 200


async def test_named_key_may_not_use_other_models(http: httpx.AsyncClient) -> None:
    body = {**CHAT, "model": "gemini-pro"}
    response = await http.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {TEAM}"})
    assert response.status_code == 403
    assert response.json()["error"]["param"] == "model"


async def test_models_list_shows_only_what_the_key_may_use(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/models", headers={"Authorization": f"Bearer {TEAM}"})
    assert [m["id"] for m in response.json()["data"]] == ["gemini-flash"]


async def test_named_key_rpm_gives_429_with_retry_after_until_refilled(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    headers = {"Authorization": f"Bearer {TEAM}"}
    for _ in range(2):
        assert (await http.post("/v1/chat/completions", json=CHAT, headers=headers)).status_code == 200
    limited = await http.post("/v1/chat/completions", json=CHAT, headers=headers)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "30"
    clock.now += 30
    assert (await http.post("/v1/chat/completions", json=CHAT, headers=headers)).status_code == 200


async def test_master_key_has_no_rpm_limit(http: httpx.AsyncClient) -> None:
    headers = {"Authorization": f"Bearer {MASTER}"}
    statuses = {(await http.post("/v1/chat/completions", json=CHAT, headers=headers)).status_code for _ in range(5)}
    assert statuses == {200}


async def test_health_endpoints_need_no_key(http: httpx.AsyncClient) -> None:
    assert (await http.get("/health/liveliness")).status_code == 200
    assert (await http.get("/health/readiness")).json()["status"] == "healthy"


async def test_key_is_never_logged(http: httpx.AsyncClient) -> None:
    with structlog.testing.capture_logs() as logs:
        await http.post("/v1/chat/completions", json={**CHAT, "model": "error:crash"}, headers={"x-api-key": MASTER})
    assert logs, "an unexpected error is logged"
    assert MASTER not in repr(logs)
    assert "secret prompt text" not in repr(logs)


def test_every_configured_key_is_compared() -> None:
    class CountingKeys(list[ApiKey]):
        reads = 0

        def __iter__(self):  # type: ignore[no-untyped-def]
            for key in super().__iter__():
                CountingKeys.reads += 1
                yield key

    keys = CountingKeys([ApiKey.from_secret(f"k{i}", f"secret-{i}") for i in range(5)])
    auth = ProxyAuth(keys)
    assert auth.authenticate({b"authorization": b"Bearer secret-0"}).name == "k0"
    assert CountingKeys.reads == 5


def test_config_master_key_then_env_fallback() -> None:
    config = {"general_settings": {"master_key": "sk-from-config", "keys": [{"name": "a", "key": "sk-a", "rpm": 10}]}}
    auth = ProxyAuth.from_config(config, env={})
    assert auth is not None
    assert auth.authenticate({b"x-api-key": b"sk-from-config"}).name == "master"
    assert auth.authenticate({b"x-api-key": b"sk-a"}).rpm == 10
    env_only = ProxyAuth.from_config({"general_settings": {}}, env={"VERTEX_ROUTER_MASTER_KEY": "sk-env"})
    assert env_only is not None
    assert env_only.authenticate({b"x-api-key": b"sk-env"}).name == "master"


def test_no_key_configured_means_no_auth_object() -> None:
    assert ProxyAuth.from_config({"general_settings": {"master_key": None}}, env={}) is None


def test_bearer_scheme_is_case_insensitive_and_other_schemes_are_refused() -> None:
    auth = ProxyAuth([ApiKey.from_secret("m", "sk-1")])
    assert auth.authenticate({b"authorization": b"bearer sk-1"}).name == "m"
    with pytest.raises(AuthenticationFailed):
        auth.authenticate({b"authorization": b"Basic sk-1"})


def test_a_bare_key_without_scheme_is_accepted_as_the_user_guide_sends_it() -> None:
    auth = ProxyAuth([ApiKey.from_secret("m", "sk-1")])
    assert auth.authenticate({b"authorization": b"sk-1"}).name == "m"
    with pytest.raises(AuthenticationFailed):
        auth.authenticate({b"authorization": b"sk-2"})


async def test_rpm_bucket_refills_at_rate() -> None:
    clock = FakeClock()
    auth = ProxyAuth([], clock=clock)
    key = ApiKey.from_secret("k", "s", rpm=60)
    for _ in range(60):
        await auth.admit(key)
    with pytest.raises(KeyRateLimited) as info:
        await auth.admit(key)
    assert info.value.retry_after == pytest.approx(1.0)
    clock.now += 1.0
    await auth.admit(key)


async def test_tpm_is_charged_after_the_call_and_refuses_a_key_in_debt() -> None:
    clock = FakeClock()
    auth = ProxyAuth([], clock=clock)
    key = ApiKey.from_secret("k", "s", tpm=600)  # 10 tokens per second
    await auth.admit(key)
    await auth.charge_tokens(key, 650)  # the answer was bigger than the budget: 50 tokens of debt
    with pytest.raises(KeyRateLimited) as info:
        await auth.admit(key)
    assert info.value.retry_after == pytest.approx(5.0)
    clock.now += 5.1
    await auth.admit(key)


async def test_tpm_from_config_limits_a_named_key_over_http(fake_router: object) -> None:
    from router.proxy.app import create_app

    config = {"general_settings": {"keys": [{"name": "small", "key": "sk-small", "tpm": 10}]}}
    auth = ProxyAuth.from_config(config, env={})
    assert auth is not None
    app = create_app(fake_router, auth=auth)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
        headers = {"x-api-key": "sk-small"}
        first = await client.post("/v1/chat/completions", json=CHAT, headers=headers)  # 7 tokens
        second = await client.post("/v1/chat/completions", json=CHAT, headers=headers)  # 14: in debt after
        third = await client.post("/v1/chat/completions", json=CHAT, headers=headers)
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert int(third.headers["retry-after"]) >= 1
