"""OpenAI-compatible partners, Model Garden :predict, Mistral/Codestral and PaLM: rules beyond the golden files."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from router.errors import InvalidRequestError, RateLimitError, UnsupportedParamError
from router.families import get_family
from router.families.base import CallRequest, Target, UpstreamResponse
from router.families.model_garden import prediction_text, render_prompt
from router.families.openai_compat_wire import OpenAIChunkParser

HI = [{"role": "user", "content": "hi"}]


def target(family: str, model: str, *, endpoint_id: str | None = None, drop_params: bool = False) -> Target:
    return Target(
        family=family,
        model=model,
        project="p1",
        location="us-central1",
        deployment_id="d1",
        endpoint_id=endpoint_id,
        drop_params=drop_params,
    )


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("anthropic", {"chat"}),
        ("openai_compat", {"chat"}),
        ("model_garden", {"chat", "embedding"}),  # an embedding call to a bare endpoint id (guide)
        ("mistral", {"chat", "text"}),
        ("ai21", {"chat"}),
        ("palm", {"chat"}),
    ],
)
def test_each_family_is_found_by_name_with_its_kinds(name: str, kinds: set[str]) -> None:
    family = get_family(name)
    assert family.name == name
    assert set(family.kinds) == kinds


def test_llama_rejects_params_it_cannot_take_unless_drop_params() -> None:
    family = get_family("openai_compat")
    request = CallRequest(kind="chat", params={"messages": HI, "logit_bias": {"1": 2}})
    with pytest.raises(UnsupportedParamError, match="logit_bias"):
        family.build_request(request, target("openai_compat", "meta/llama3-8b-instruct-maas"))


def test_reasoning_effort_is_supported_only_where_the_model_reasons() -> None:
    family = get_family("openai_compat")
    assert "reasoning_effort" in family.supported_params(target("openai_compat", "openai/gpt-oss-20b-maas"))
    assert "reasoning_effort" not in family.supported_params(target("openai_compat", "meta/llama3-8b-instruct-maas"))


def test_openai_stream_parser_marks_done_on_finish_reason_without_done_sentinel() -> None:
    parser = OpenAIChunkParser(target("ai21", "jamba-1.5-mini@001"))
    chunk = {"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}]}
    first = parser.feed(orjson.dumps(chunk).decode())
    assert parser.done is False
    assert first[0].choices[0].delta.role == "assistant"  # role forced on the first delta
    chunk["choices"][0]["finish_reason"] = "stop"
    parser.feed(orjson.dumps(chunk).decode())
    assert parser.done is True


def test_openai_stream_error_payload_raises_typed_error() -> None:
    parser = OpenAIChunkParser(target("openai_compat", "meta/llama3-8b-instruct-maas"))
    with pytest.raises(RateLimitError):
        parser.feed('{"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}}')


@pytest.mark.parametrize(
    ("prediction", "text"),
    [
        ("Prompt:\nhi\nOutput:\nhello", "hello"),
        ("plain answer", "plain answer"),
        ({"generated_text": "g"}, "g"),
        ({"content": "c"}, "c"),
        (["first", "second"], "first"),
    ],
)
def test_model_garden_prediction_shapes(prediction: Any, text: str) -> None:
    assert prediction_text(prediction) == text


def test_model_garden_refuses_images_it_cannot_send() -> None:
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]
    with pytest.raises(InvalidRequestError, match="text only"):
        render_prompt(messages)


def test_codestral_fim_needs_a_prompt_string() -> None:
    family = get_family("mistral")
    request = CallRequest(kind="text", params={"prompt": ["a", "b"], "suffix": "x"})
    with pytest.raises(InvalidRequestError, match="prompt"):
        family.build_request(request, target("mistral", "codestral@2405"))


def test_suffix_on_a_mistral_chat_model_is_refused() -> None:
    family = get_family("mistral")
    request = CallRequest(kind="text", params={"prompt": "a", "suffix": "b"})
    with pytest.raises(InvalidRequestError, match="suffix"):
        family.build_request(request, target("mistral", "mistral-large@2407"))


def test_codestral_supports_fim_params_and_chat_models_do_not() -> None:
    family = get_family("mistral")
    assert {"suffix", "min_tokens"} <= family.supported_params(target("mistral", "codestral@2405"))
    assert "suffix" not in family.supported_params(target("mistral", "mistral-large@2407"))


def test_palm_errors_other_than_404_keep_their_class() -> None:
    body = orjson.dumps({"error": {"code": 429, "message": "Quota", "status": "RESOURCE_EXHAUSTED"}})
    error = get_family("palm").classify_error(UpstreamResponse(429, {}, body), target("palm", "chat-bison"))
    assert isinstance(error, RateLimitError)


@pytest.mark.parametrize(("family", "model"), [("mistral", "mistral-large@2407"), ("ai21", "jamba-1.5-mini@001")])
def test_user_and_stream_options_are_accepted_but_not_sent_to_strict_apis(family: str, model: str) -> None:
    params = {"messages": HI, "user": "u1", "stream_options": {"include_usage": True}}
    prepared = get_family(family).build_request(
        CallRequest(kind="chat", params=params, stream=True), target(family, model)
    )
    sent = orjson.loads(prepared.body or b"{}")
    assert "user" not in sent
    assert "stream_options" not in sent
    assert sent["stream"] is True


@pytest.mark.parametrize(
    ("family", "model"),
    [
        ("anthropic", "claude-3-haiku@20240307"),
        ("openai_compat", "meta/llama3-8b-instruct-maas"),
        ("mistral", "mistral-large@2407"),
        ("ai21", "jamba-1.5-mini@001"),
        ("model_garden", "123"),
        ("palm", "chat-bison"),
    ],
)
def test_a_global_gemini_safety_setting_is_not_sent_to_partner_models(family: str, model: str) -> None:
    params = {"messages": HI, "safety_settings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}]}
    prepared = get_family(family).build_request(CallRequest(kind="chat", params=params), target(family, model))
    assert b"safety" not in (prepared.body or b"")
    assert b"HARM_CATEGORY" not in (prepared.body or b"")
