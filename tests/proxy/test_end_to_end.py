"""The real Router behind the proxy, the emulator behind the Router, the openai SDK in front; real sockets.

Tokens come from google-auth's service-account flow against the emulator's token endpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import uvicorn

from router import Router
from router.emulator.faults import Fault
from router.emulator.oauth import TokenAuthority
from router.emulator.server import RunningEmulator, start_in_thread
from router.proxy.app import create_app
from router.proxy.auth import ApiKey, ProxyAuth

KEY = "sk-end-to-end"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningEmulator, Path]]:
    authority = TokenAuthority()
    emulator = start_in_thread(authority=authority)
    credentials = tmp_path_factory.mktemp("creds") / "sa.json"
    authority.write_credentials(credentials, token_uri=f"{emulator.url}/token")
    yield emulator, credentials
    emulator.stop()


def model_list(emulator: RunningEmulator, credentials: Path) -> list[dict[str, Any]]:
    def entry(
        group: str, model: str, location: str = "us-central1", *, use_in_pass_through: bool = False, **extra: Any
    ) -> dict[str, Any]:
        params = {
            "model": model,
            "vertex_project": "emulator-project",
            "vertex_location": location,
            "vertex_credentials": str(credentials),
            "api_base": emulator.url,
        }
        if use_in_pass_through:
            params["use_in_pass_through"] = True  # fmt: skip
        return {"model_name": group, "litellm_params": params, **extra}

    return [
        entry("gemini-flash", "vertex_ai/gemini-2.5-flash", "us-central1", use_in_pass_through=True),
        entry("gemini-flash", "vertex_ai/gemini-2.5-flash", "europe-west4"),
        entry("text-embedding", "vertex_ai/text-embedding-005"),
        entry("imagen", "vertex_ai/imagen-3.0-generate-002"),
        entry("codestral", "vertex_ai/codestral@2405"),
        entry("tts", "vertex_ai/chirp", model_info={"mode": "audio_speech"}),
        entry("limited", "vertex_ai/gemini-2.5-pro", "asia-northeast1"),
        entry("down", "vertex_ai/gemini-2.5-pro", "southamerica-east1"),
    ]


@pytest.fixture
async def proxy_url(stack: tuple[RunningEmulator, Path]) -> AsyncIterator[str]:
    emulator, credentials = stack
    emulator.app.reset()
    router = Router.from_dict({"model_list": model_list(emulator, credentials), "router_settings": {"num_retries": 1}})
    app = create_app(router, auth=ProxyAuth([ApiKey.from_secret("master", KEY)]))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, http="httptools", loop="none", log_level="warning",
                            access_log=False, lifespan="on", log_config=None)  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
def client(proxy_url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key=KEY, base_url=f"{proxy_url}/v1", max_retries=0)


async def test_chat_through_router_and_emulator(client: openai.AsyncOpenAI) -> None:
    raw = await client.chat.completions.with_raw_response.create(
        model="gemini-flash", messages=[{"role": "user", "content": "Hello there"}]
    )
    response = raw.parse()
    assert response.choices[0].message.content
    assert response.usage is not None
    assert raw.headers["x-router-attempts"] == "1"
    assert raw.headers["x-router-deployment"]
    assert float(raw.headers["x-router-overhead-ms"]) > 0


async def test_streaming_through_router(client: openai.AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gemini-flash", messages=[{"role": "user", "content": "Stream please"}], stream=True
    )
    parts = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
    assert "".join(parts)


async def test_tools_and_json_schema(client: openai.AsyncOpenAI) -> None:
    parameters = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    tools = [
        {"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": parameters}}
    ]
    response = await client.chat.completions.create(
        model="gemini-flash",
        messages=[{"role": "user", "content": "Weather in Berlin?"}],
        tools=tools,
        tool_choice="required",  # type: ignore[arg-type]
    )
    assert response.choices[0].message.tool_calls
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    structured = await client.chat.completions.create(
        model="gemini-flash",
        messages=[{"role": "user", "content": "A name as JSON"}],
        response_format={"type": "json_schema", "json_schema": {"name": "n", "schema": schema}},
    )
    assert structured.choices[0].message.content is not None
    assert structured.choices[0].message.content.lstrip().startswith("{")


async def test_embeddings_images_speech_and_fim(client: openai.AsyncOpenAI) -> None:
    embedding = await client.embeddings.create(model="text-embedding", input=["one", "two"])
    assert len(embedding.data) == 2
    assert len(embedding.data[0].embedding) > 0
    image = await client.images.generate(model="imagen", prompt="a lighthouse")
    assert image.data
    assert image.data[0].b64_json
    speech = await client.audio.speech.create(model="tts", input="hello", voice="alloy")
    assert speech.content
    assert speech.response.headers["content-type"].startswith("audio/")
    fim = await client.completions.create(model="codestral", prompt="def add(a, b):", suffix="\n    return c")
    assert fim.choices[0].text is not None


async def test_unknown_model_is_not_found(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        await client.chat.completions.create(model="no-such-group", messages=[{"role": "user", "content": "hi"}])


async def test_upstream_429_is_rate_limit_error_with_retry_after(
    client: openai.AsyncOpenAI, stack: tuple[RunningEmulator, Path]
) -> None:
    stack[0].app.faults.add(Fault(location="asia-northeast1", status=429, retry_after=7))
    with pytest.raises(openai.RateLimitError) as info:
        await client.chat.completions.create(model="limited", messages=[{"role": "user", "content": "hi"}])
    assert int(info.value.response.headers["retry-after"]) >= 1


async def test_every_deployment_failing_is_503(client: openai.AsyncOpenAI, stack: tuple[RunningEmulator, Path]) -> None:
    stack[0].app.faults.add(Fault(location="southamerica-east1", status=503))
    with pytest.raises(openai.APIStatusError) as info:
        await client.chat.completions.create(model="down", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 503
    assert info.value.response.json()["error"]["code"] == "no_deployment_available"


async def test_failover_to_the_healthy_region_is_visible_in_headers(
    client: openai.AsyncOpenAI, stack: tuple[RunningEmulator, Path]
) -> None:
    emulator = stack[0]
    emulator.app.faults.add(Fault(location="europe-west4", status=503))
    answered: list[tuple[str, str]] = []
    for _ in range(6):
        raw = await client.chat.completions.with_raw_response.create(
            model="gemini-flash", messages=[{"role": "user", "content": "hi"}]
        )
        assert raw.status_code == 200
        answered.append((raw.headers["x-router-deployment"], raw.headers["x-router-attempts"]))
    # Every answer came from the one healthy deployment; each request that tried the failing region first
    # says so with a second attempt.
    assert len({deployment for deployment, _ in answered}) == 1
    failed_first = sum(1 for r in emulator.app.requests if r.location == "europe-west4" and r.status == 503)
    assert sum(int(attempts) - 1 for _, attempts in answered) == failed_first


async def test_metrics_show_attempts_by_deployment(client: openai.AsyncOpenAI, proxy_url: str) -> None:
    await client.chat.completions.create(model="gemini-flash", messages=[{"role": "user", "content": "hi"}])
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{proxy_url}/metrics")).text
    assert "vertex_router_upstream_attempts_total{deployment=" in text
    assert 'vertex_router_tokens_total{model_group="gemini-flash",kind="prompt"}' in text
    assert 'vertex_router_requests_total{route="/chat/completions",status="200"} 1' in text


async def test_readiness_with_real_credentials(proxy_url: str) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{proxy_url}/health/readiness")
    assert response.status_code == 200
    assert response.json()["status"] == "healthy"


GEMINI_PATH = "v1/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.5-flash"
GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": "Hello from the native API"}]}]}


async def test_vertex_passthrough_with_the_proxy_key(proxy_url: str, stack: tuple[RunningEmulator, Path]) -> None:
    async with httpx.AsyncClient(base_url=proxy_url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        response = await http.post(f"/vertex-ai/{GEMINI_PATH}:generateContent", json=GEMINI_BODY)
        refused = await http.post(
            f"/vertex-ai/{GEMINI_PATH}:generateContent", json=GEMINI_BODY, headers={"Authorization": "Bearer x"}
        )
    assert response.status_code == 200
    assert response.json()["candidates"][0]["content"]["parts"][0]["text"]
    assert refused.status_code == 401
    # The emulator checks bearer tokens: the 200 means the Router's own token went upstream, not the proxy key;
    # and the project in the path is the configured account's, not the one the client wrote.
    upstream = stack[0].app.requests[-1]
    assert "/projects/emulator-project/" in upstream.path
    assert upstream.status == 200


async def test_vertex_passthrough_streams_sse(proxy_url: str) -> None:
    async with httpx.AsyncClient(base_url=proxy_url, headers={"x-api-key": KEY}) as http:
        response = await http.post(
            f"/vertex-ai/{GEMINI_PATH}:streamGenerateContent", params={"alt": "sse"}, json=GEMINI_BODY
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line for line in response.text.splitlines() if line.startswith("data: ")]
    assert len(events) >= 1


async def test_google_genai_sdk_pointed_at_the_proxy(proxy_url: str) -> None:
    from google import genai
    from google.genai import types
    from google.oauth2.credentials import Credentials

    # The proxy key rides as the OAuth token, the way LiteLLM users point Vertex SDKs at a proxy.
    client = genai.Client(
        vertexai=True,
        project="my-project",
        location="us-central1",
        credentials=Credentials(token=KEY),
        http_options=types.HttpOptions(base_url=f"{proxy_url}/vertex-ai/", api_version="v1"),
    )
    response = await client.aio.models.generate_content(model="gemini-2.5-flash", contents="Hello from genai")
    assert response.text
