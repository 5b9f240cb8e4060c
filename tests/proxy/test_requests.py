"""Request checks: malformed JSON, wrong types, body limit, credential overrides, unknown routes."""

from __future__ import annotations

import httpx
import pytest

from .conftest import MASTER
from .fakes import FakeRouter

H = {"Authorization": f"Bearer {MASTER}", "content-type": "application/json"}
CHAT = {"model": "gemini-flash", "messages": [{"role": "user", "content": "hi"}]}


async def test_malformed_json_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/chat/completions", content=b'{"model": ', headers=H)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("body", [b"", b"[1, 2]", b'"text"', b"null"])
async def test_non_object_body_is_400(http: httpx.AsyncClient, body: bytes) -> None:
    response = await http.post("/v1/chat/completions", content=body, headers=H)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("patch", "param"),
    [
        ({"model": 5}, "model"),
        ({"model": ""}, "model"),
        ({"messages": "hi"}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [{"content": "no role"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 7}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": [{"text": "no type"}]}]}, "messages[0].content[0]"),
        ({"stream": "yes"}, "stream"),
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"max_tokens": 1.5}, "max_tokens"),
        ({"tools": {}}, "tools"),
        ({"stop": [1]}, "stop"),
    ],
)
async def test_wrong_types_are_400_naming_the_param(
    http: httpx.AsyncClient, patch: dict[str, object], param: str
) -> None:
    response = await http.post("/v1/chat/completions", json={**CHAT, **patch}, headers=H)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


async def test_missing_model_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/embeddings", json={"input": "x"}, headers=H)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "model"


@pytest.mark.parametrize(
    "key",
    ["vertex_credentials", "vertex_project", "vertex_location", "vertex_ai_project", "api_base", "base_url", "api_key",
     "extra_headers", "aws_region_name"],
)  # fmt: skip
async def test_credential_or_target_override_is_refused_and_named(
    http: httpx.AsyncClient, fake_router: FakeRouter, key: str
) -> None:
    response = await http.post("/v1/chat/completions", json={**CHAT, key: "x"}, headers=H)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == key
    assert key in response.json()["error"]["message"]
    assert fake_router.calls == []


async def test_override_hidden_in_extra_body_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/chat/completions", json={**CHAT, "extra_body": {"api_base": "http://evil"}}, headers=H
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "extra_body.api_base"


async def test_body_over_limit_is_413(http: httpx.AsyncClient) -> None:
    big = {**CHAT, "messages": [{"role": "user", "content": "x" * 70_000}]}
    response = await http.post("/v1/chat/completions", json=big, headers=H)
    assert response.status_code == 413


async def test_body_over_limit_without_content_length_is_413(http: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 8192

    response = await http.post("/v1/chat/completions", content=chunks(), headers=H)
    assert response.status_code == 413


async def test_unknown_route_is_404_and_wrong_method_405(http: httpx.AsyncClient) -> None:
    assert (await http.post("/v1/nothing", json={}, headers=H)).status_code == 404
    assert (await http.get("/v1/chat/completions", headers=H)).status_code == 405


async def test_routes_work_with_and_without_v1_and_trailing_slash(http: httpx.AsyncClient) -> None:
    for path in ("/chat/completions", "/v1/chat/completions", "/v1/chat/completions/"):
        assert (await http.post(path, json=CHAT, headers=H)).status_code == 200


async def test_self_parameter_cannot_break_the_call(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/chat/completions", json={**CHAT, "self": 1}, headers=H)
    assert response.status_code == 400


async def test_null_parameters_are_not_passed_to_the_router(http: httpx.AsyncClient, fake_router: FakeRouter) -> None:
    response = await http.post("/v1/chat/completions", json={**CHAT, "stream": None, "temperature": None}, headers=H)
    assert response.status_code == 200
    params = fake_router.calls[-1][1]
    assert params["stream"] is False  # the fake's default: the proxy did not pass stream=None
    assert "temperature" not in params
