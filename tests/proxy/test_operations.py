"""Pass-through, metrics, health, readiness, lifespan."""

from __future__ import annotations

import httpx

from router.proxy.app import ProxyApp

from .conftest import MASTER
from .fakes import FakeRouter

H = {"Authorization": f"Bearer {MASTER}"}
CHAT = {"model": "gemini-flash", "messages": [{"role": "user", "content": "hi"}]}


async def test_passthrough_forwards_without_the_proxy_key(http: httpx.AsyncClient, fake_router: FakeRouter) -> None:
    path = "v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
    response = await http.post(
        f"/vertex-ai/{path}", params={"x": "1"}, content=b'{"contents": []}',
        headers={**H, "x-goog-user-project": "p", "content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {"candidates": []}
    assert response.headers["x-upstream"] == "vertex"
    kind, call = fake_router.calls[-1]
    assert kind == "passthrough"
    assert call["path"] == path
    assert call["query"] == "x=1"
    assert call["body"] == b'{"contents": []}'
    assert "authorization" not in call["headers"]
    assert MASTER not in repr(call["headers"])
    assert call["headers"]["x-goog-user-project"] == "p"


async def test_passthrough_underscore_alias_and_auth(http: httpx.AsyncClient) -> None:
    assert (await http.get("/vertex_ai/v1/projects/p/locations/l/models", headers=H)).status_code == 200
    assert (await http.get("/vertex_ai/v1/projects/p/locations/l/models")).status_code == 401


async def test_metrics_count_requests_attempts_and_tokens(http: httpx.AsyncClient) -> None:
    await http.post("/v1/chat/completions", json=CHAT, headers=H)
    await http.post("/v1/chat/completions", json={"model": 1}, headers=H)
    text = (await http.get("/metrics")).text
    assert 'vertex_router_requests_total{route="/chat/completions",status="200"} 1' in text
    assert 'vertex_router_requests_total{route="/chat/completions",status="400"} 1' in text
    assert 'vertex_router_upstream_attempts_total{deployment="gemini-flash-us-central1",status="200"} 1' in text
    assert 'vertex_router_tokens_total{model_group="gemini-flash",kind="prompt"} 5' in text
    assert 'vertex_router_request_duration_seconds_count{route="/chat/completions"} 2' in text
    assert "# TYPE vertex_router_request_duration_seconds histogram" in text


async def test_readiness_is_503_when_credentials_fail_without_leaking_the_source(
    http: httpx.AsyncClient, fake_router: FakeRouter
) -> None:
    fake_router.ready = False
    response = await http.get("/health/readiness")
    assert response.status_code == 503
    assert "/secret/" not in response.text


async def test_health_needs_a_key_and_shows_deployments(http: httpx.AsyncClient) -> None:
    assert (await http.get("/health")).status_code == 401
    assert (await http.get("/health", headers=H)).json() == {"gemini-flash-us-central1": {"healthy": True}}


async def test_lifespan_shutdown_closes_the_router(app: ProxyApp, fake_router: FakeRouter) -> None:
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive():  # type: ignore[no-untyped-def]
        return next(messages)

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message["type"])

    await app({"type": "lifespan"}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert fake_router.closed


async def test_no_auth_app_serves_without_a_key(fake_router: FakeRouter) -> None:
    from router.proxy.app import create_app

    app = create_app(fake_router, auth=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://p") as client:
        assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 200


def test_metrics_understand_the_routing_engine_event_names() -> None:
    from router.proxy.metrics import Metrics

    metrics = Metrics()
    metrics.on_router_event("attempt_failed", {"deployment_id": "eu", "status": 503, "latency_ms": 12.0})
    metrics.on_router_event("attempt_succeeded", {"deployment_id": "us", "latency_ms": 3.0})
    metrics.on_router_event("deployment_cooled_down", {"deployment_id": "eu", "seconds": 5})
    text = metrics.render().decode()
    assert 'vertex_router_upstream_attempts_total{deployment="eu",status="503"} 1' in text
    assert 'vertex_router_upstream_attempts_total{deployment="us",status="200"} 1' in text
    assert 'vertex_router_cooldowns_total{deployment="eu"} 1' in text
    assert 'vertex_router_upstream_attempt_duration_seconds_bucket{deployment="eu",le="0.025"} 1' in text
