"""prepare(): context caching through cachedContents, and inlining media URLs whose type cannot be told."""

from __future__ import annotations

import asyncio
from typing import Any

import gemini_golden  # noqa: F401
import orjson
from structlog.testing import capture_logs

from router.errors import APIConnectionError
from router.families.base import CallContext, CallRequest, PreparedRequest, Target, UpstreamResponse
from router.families.gemini import FAMILY
from tests.vertex_schema import assert_valid_vertex_body

TARGET = Target(family="gemini", model="gemini-2.5-flash", project="p1", location="us-central1", deployment_id="d1")
TOOL = {
    "type": "function",
    "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}},
}


class FakeUpstream:
    """Records side calls; answers cachedContents creation like Vertex does."""

    def __init__(self, status: int = 200) -> None:
        self.sent: list[PreparedRequest] = []
        self.fetched: list[str] = []
        self.status = status
        self.clock = 1000.0
        self.state: dict[str, Any] = {}

    async def send(self, prepared: PreparedRequest) -> UpstreamResponse:
        self.sent.append(prepared)
        if self.status >= 400:
            return UpstreamResponse(self.status, {}, b'{"error": {"code": 400, "message": "too small"}}')
        name = f"projects/p1/locations/us-central1/cachedContents/c{len(self.sent)}"
        return UpstreamResponse(200, {}, orjson.dumps({"name": name}))

    async def fetch(self, url: str) -> tuple[bytes, str]:
        self.fetched.append(url)
        return b"\x89PNG", "image/png; charset=binary"

    def ctx(self) -> CallContext:
        return CallContext(send=self.send, fetch_url=self.fetch, state=self.state, now=lambda: self.clock)


def _cached_call(question: str = "What does the contract say?", ttl: str | None = None) -> CallRequest:
    control: dict[str, Any] = {"type": "ephemeral"}
    if ttl:
        control["ttl"] = ttl
    messages = [
        {"role": "system", "content": "You are a lawyer."},
        {"role": "user", "content": [{"type": "text", "text": "<long contract>", "cache_control": control}]},
        {"role": "user", "content": question},
    ]
    return CallRequest("chat", {"messages": messages, "tools": [TOOL], "tool_choice": "auto", "temperature": 0.1})


async def test_cache_is_created_once_and_reused_without_a_list_call() -> None:
    up = FakeUpstream()
    first = await FAMILY.prepare(_cached_call(), TARGET, up.ctx())
    second = await FAMILY.prepare(_cached_call("And the penalties?"), TARGET, up.ctx())
    assert len(up.sent) == 1
    create = up.sent[0]
    assert (
        create.url
        == "https://us-central1-aiplatform.googleapis.com/v1/projects/p1/locations/us-central1/cachedContents"
    )
    body = orjson.loads(create.body or b"")
    assert_valid_vertex_body(body, "CachedContent", camel_only=True)
    assert body["model"] == "projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-flash"
    assert body["ttl"] == "3600s"
    assert body["systemInstruction"] == {"parts": [{"text": "You are a lawyer."}]}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "<long contract>"}]}]
    assert body["tools"][0]["functionDeclarations"][0]["name"] == "f"
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert (
        first.params["cached_content"]
        == second.params["cached_content"]
        == "projects/p1/locations/us-central1/cachedContents/c1"
    )
    final = orjson.loads(FAMILY.build_request(second, TARGET).body or b"")
    assert final == {
        "contents": [{"role": "user", "parts": [{"text": "And the penalties?"}]}],
        "generationConfig": {"temperature": 0.1},
        "cachedContent": "projects/p1/locations/us-central1/cachedContents/c1",
    }
    assert_valid_vertex_body(final, "GenerateContentRequest", camel_only=True)


async def test_cache_is_recreated_after_its_ttl() -> None:
    up = FakeUpstream()
    await FAMILY.prepare(_cached_call(ttl="5m"), TARGET, up.ctx())
    assert orjson.loads(up.sent[0].body or b"")["ttl"] == "300s"
    up.clock += 200  # still fresh
    await FAMILY.prepare(_cached_call(ttl="5m"), TARGET, up.ctx())
    assert len(up.sent) == 1
    up.clock += 60  # inside the safety margin before expiry
    again = await FAMILY.prepare(_cached_call(ttl="5m"), TARGET, up.ctx())
    assert len(up.sent) == 2
    assert again.params["cached_content"].endswith("/c2")


