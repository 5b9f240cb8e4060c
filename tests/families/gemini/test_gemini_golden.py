"""Every golden case: OpenAI call → exact Vertex request (valid per the discovery document) → exact OpenAI result."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from gemini_golden import (
    FAMILY,
    UPDATE,
    UpstreamResponse,
    cases,
    error_cases,
    exists,
    load,
    parse,
    raised,
    request_for,
    save,
    target_for,
)

from router.errors import RouterError
from tests.vertex_schema import assert_valid_vertex_body

CASES = cases()


def _build(call: dict[str, Any]) -> dict[str, Any]:
    try:
        prepared = FAMILY.build_request(request_for(call), target_for(call))
    except RouterError as exc:
        return raised(exc)
    assert prepared.method == "POST"
    assert prepared.body is not None
    return {"url": prepared.url, "body": orjson.loads(prepared.body)}


@pytest.mark.parametrize("name", CASES)
def test_request_matches_golden_vertex_body(name: str) -> None:
    call = load(name, "openai")
    built = _build(call)
    if UPDATE:
        save(name, "vertex", built)
    assert built == load(name, "vertex")


@pytest.mark.parametrize("name", CASES)
def test_request_body_is_valid_per_discovery_document(name: str) -> None:
    built = _build(load(name, "openai"))
    if "body" in built:
        assert_valid_vertex_body(built["body"], "GenerateContentRequest", camel_only=True)


@pytest.mark.parametrize("name", [n for n in CASES if exists(n, "response")])
def test_response_maps_to_golden_openai_output(name: str) -> None:
    output = parse(name, load(name, "openai"))
    if UPDATE:
        save(name, "out", output)
    assert output == load(name, "out")


@pytest.mark.parametrize("name", error_cases())
def test_error_body_maps_to_golden_error_class(name: str) -> None:
    spec = load(name, "error")
    call = {"model": spec.get("model", "vertex_ai/gemini-2.5-flash")}
    target = target_for(call)
    if spec.get("in_stream"):
        parser = FAMILY.stream_parser(request_for({**call, "stream": True}), target)
        with pytest.raises(RouterError) as info:
            parser.feed(orjson.dumps(spec["body"]).decode())
        error: RouterError = info.value
    else:
        raw = spec["raw_body"].encode() if "raw_body" in spec else orjson.dumps(spec["body"])
        response = UpstreamResponse(spec["status"], spec.get("headers", {}), raw)
        error = FAMILY.classify_error(response, target)
    output = raised(error)
    if UPDATE:
        save(name, "out", output)
    assert output == load(name, "out")


def test_golden_set_covers_the_user_guide_examples() -> None:
    required = {
        "guide_system_message",
        "guide_tools_required",
        "guide_response_schema",
        "guide_response_schema_enforced_valid",
        "guide_response_schema_enforced_invalid",
        "guide_google_search_grounding",
        "guide_reasoning_effort_low",
        "guide_thinking_param",
        "guide_image_gs",
        "guide_image_https",
        "guide_image_base64",
        "guide_pdf_gs",
        "guide_pdf_base64",
        "guide_safety_settings",
        "guide_finetuned_endpoint",
        "guide_stream_tool_calls",
    }
    assert required <= set(CASES)
