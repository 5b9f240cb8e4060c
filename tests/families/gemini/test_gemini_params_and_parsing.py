"""Params policy, model traits, response ids, streaming details and the 200-stream error helper."""

from __future__ import annotations

from typing import Any

import gemini_golden  # noqa: F401
import orjson
import pytest
from structlog.testing import capture_logs

from router.errors import InternalServerError, InvalidRequestError, RateLimitError, UnsupportedParamError
from router.families import get_family
from router.families.base import CallRequest, Target, UpstreamResponse
from router.families.gemini import FAMILY
from router.families.gemini_models import traits_for

FLASH = Target(family="gemini", model="gemini-2.5-flash", project="p", location="us-central1", deployment_id="d")


def _body(params: dict[str, Any], target: Target = FLASH) -> dict[str, Any]:
    prepared = FAMILY.build_request(
        CallRequest("chat", {"messages": [{"role": "user", "content": "q"}], **params}), target
    )
    return orjson.loads(prepared.body or b"")


def test_family_is_found_by_name_and_serves_chat() -> None:
    family = get_family("gemini")
    assert family is FAMILY
    assert family.name == "gemini" and family.kinds == frozenset({"chat"})


def test_supported_params_depend_on_thinking_support() -> None:
    assert "reasoning_effort" in FAMILY.supported_params(FLASH)
    old = Target(family="gemini", model="gemini-1.5-pro", project="p", location="us-central1", deployment_id="d")
    assert "reasoning_effort" not in FAMILY.supported_params(old)
    assert "temperature" in FAMILY.supported_params(old)


def test_unsupported_param_names_itself() -> None:
    with pytest.raises(UnsupportedParamError) as info:
        _body({"logit_bias": {"5": 1}})
    assert info.value.param == "logit_bias"
    assert info.value.status_code == 400


def test_dropped_param_is_logged_by_name() -> None:
    dropping = Target(**{**{f: getattr(FLASH, f) for f in FLASH.__slots__}, "drop_params": True})
    with capture_logs() as logs:
        body = _body({"logit_bias": {"5": 1}, "temperature": 0.3}, dropping)
    assert body["generationConfig"] == {"temperature": 0.3}
    assert {"event": "param_dropped", "param": "logit_bias"}.items() <= logs[0].items()


def test_extra_body_fields_pass_through_and_explicit_params_win() -> None:
    body = _body({"temperature": 0.1, "extra_body": {"temperature": 0.9, "labels": {"team": "x"}}})
    assert body["generationConfig"] == {"temperature": 0.1}
    assert body["labels"] == {"team": "x"}


def test_thinking_disabled_on_gemini3_flash_goes_minimal_without_thoughts() -> None:
    g3 = Target(family="gemini", model="gemini-3-flash-preview", project="p", location="global", deployment_id="d")
    body = _body({"thinking": {"type": "disabled"}}, g3)
    assert body["generationConfig"]["thinkingConfig"] == {"includeThoughts": False, "thinkingLevel": "MINIMAL"}


