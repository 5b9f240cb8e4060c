"""Claude on Vertex: request rules the golden files do not pin one by one, and SDK-shape checks of our bodies."""

from __future__ import annotations

import itertools
import typing
from typing import Any

import orjson
import pytest
from anthropic.types import ToolParam
from anthropic.types import message_create_params as mcp

from router.errors import (
    ContextWindowExceededError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    UnsupportedParamError,
)
from router.families import get_family
from router.families.anthropic import vertex_model_id
from router.families.anthropic_request import build_body, fit_max_tokens
from router.families.anthropic_response import ClaudeStreamParser
from router.families.base import CallContext, CallRequest, Target, UpstreamResponse

from .golden import GOLDEN, read

HI = [{"role": "user", "content": "hi"}]
# Vertex still accepts the sampling params for the models that take them; newer SDK TypedDicts omit them.
_SAMPLING = {"temperature", "top_p", "top_k"}
_VERTEX_ONLY = {"anthropic_version", "anthropic_beta"}


def target(model: str = "claude-3-7-sonnet@20250219", *, drop_params: bool = False) -> Target:
    return Target(
        family="anthropic",
        model=model,
        project="p1",
        location="us-east5",
        deployment_id="d1",
        publisher="anthropic",
        drop_params=drop_params,
    )


def body(params: dict[str, Any], model: str = "claude-3-7-sonnet@20250219", **kw: Any) -> dict[str, Any]:
    return build_body(CallRequest(kind="chat", params=params), target(model, **kw))


def claude_bodies() -> list[dict[str, Any]]:
    return [read(p)["body"] for p in sorted((GOLDEN / "anthropic").glob("*.vertex.json"))]


@pytest.mark.parametrize("sent", claude_bodies())
def test_claude_bodies_use_only_message_create_params_keys(sent: dict[str, Any]) -> None:
    allowed = set(typing.get_type_hints(mcp.MessageCreateParamsStreaming)) | _SAMPLING | _VERTEX_ONLY
    assert "model" not in sent  # the model is in the Vertex URL
    assert sent["anthropic_version"].startswith("vertex-")
    assert set(sent) <= allowed
    tool_keys = set(typing.get_type_hints(ToolParam))
    for tool in sent.get("tools", []):
        assert set(tool) <= tool_keys
    roles = [m["role"] for m in sent["messages"]]
    assert all(a != b for a, b in itertools.pairwise(roles)), "roles must alternate"


@pytest.mark.parametrize(
    ("name", "vertex"),
    [
        ("claude-3-7-sonnet-20250219", "claude-3-7-sonnet@20250219"),
        ("claude-3-7-sonnet@20250219", "claude-3-7-sonnet@20250219"),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5@20250929"),
        ("claude-opus-4-1", "claude-opus-4-1"),
    ],
)
def test_first_party_dated_names_become_vertex_ids(name: str, vertex: str) -> None:
    assert vertex_model_id(name) == vertex


@pytest.mark.parametrize(
    ("requested", "budget", "model", "expected"),
    [
        (None, None, "claude-3-haiku@20240307", (4096, None)),
        (None, None, "claude-3-5-sonnet-v2@20241022", (8192, None)),
        (None, None, "claude-future-9@20300101", (4096, None)),
        (None, 1024, "claude-3-7-sonnet@20250219", (64000, 1024)),
        (2000, 1024, "claude-3-7-sonnet@20250219", (2000, 1024)),
        (50, 4096, "claude-sonnet-4@20250514", (4146, 4096)),
        (30000, 31000, "claude-opus-4-1@20250805", (32000, 31000)),
        (None, 40000, "claude-opus-4-1@20250805", (32000, 27904)),
    ],
)
def test_max_tokens_default_and_thinking_budget_fit(
    requested: int | None, budget: int | None, model: str, expected: tuple[int, int | None]
) -> None:
    thinking = {"type": "enabled", "budget_tokens": budget} if budget else None
    total, fitted = fit_max_tokens(requested, thinking, model)
    assert (total, fitted["budget_tokens"] if fitted else None) == expected
    if fitted:
        assert fitted["budget_tokens"] < total


def test_reasoning_effort_on_a_model_without_thinking_is_rejected_or_dropped() -> None:
    with pytest.raises(UnsupportedParamError):
        body({"messages": HI, "reasoning_effort": "low"}, "claude-3-haiku@20240307")
    sent = body({"messages": HI, "reasoning_effort": "low"}, "claude-3-haiku@20240307", drop_params=True)
    assert "thinking" not in sent


def test_thinking_with_non_default_temperature_is_rejected_or_dropped() -> None:
    params = {"messages": HI, "thinking": {"type": "enabled", "budget_tokens": 2048}, "temperature": 0.2}
    with pytest.raises(UnsupportedParamError, match="temperature"):
        body(params)
    sent = body(params, drop_params=True)
    assert "temperature" not in sent
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048}


