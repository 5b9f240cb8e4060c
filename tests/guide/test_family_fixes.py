"""Regression tests for family bugs the guide's examples found (fixed in the family modules)."""

from __future__ import annotations

import orjson

from router.families import get_family
from router.families.base import CallRequest, Target, UpstreamResponse

HI = [{"role": "user", "content": "hi"}]


def _endpoint_target(api_base: str | None) -> Target:
    return Target(
        family="openai_compat", model="openai/5464397967697903616", project="p1", location="us-central1",
        deployment_id="d1", endpoint_id="5464397967697903616", api_base=api_base,
    )  # fmt: skip


def test_model_garden_endpoint_with_a_bare_host_api_base_keeps_the_vertex_path() -> None:
    request = CallRequest(kind="chat", params={"messages": HI}, stream=False)
    prepared = get_family("openai_compat").build_request(request, _endpoint_target("http://127.0.0.1:8089"))
    assert prepared.url == (
        "http://127.0.0.1:8089/v1beta1/projects/p1/locations/us-central1/endpoints/5464397967697903616/chat/completions"
    )


def test_model_garden_endpoint_api_base_with_a_path_is_used_verbatim() -> None:
    base = "https://1234.us-central1-5.prediction.vertexai.goog/v1/projects/p1/locations/us-central1/endpoints/1234"
    request = CallRequest(kind="chat", params={"messages": HI}, stream=False)
    prepared = get_family("openai_compat").build_request(request, _endpoint_target(base))
    assert prepared.url == f"{base}/chat/completions"


def test_model_garden_endpoint_without_api_base_uses_the_regional_host() -> None:
    request = CallRequest(kind="chat", params={"messages": HI}, stream=False)
    prepared = get_family("openai_compat").build_request(request, _endpoint_target(None))
    assert prepared.url.startswith("https://us-central1-aiplatform.googleapis.com/v1beta1/projects/p1/")


def _garden_target() -> Target:
    return Target(
        family="model_garden", model="1731622468876", project="p1", location="us-central1", deployment_id="d1",
        endpoint_id="1731622468876",
    )  # fmt: skip


def test_model_garden_endpoint_serves_an_embedding_call_with_the_custom_endpoint_shape() -> None:
    family = get_family("model_garden")
    assert {"chat", "embedding"} <= family.kinds
    request = CallRequest(kind="embedding", params={"input": ["a", "b"]}, stream=False)
    prepared = family.build_request(request, _garden_target())
    assert prepared.url.endswith("/projects/p1/locations/us-central1/endpoints/1731622468876:predict")
    assert orjson.loads(prepared.body or b"")["instances"] == [{"inputs": "a"}, {"inputs": "b"}]
    answer = {"predictions": [[0.1, 0.2], [0.3, 0.4]]}
    parsed = family.parse_response(UpstreamResponse(200, {}, orjson.dumps(answer)), request, _garden_target())
    assert [d.embedding for d in parsed.data] == [[0.1, 0.2], [0.3, 0.4]]


def test_model_garden_chat_on_an_endpoint_is_unchanged() -> None:
    request = CallRequest(kind="chat", params={"messages": HI}, stream=False)
    prepared = get_family("model_garden").build_request(request, _garden_target())
    assert orjson.loads(prepared.body or b"") == {"instances": [{"prompt": "hi"}]}
