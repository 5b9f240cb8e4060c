"""``/vertex-ai/{path}``: google-genai pointed at the proxy, forwarded with the proxy's own credentials."""

from __future__ import annotations

import httpx
import pytest

from router import InvalidRequestError, Router
from router._passthrough import Account, upstream_url
from router.proxy.app import create_app
from router.proxy.auth import ProxyAuth
from tests.core.conftest import Stack


def _router(stack: Stack) -> Router:
    return Router.from_dict(
        {
            "model_list": [stack.deployment("flash", "vertex_ai/gemini-2.5-flash")],
            "default_vertex_config": {
                "vertex_project": "router-project",
                "vertex_location": "europe-west4",
                "vertex_credentials": str(stack.credentials),
                "api_base": stack.emulator.url,
            },
            "general_settings": {"master_key": "sk-proxy"},
        }
    )


async def test_native_generate_content_is_forwarded_with_the_routers_token_and_project(stack: Stack) -> None:
    router = _router(stack)
    app = create_app(router, auth=ProxyAuth.from_config(router.config, env={}))
    body = {"contents": [{"role": "user", "parts": [{"text": "native call"}]}]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://proxy") as client:
        response = await client.post(
            "/vertex-ai/v1/projects/client-guess/locations/europe-west4/publishers/google/models/"
            "gemini-2.5-flash:generateContent",
            json=body,
            headers={"authorization": "Bearer sk-proxy"},
        )
        denied = await client.post("/vertex-ai/v1/publishers/google/models/x:generateContent", json=body)
    await router.aclose()
    assert response.status_code == 200
    assert response.json()["candidates"][0]["content"]["parts"][0]["text"] == "Echo: native call"
    sent = stack.requests(location="europe-west4")
    assert [r.path.split("/")[3] for r in sent] == ["router-project"]  # the client's project was replaced
    assert "sk-proxy" not in str(sent[0].headers)
    assert denied.status_code == 401


async def test_native_stream_is_relayed_event_by_event(stack: Stack) -> None:
    router = _router(stack)
    status, headers, events = await router.passthrough(
        "POST",
        "publishers/google/models/gemini-2.5-flash:streamGenerateContent",
        "alt=sse",
        {"content-type": "application/json"},
        b'{"contents": [{"role": "user", "parts": [{"text": "one two three"}]}]}',
    )
    frames = [frame async for frame in events]
    await router.aclose()
    assert status == 200
    assert headers["content-type"] == "text/event-stream"
    assert len(frames) > 1
    assert all(frame.startswith(b"data: ") and frame.endswith(b"\n\n") for frame in frames)


def test_dot_dot_segments_cannot_escape_the_project() -> None:
    account = Account("p", "us-central1", None, None)
    with pytest.raises(InvalidRequestError):
        upstream_url(account, "v1/projects/p/locations/us-central1/../../other/x", "")


def test_paths_without_project_get_the_accounts_project_and_host() -> None:
    account = Account("p", "us-central1", None, None)
    assert upstream_url(account, "publishers/google/models/m:predict", "") == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/m:predict"
    )