def test_unknown_reasoning_effort_and_tool_choice_are_invalid() -> None:
    with pytest.raises(InvalidRequestError, match="reasoning_effort"):
        _body({"reasoning_effort": "extreme"})
    with pytest.raises(InvalidRequestError, match="tool_choice"):
        _body({"tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "sometimes"})


def test_unknown_builtin_tool_is_refused_not_dropped() -> None:
    with pytest.raises(InvalidRequestError, match="unknown tool"):
        _body({"tools": [{"fileSearch": {}}]})


def test_tool_result_without_matching_call_is_refused() -> None:
    messages = [{"role": "user", "content": "q"}, {"role": "tool", "tool_call_id": "nope", "content": "x"}]
    with pytest.raises(InvalidRequestError, match="answers no earlier"):
        FAMILY.build_request(CallRequest("chat", {"messages": messages}), FLASH)


def test_url_without_type_is_refused_when_not_prepared() -> None:
    content = [{"type": "image_url", "image_url": {"url": "gs://bucket/object"}}]
    with pytest.raises(InvalidRequestError, match="format"):
        FAMILY.build_request(CallRequest("chat", {"messages": [{"role": "user", "content": content}]}), FLASH)


@pytest.mark.parametrize(
    ("model", "system", "schema", "levels", "off"),
    [
        ("gemini-pro", False, False, False, False),
        ("gemini-1.0-pro-002", True, False, False, False),
        ("gemini-1.5-flash", True, True, False, False),
        ("gemini-2.5-pro", True, True, False, False),
        ("gemini-2.5-flash-lite", True, True, False, True),
        ("gemini-3-pro-preview", True, True, True, False),
    ],
)
def test_model_traits(model: str, system: bool, schema: bool, levels: bool, off: bool) -> None:
    traits = traits_for(model)
    assert (traits.system_instruction, traits.response_schema, traits.thinking_levels, traits.can_disable_thinking) == (
        system,
        schema,
        levels,
        off,
    )


def test_parallel_tool_calls_get_unique_ids() -> None:
    call = {"functionCall": {"name": "f", "args": {"i": 1}}}
    payload = {"candidates": [{"content": {"parts": [call, call, call]}, "finishReason": "STOP"}]}
    response = FAMILY.parse_response(UpstreamResponse(200, {}, orjson.dumps(payload)), CallRequest("chat", {}), FLASH)
    ids = [tc.id for tc in response.choices[0].message.tool_calls or []]
    assert len(set(ids)) == 3 and all(i.startswith("call_") for i in ids)
    assert response.choices[0].finish_reason == "tool_calls"


def test_response_model_names_the_deployment_model_that_answered_not_the_group() -> None:
    named = Target(**{**{f: getattr(FLASH, f) for f in FLASH.__slots__}, "model_name": "my-group"})
    payload = {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": "STOP"}], "modelVersion": "v"}
    response = FAMILY.parse_response(UpstreamResponse(200, {}, orjson.dumps(payload)), CallRequest("chat", {}), named)
    assert response.model == FLASH.model
    assert response["choices"][0].message.content == "x"


def test_stream_sends_role_only_once_per_choice_and_one_chunk_per_event() -> None:
    parser = FAMILY.stream_parser(CallRequest("chat", {}, stream=True), FLASH)
    events = [{"candidates": [{"content": {"parts": [{"text": t}]}}]} for t in ("a", "b", "c")]
    chunks = [parser.feed(orjson.dumps(e).decode()) for e in events]
    assert [len(c) for c in chunks] == [1, 1, 1]
    assert [c[0].choices[0].delta.role for c in chunks] == ["assistant", None, None]
    assert not parser.done
    assert parser.finish() == []


def test_error_inside_200_stream_is_detected_by_the_helper_and_raised_by_the_parser() -> None:
    event = orjson.dumps({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "slow down"}}).decode()
    assert isinstance(FAMILY.error_from_event(event, FLASH), RateLimitError)
    assert FAMILY.error_from_event('{"candidates": []}', FLASH) is None
    parser = FAMILY.stream_parser(CallRequest("chat", {}, stream=True), FLASH)
    with pytest.raises(RateLimitError):
        parser.feed(event)


def test_per_call_drop_params_drops_and_is_not_sent() -> None:
    body = _body({"logit_bias": {"5": 1}, "drop_params": True})
    assert body == {"contents": [{"role": "user", "parts": [{"text": "q"}]}]}


def test_pydantic_class_as_response_format_becomes_a_schema() -> None:
    from pydantic import BaseModel

    class Recipe(BaseModel):
        recipe_name: str

    config = _body({"response_format": Recipe})["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["properties"] == {"recipe_name": {"type": "STRING", "title": "Recipe Name"}}


def test_answer_sent_back_replays_thoughts_and_call_signatures() -> None:
    answer = {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"text": "plan", "thought": True, "thoughtSignature": "c2lnLWE="},
                        {"functionCall": {"name": "f", "args": {"x": 1}}, "thoughtSignature": "c2lnLWI="},
                    ]
                },
                "finishReason": "STOP",
            }
        ]
    }
    parsed = FAMILY.parse_response(UpstreamResponse(200, {}, orjson.dumps(answer)), CallRequest("chat", {}), FLASH)
    message = parsed.choices[0].message.model_dump()
    call_id = message["tool_calls"][0]["id"]
    history = [
        {"role": "user", "content": "q"},
        message,
        {"role": "tool", "tool_call_id": call_id, "content": "ok"},
    ]
    body = orjson.loads(FAMILY.build_request(CallRequest("chat", {"messages": history}), FLASH).body or b"")
    assert body["contents"][1] == {
        "role": "model",
        "parts": [
            {"text": "plan", "thought": True, "thoughtSignature": "c2lnLWE="},
            {"functionCall": {"name": "f", "args": {"x": 1}}, "thoughtSignature": "c2lnLWI="},
        ],
    }
    assert body["contents"][2]["parts"][0]["functionResponse"]["name"] == "f"


def test_non_json_answers_are_upstream_errors_not_crashes() -> None:
    with pytest.raises(InternalServerError):
        FAMILY.parse_response(UpstreamResponse(200, {}, b"<html>oops</html>"), CallRequest("chat", {}), FLASH)
    parser = FAMILY.stream_parser(CallRequest("chat", {}, stream=True), FLASH)
    with pytest.raises(InternalServerError):
        parser.feed("{not json")


def test_answer_without_candidates_still_has_one_choice() -> None:
    payload = {"usageMetadata": {"promptTokenCount": 2, "totalTokenCount": 2}}
    parsed = FAMILY.parse_response(UpstreamResponse(200, {}, orjson.dumps(payload)), CallRequest("chat", {}), FLASH)
    assert [(c.finish_reason, c.message.content) for c in parsed.choices] == [("stop", None)]
