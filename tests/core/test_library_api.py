"""The library API end to end: Router → google-auth token from the emulator → Vertex routes on a real socket."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import router
from router import ChatStream, InvalidRequestError, Router, UnknownModelError
from router.types import ChatCompletion, ChatCompletionChunk, TextCompletion
from tests.core.conftest import Stack

HELLO = [{"role": "user", "content": "hello there"}]


async def test_acompletion_returns_typed_openai_object(stack: Stack) -> None:
    r = stack.router([stack.deployment("flash", "vertex_ai/gemini-2.5-flash")])
    response = await r.acompletion(model="flash", messages=HELLO)
    await r.aclose()

    assert isinstance(response, ChatCompletion)
    assert response.choices[0].message.content == "Echo: hello there"
    assert response.model_dump()["choices"][0]["message"]["role"] == "assistant"
    assert response.usage is not None and response.usage.total_tokens > 0
    assert response._hidden_params["model_group"] == "flash"
    assert response._hidden_params["attempts"] == 1
    sent = stack.requests(location="us-central1")
    assert [r.path.rsplit(":", 1)[1] for r in sent] == ["generateContent"]


async def test_stream_yields_chunks_with_role_first_and_usage_when_asked(stack: Stack) -> None:
    r = stack.router([stack.deployment("flash", "vertex_ai/gemini-2.5-flash")])
    stream = await r.acompletion(model="flash", messages=HELLO, stream=True, stream_options={"include_usage": True})
    assert isinstance(stream, ChatStream)
    assert stream.hidden_params["deployment_id"]
    chunks = [chunk async for chunk in stream]
    await r.aclose()

    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: hello there"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_sync_completion_outside_a_loop(stack: Stack) -> None:
    r = stack.router([stack.deployment("claude", "vertex_ai/claude-3-7-sonnet@20250219", "us-east5")])
    try:
        response = r.completion(model="claude", messages=HELLO)
        chunks = list(r.completion(model="claude", messages=HELLO, stream=True))
    finally:
        r.close()
    assert response.choices[0].message.content == "Echo: hello there"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Echo: hello there"


async def test_sync_completion_inside_a_running_loop_as_in_jupyter(stack: Stack) -> None:
    r = stack.router([stack.deployment("flash", "vertex_ai/gemini-2.5-flash")])
    asyncio.get_running_loop()  # a loop is running here, as in a notebook cell
    try:
        response = r.completion(model="flash", messages=HELLO)
    finally:
        r.close()
    assert response.choices[0].message.content == "Echo: hello there"


def test_module_level_completion_without_a_config(stack: Stack) -> None:
    response = router.completion(
        model="vertex_ai/gemini-2.5-flash",
        messages=HELLO,
        vertex_project="emulator-project",
        vertex_location="europe-west4",
        vertex_credentials=str(stack.credentials),
        api_base=stack.emulator.url,
    )
    assert response.choices[0].message.content == "Echo: hello there"
    assert len(stack.requests(location="europe-west4")) == 1


def test_module_level_stream_closes_its_router_when_exhausted(stack: Stack) -> None:
    chunks = list(
        router.completion(
            model="vertex_ai/gemini-2.5-flash",
            messages=HELLO,
            stream=True,
            vertex_project="emulator-project",
            vertex_location="us-central1",
            vertex_credentials=str(stack.credentials),
            api_base=stack.emulator.url,
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Echo: hello there"


async def test_text_completion_on_a_chat_model_answers_in_text_completion_shape(stack: Stack) -> None:
    r = stack.router([stack.deployment("flash", "vertex_ai/gemini-2.5-flash")])
    response = await r.atext_completion(model="flash", prompt="write a haiku")
    stream = await r.atext_completion(model="flash", prompt="write a haiku", stream=True)
    chunks = [c async for c in stream]
    await r.aclose()
    assert isinstance(response, TextCompletion)
    assert response.choices[0].text == "Echo: write a haiku"
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "Echo: write a haiku"


async def test_unknown_model_names_the_known_groups(stack: Stack) -> None:
    r = stack.router([stack.deployment("flash", "vertex_ai/gemini-2.5-flash")])
    with pytest.raises(UnknownModelError, match="flash"):
        await r.acompletion(model="gpt-4", messages=HELLO)
    assert stack.requests(location="us-central1") == []


@pytest.mark.parametrize("key", ["vertex_project", "vertex_credentials", "api_base"])
async def test_per_call_identity_params_are_refused_on_a_configured_router(stack: Stack, key: str) -> None:
    r = Router.from_dict({"model_list": [stack.deployment("flash", "vertex_ai/gemini-2.5-flash")]})
    extra: dict[str, Any] = {key: "elsewhere"}
    with pytest.raises(InvalidRequestError) as err:
        await r.acompletion(model="flash", messages=HELLO, **extra)
    assert err.value.param == key
    assert stack.requests(location="us-central1") == []


async def test_deployment_defaults_apply_under_the_callers_params(stack: Stack) -> None:
    r = stack.router([stack.deployment("flash", "vertex_ai/gemini-2.5-flash", temperature=0.1, max_tokens=50)])
    await r.acompletion(model="flash", messages=HELLO, temperature=0.7)
    await r.aclose()
    body = stack.requests(location="us-central1")[0].body
    assert body["generationConfig"]["temperature"] == 0.7
    assert body["generationConfig"]["maxOutputTokens"] == 50


async def test_embeddings_through_the_router(stack: Stack) -> None:
    r = stack.router([stack.deployment("emb", "vertex_ai/text-embedding-005")])
    response = await r.aembedding(model="emb", input=["a", "b", "c"], dimensions=8)
    await r.aclose()
    assert [d.index for d in response.data] == [0, 1, 2]
    assert all(len(d.embedding) == 8 for d in response.data)


async def test_embedding_call_to_a_chat_group_is_a_clear_400(stack: Stack) -> None:
    r = stack.router([stack.deployment("flash", "vertex_ai/gemini-2.5-flash")])
    with pytest.raises(InvalidRequestError, match="does not serve embedding"):
        await r.aembedding(model="flash", input="x")
    await r.aclose()


async def test_stream_none_means_not_streaming(stack: Stack) -> None:
    """OpenAI clients send ``"stream": null``; it must not reach the routing engine as a stream flag."""
    r = stack.router([stack.deployment("flash", "vertex_ai/gemini-2.5-flash")])
    response = await r.acompletion(model="flash", messages=HELLO, stream=None)
    await r.aclose()
    assert isinstance(response, ChatCompletion)


async def test_a_router_closed_on_its_loop_serves_again_with_fresh_connections(stack: Stack) -> None:
    """aclose() closes this loop's client: the next call must not reuse the closed one it had remembered."""
    r = stack.router([stack.deployment("flash", "vertex_ai/gemini-2.5-flash")])
    first = await r.acompletion(model="flash", messages=HELLO)
    closed_client = r._resources().client
    await r.aclose()
    second = await r.acompletion(model="flash", messages=HELLO)
    fresh_client = r._resources().client
    await r.aclose()

    assert first.choices[0].message.content == second.choices[0].message.content == "Echo: hello there"
    assert fresh_client is not closed_client
    assert len(stack.requests(location="us-central1")) == 2
