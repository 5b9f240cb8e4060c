"""Regression tests for family bugs the guide's examples found (fixed in the family modules)."""

from __future__ import annotations

from router.families import get_family
from router.families.base import CallRequest, Target

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
