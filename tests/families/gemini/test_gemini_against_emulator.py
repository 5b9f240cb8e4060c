"""Every golden request, sent to the local Vertex emulator: accepted, and its answer parses to OpenAI objects."""

from __future__ import annotations

from urllib.parse import urlsplit

import orjson
import pytest
from gemini_golden import FAMILY, UpstreamResponse, cases, load, request_for, target_for

from router.errors import NotFoundError, RouterError
from router.families.base import CallContext, CallRequest, PreparedRequest
from router.types import ChatCompletion, ChatCompletionChunk
from tests.emulator_helpers import InProcessEmulator, sse_data

# Cases whose request is right but names something the fresh emulator does not have.
EXPECTED_ERRORS = {"labels_and_cached_content_passthrough": NotFoundError}


def _buildable() -> list[str]:
    names = []
    for name in cases():
        call = load(name, "openai")
        try:
            FAMILY.build_request(request_for(call), target_for(call))
        except RouterError:
            continue
        names.append(name)
    return names


@pytest.mark.parametrize("name", _buildable())
async def test_emulator_accepts_request_and_answer_parses(name: str, emulator: InProcessEmulator) -> None:
    call = load(name, "openai")
    request, target = request_for(call), target_for(call)
    prepared = FAMILY.build_request(request, target)
    parts = urlsplit(prepared.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if target.api_base:  # the emulator serves Vertex paths under /v1
        path = path.replace("/v1beta1/", "/v1/")
    response = await emulator.client.post(path, content=prepared.body, headers=prepared.headers)
    if name in EXPECTED_ERRORS:
        upstream = UpstreamResponse(response.status_code, dict(response.headers), response.content)
        assert isinstance(FAMILY.classify_error(upstream, target), EXPECTED_ERRORS[name])
        return
    assert response.status_code == 200, response.text
    if request.stream:
        parser = FAMILY.stream_parser(request, target)
        chunks = [c for data in sse_data(response.text) for c in parser.feed(data)] + list(parser.finish())
        assert chunks and all(isinstance(c, ChatCompletionChunk) for c in chunks)
        assert parser.done
        assert chunks[0].choices[0].delta.role == "assistant"
    else:
        result = FAMILY.parse_response(UpstreamResponse(200, dict(response.headers), response.content), request, target)
        assert isinstance(result, ChatCompletion)
        assert result.choices and result.usage is not None
        orjson.dumps(result.model_dump())


async def test_context_cache_created_on_emulator_then_used_by_generate(emulator: InProcessEmulator) -> None:
    target = target_for({"model": "vertex_ai/gemini-2.5-flash"})
    creates: list[str] = []

    async def send(prepared: PreparedRequest) -> UpstreamResponse:
        creates.append(prepared.url)
        path = urlsplit(prepared.url).path
        response = await emulator.client.post(path, content=prepared.body, headers=prepared.headers)
        return UpstreamResponse(response.status_code, dict(response.headers), response.content)

    async def no_fetch(url: str) -> tuple[bytes, str]:
        raise AssertionError(f"nothing to fetch: {url}")

    ctx = CallContext(send=send, fetch_url=no_fetch, state={}, now=lambda: 1000.0)
    long_text = "clause " * 3000
    for question in ("Summarize.", "List the parties."):
        messages = [
            {"role": "system", "content": "You are a lawyer."},
            {"role": "user", "content": [{"type": "text", "text": long_text, "cache_control": {"type": "ephemeral"}}]},
            {"role": "user", "content": question},
        ]
        request = await FAMILY.prepare(CallRequest("chat", {"messages": messages}), target, ctx)
        assert request.params["cached_content"].startswith(
            "projects/test-project/locations/us-central1/cachedContents/"
        )
        prepared = FAMILY.build_request(request, target)
        response = await emulator.client.post(urlsplit(prepared.url).path, content=prepared.body)
        assert response.status_code == 200, response.text
        result = FAMILY.parse_response(UpstreamResponse(200, {}, response.content), request, target)
        assert result.usage is not None
        assert result.usage.prompt_tokens_details is not None
        assert result.usage.prompt_tokens_details.cached_tokens > 0
    assert len(creates) == 1
