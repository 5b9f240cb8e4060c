"""OpenAI-compatible Vertex routes: publisher MaaS models and Model Garden ``openai/<endpoint-id>`` endpoints.

- MaaS (``meta/llama-3.1-405b-instruct-maas``, ``deepseek-ai/...``, ``qwen/...``, ``openai/gpt-oss-...``):
  ``POST {host}/v1/projects/{p}/locations/{l}/endpoints/openapi/chat/completions``, body ``model`` = the full
  publisher/model id. An ``api_base`` replaces only the host (its path, if any, is kept as a prefix); an
  ``api_base`` ending in ``/v1`` or ``/v1beta1`` chooses the version.
- Model Garden deployed endpoint (``openai/<endpoint-id>``, ``target.endpoint_id`` set):
  ``POST {host}/v1beta1/projects/{p}/locations/{l}/endpoints/{id}/chat/completions`` with ``model: ""`` (the
  container serves one model). An ``api_base`` with a path is the endpoint's own URL: used verbatim +
  ``/chat/completions``; a bare host (or host + ``/v1``/``/v1beta1``) replaces only the host, as for MaaS.

Both speak OpenAI on the wire, so bodies are forwarded with only the renames those servers need
(``max_completion_tokens`` → ``max_tokens``; ``file`` parts → ``image_url`` parts) and answers are parsed as-is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from router.errors import UpstreamError
from router.families.base import (
    BaseFamily,
    CallKind,
    CallRequest,
    PreparedRequest,
    StreamParser,
    Target,
    UpstreamResponse,
    drop_or_reject,
    json_request,
)
from router.families.openai_compat_wire import (
    GEMINI_ONLY,
    OpenAIChunkParser,
    classify_partner_error,
    loads,
    parse_chat_completion,
)
from router.types import ChatCompletion
from router.vertex.urls import endpoint_url, host_for, join, resource_path

# What the shared OpenAPI endpoint accepts for partner MaaS models (Google: "Call Vertex AI models by using the
# OpenAI library"). ``extra_body`` is merged into the body top level (e.g. ``{"google": {...}}`` options).
MAAS_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "n",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "seed",
        "frequency_penalty",
        "presence_penalty",
        "logprobs",
        "top_logprobs",
        "stream_options",
        "user",
        "extra_body",
    }
)
# Models that reason and take an effort (gpt-oss, DeepSeek R1, "*-thinking" models).
_REASONING_MARKERS = ("gpt-oss", "deepseek-r1", "thinking")
# A self-deployed container (vLLM / TGI behind Vertex) takes vLLM's sampling extras too.
ENDPOINT_PARAMS = MAAS_PARAMS | frozenset({"logit_bias", "reasoning_effort", "top_k", "min_p", "repetition_penalty"})
ALWAYS_OK = frozenset({"messages", "model", "stream"}) | GEMINI_ONLY


def openai_body(
    request: CallRequest,
    target: Target,
    allowed: frozenset[str],
    *,
    model: str | None,
    unsent: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The OpenAI chat body for an OpenAI-compatible server: params kept (or rejected per drop_params).

    ``unsent`` params are accepted from the caller but not forwarded (the server has no such field and
    rejects unknown ones, while its answer already covers them, e.g. usage on the last chunk).
    """
    params = drop_or_reject(request.params, allowed | unsent, target, always_ok=ALWAYS_OK)
    body: dict[str, Any] = {}
    if model is not None:
        body["model"] = model
    body["messages"] = [_message(m) for m in request.messages]
    extra = params.pop("extra_body", None)
    for key, value in params.items():
        if key in ALWAYS_OK or key in unsent or value is None:
            continue
        body[key] = value
    if "max_completion_tokens" in body:
        limit = body.pop("max_completion_tokens")
        body.setdefault("max_tokens", limit)
    body["stream"] = request.stream
    if not request.stream:
        body.pop("stream_options", None)
    if isinstance(extra, Mapping):
        body.update(extra)
    return body


def _message(message: Mapping[str, Any]) -> Mapping[str, Any]:
    content = message.get("content")
    if not isinstance(content, list) or not any(_is_file(p) for p in content):
        return message
    # Vertex's OpenAI endpoint reads documents from image_url parts (a data: URL or a URI); it has no file part.
    parts = [_file_as_image_url(p) if _is_file(p) else p for p in content]
    return {**message, "content": parts}


def _is_file(part: Any) -> bool:
    return isinstance(part, Mapping) and part.get("type") == "file"


def _file_as_image_url(part: Mapping[str, Any]) -> dict[str, Any]:
    file = part.get("file") or {}
    url = file.get("file_data") or file.get("file_id") or ""
    return {"type": "image_url", "image_url": {"url": url}}


def maas_url(target: Target) -> str:
    path = f"{resource_path(target.project, target.location)}/endpoints/openapi"
    return _host_swap(path, "/chat/completions", target)


def _host_swap(path: str, suffix: str, target: Target) -> str:
    """§0.4: for the OpenAPI endpoint an api_base replaces only the host; its own path stays as a prefix."""
    api_base = target.api_base
    if not api_base:
        return f"{host_for(target.location)}{path}{suffix}"
    base_path = urlsplit(api_base).path.rstrip("/")
    if base_path in ("", "/v1", "/v1beta1"):
        return join(path, suffix, location=target.location, api_base=api_base)
    return f"{api_base.rstrip('/')}{path}{suffix}"


def endpoint_chat_url(target: Target, endpoint_id: str) -> str:
    api_base = target.api_base
    # A bare host (a gateway, the emulator) keeps the Vertex path, as every other family does; only an api_base
    # with its own path (a dedicated endpoint's URL) is taken verbatim.
    if api_base and urlsplit(api_base).path.rstrip("/") not in ("", "/v1", "/v1beta1"):
        return f"{api_base.rstrip('/')}/chat/completions"
    return endpoint_url(
        target.project, target.location, endpoint_id, "/chat/completions", api_base=api_base, version="v1beta1"
    )


class OpenAICompatFamily(BaseFamily):
    name = "openai_compat"
    kinds: frozenset[CallKind] = frozenset({"chat"})

    def supported_params(self, target: Target) -> frozenset[str]:
        if _is_deployed_endpoint(target):
            return ENDPOINT_PARAMS
        if any(marker in target.model.lower() for marker in _REASONING_MARKERS):
            return MAAS_PARAMS | {"reasoning_effort"}
        return MAAS_PARAMS

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest:
        allowed = self.supported_params(target)
        endpoint_id = target.endpoint_id
        if endpoint_id is not None and "/" not in endpoint_id:
            body = openai_body(request, target, allowed, model="")
            return json_request(endpoint_chat_url(target, endpoint_id), body, stream=request.stream)
        # ``openai/xai/grok-...`` style catalog ids ride the shared OpenAPI endpoint with the id in the body.
        model = endpoint_id if endpoint_id is not None else target.model
        body = openai_body(request, target, allowed, model=model)
        return json_request(maas_url(target), body, stream=request.stream)

    def parse_response(self, response: UpstreamResponse, request: CallRequest, target: Target) -> ChatCompletion:
        return parse_chat_completion(loads(response.body), target)

    def stream_parser(self, request: CallRequest, target: Target) -> StreamParser:
        return OpenAIChunkParser(target)

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        return classify_partner_error(response, target)


def _is_deployed_endpoint(target: Target) -> bool:
    return target.endpoint_id is not None and "/" not in target.endpoint_id


FAMILY = OpenAICompatFamily()