async def test_different_prefix_or_deployment_location_gets_its_own_cache() -> None:
    up = FakeUpstream()
    await FAMILY.prepare(_cached_call(), TARGET, up.ctx())
    other = Target(family="gemini", model="gemini-2.5-flash", project="p1", location="europe-west4", deployment_id="d2")
    await FAMILY.prepare(_cached_call(), other, up.ctx())
    assert len(up.sent) == 2
    assert "europe-west4-aiplatform.googleapis.com" in up.sent[1].url


async def test_failed_create_sends_uncached_and_is_not_retried_every_request() -> None:
    up = FakeUpstream(status=400)
    with capture_logs() as logs:
        out = await FAMILY.prepare(_cached_call(), TARGET, up.ctx())
        await FAMILY.prepare(_cached_call(), TARGET, up.ctx())
    assert len(up.sent) == 1
    assert "cached_content" not in out.params
    assert out.params["tools"] == [TOOL]
    assert any(e["event"] == "context_cache_create_failed" for e in logs)


async def test_no_cache_control_means_no_side_call_and_same_request() -> None:
    up = FakeUpstream()
    request = CallRequest("chat", {"messages": [{"role": "user", "content": "hi"}]})
    assert await FAMILY.prepare(request, TARGET, up.ctx()) is request
    assert up.sent == [] and up.fetched == []


async def test_endpoint_targets_are_not_cached() -> None:
    up = FakeUpstream()
    endpoint = Target(
        family="gemini", model="123", project="p1", location="us-central1", deployment_id="d", endpoint_id="123"
    )
    out = await FAMILY.prepare(_cached_call(), endpoint, up.ctx())
    assert up.sent == [] and "cached_content" not in out.params


async def test_url_without_known_type_is_fetched_and_inlined_others_stay_by_reference() -> None:
    up = FakeUpstream()
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "https://example.com/render?id=7"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/photo.jpg"}},
                {"type": "file", "file": {"file_id": "https://example.com/doc", "format": "application/pdf"}},
            ],
        }
    ]
    request = CallRequest("chat", {"messages": messages})
    out = await FAMILY.prepare(request, TARGET, up.ctx())
    assert up.fetched == ["https://example.com/render?id=7"]
    assert messages[0]["content"][0]["image_url"]["url"] == "https://example.com/render?id=7"  # caller's list untouched
    parts = orjson.loads(FAMILY.build_request(out, TARGET).body or b"")["contents"][0]["parts"]
    assert parts == [
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw=="}},
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/photo.jpg"}},
        {"fileData": {"mimeType": "application/pdf", "fileUri": "https://example.com/doc"}},
    ]


async def test_concurrent_requests_for_one_prefix_share_one_create_call() -> None:
    up = FakeUpstream()
    gate = asyncio.Event()
    plain_send = up.send

    async def slow_send(prepared: PreparedRequest) -> UpstreamResponse:
        await gate.wait()
        return await plain_send(prepared)

    ctx = CallContext(send=slow_send, fetch_url=up.fetch, state=up.state, now=lambda: up.clock)
    tasks = [asyncio.ensure_future(FAMILY.prepare(_cached_call(f"q{i}"), TARGET, ctx)) for i in range(5)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks)
    assert len(up.sent) == 1
    assert {r.params["cached_content"] for r in results} == {"projects/p1/locations/us-central1/cachedContents/c1"}


async def test_create_call_that_cannot_connect_sends_uncached() -> None:
    up = FakeUpstream()

    async def refused(prepared: PreparedRequest) -> UpstreamResponse:
        raise APIConnectionError("refused")

    ctx = CallContext(send=refused, fetch_url=up.fetch, state=up.state, now=lambda: up.clock)
    out = await FAMILY.prepare(_cached_call(), TARGET, ctx)
    assert "cached_content" not in out.params
    assert [m["role"] for m in out.params["messages"]] == ["system", "user", "user"]