def test_reasoning_effort_none_sends_no_thinking_and_unknown_effort_is_an_error() -> None:
    assert "thinking" not in body({"messages": HI, "reasoning_effort": "none"})
    with pytest.raises(InvalidRequestError):
        body({"messages": HI, "reasoning_effort": "extreme"})


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ("auto", None, {"type": "auto"}),
        ("none", None, {"type": "none"}),
        ("required", None, {"type": "any"}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
    ],
)
def test_tool_choice_mapping(choice: Any, parallel: Any, expected: dict[str, Any]) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    sent = body({"messages": HI, "tools": tools, "tool_choice": choice, "parallel_tool_calls": parallel})
    assert sent["tool_choice"] == expected


def test_json_schema_with_thinking_offers_the_tool_without_forcing_it() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    sent = body({"messages": HI, "response_format": fmt, "reasoning_effort": "low"})
    assert [t["name"] for t in sent["tools"]] == ["json_tool_call"]
    assert "tool_choice" not in sent
    assert "json_tool_call" in sent["system"][-1]["text"]


def test_gcs_media_is_refused_with_a_clear_error() -> None:
    content = [{"type": "image_url", "image_url": {"url": "gs://bucket/cat.png"}}]
    with pytest.raises(InvalidRequestError, match="data: URLs or http"):
        body({"messages": [{"role": "user", "content": content}]})


def test_message_level_cache_control_lands_on_the_last_block() -> None:
    messages = [{"role": "user", "content": "long document", "cache_control": {"type": "ephemeral"}}]
    sent = body({"messages": messages})
    assert sent["messages"][0]["content"] == [
        {"type": "text", "text": "long document", "cache_control": {"type": "ephemeral"}}
    ]


def test_stream_is_done_only_after_message_stop() -> None:
    request = CallRequest(kind="chat", params={"messages": HI}, stream=True)
    parser = ClaudeStreamParser(request, target())
    parser.feed(orjson.dumps({"type": "message_start", "message": {"id": "msg_1", "usage": {}}}).decode())
    parser.feed('{"type": "ping"}')
    parser.feed(orjson.dumps({"type": "message_delta", "delta": {"stop_reason": "end_turn"}}).decode())
    assert parser.done is False
    parser.feed('{"type": "message_stop"}')
    assert parser.done is True
    assert parser.finish() == []  # no usage chunk unless stream_options.include_usage


@pytest.mark.parametrize(
    ("status", "payload", "cls"),
    [
        (
            529,
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            ServiceUnavailableError,
        ),
        (
            400,
            {"type": "error", "error": {"type": "request_too_large", "message": "too big"}},
            ContextWindowExceededError,
        ),
        (500, {"error": {"code": 429, "message": "Resource exhausted", "status": "UNKNOWN"}}, RateLimitError),
        (
            400,
            {"error": {"code": 400, "message": "prompt is too long: 1 > 0", "status": "INVALID_ARGUMENT"}},
            ContextWindowExceededError,
        ),
    ],
)
def test_claude_error_classification(status: int, payload: dict[str, Any], cls: type[Exception]) -> None:
    response = UpstreamResponse(status=status, headers={}, body=orjson.dumps(payload))
    error = get_family("anthropic").classify_error(response, target())
    assert type(error) is cls
    assert error.deployment_id == "d1"


async def test_prepare_inlines_remote_media_without_touching_the_callers_messages() -> None:
    fetched: list[str] = []

    async def fetch(url: str) -> tuple[bytes, str]:
        fetched.append(url)
        return (b"%PDF-1.4", "application/octet-stream") if url.endswith(".pdf") else (b"\x89PNG", "image/png")

    async def send(prepared: Any) -> Any:
        raise AssertionError("no side request expected")

    content = [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat"}},
        {"type": "file", "file": {"file_id": "https://example.com/a.pdf"}},
        {"type": "image_url", "image_url": "data:image/gif;base64,R0lG"},
    ]
    messages = [{"role": "user", "content": content}]
    request = CallRequest(kind="chat", params={"messages": messages})
    ctx = CallContext(send=send, fetch_url=fetch, state={}, now=lambda: 0.0)
    prepared = await get_family("anthropic").prepare(request, target(), ctx)
    sent = build_body(prepared, target())["messages"][0]["content"]
    assert fetched == ["https://example.com/cat", "https://example.com/a.pdf"]
    assert sent[0] == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw=="}}
    assert sent[1]["type"] == "document"
    assert sent[1]["source"]["media_type"] == "application/pdf"  # from the .pdf extension
    assert sent[2]["source"]["media_type"] == "image/gif"
    assert messages[0]["content"][0]["image_url"]["url"] == "https://example.com/cat"


def test_server_tool_input_is_not_streamed_as_a_client_tool_call() -> None:
    request = CallRequest(kind="chat", params={"messages": HI}, stream=True)
    parser = ClaudeStreamParser(request, target())
    events = [
        {"type": "message_start", "message": {"id": "msg_1", "usage": {}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "server_tool_use", "id": "srv_1"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{}"}},
    ]
    chunks = [c for e in events for c in parser.feed(orjson.dumps(e).decode())]
    assert all(not c.choices[0].delta.tool_calls for c in chunks)


def test_image_jpg_alias_is_sent_as_image_jpeg() -> None:
    content = [{"type": "image_url", "image_url": {"url": "data:image/jpg;base64,/9j/"}}]
    sent = body({"messages": [{"role": "user", "content": content}]})
    assert sent["messages"][0]["content"][0]["source"]["media_type"] == "image/jpeg"
