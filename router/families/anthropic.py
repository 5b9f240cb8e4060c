"""Claude on Vertex: ``publishers/anthropic/models/{model}:rawPredict`` (``:streamRawPredict`` when streaming).

The request translation lives in ``anthropic_request``, answers, streams and errors in ``anthropic_response``;
``prepare`` inlines http(s) media (``anthropic_media``) because Vertex refuses ``url`` sources for Claude.
The model id goes into the URL as Vertex names it (``claude-3-7-sonnet@20250219``); an Anthropic first-party
dated name (``claude-3-7-sonnet-20250219``, as some guides write it) is turned into the Vertex form, since
Vertex would answer 404 for it.
"""

from __future__ import annotations

import re

from router.errors import UpstreamError
from router.families.anthropic_media import has_remote_media, inline_remote_media
from router.families.anthropic_request import build_body, supported_params
from router.families.anthropic_response import ClaudeStreamParser, classify_response, parse_message
from router.families.base import (
    BaseFamily,
    CallContext,
    CallKind,
    CallRequest,
    PreparedRequest,
    StreamParser,
    Target,
    UpstreamResponse,
    json_request,
)
from router.families.openai_compat_wire import loads
from router.types import ChatCompletion
from router.vertex.urls import publisher_model_url

_FIRST_PARTY_DATED = re.compile(r"^(claude-[a-z0-9.-]+?)-(\d{8})$")


def vertex_model_id(model: str) -> str:
    """``claude-3-7-sonnet-20250219`` → ``claude-3-7-sonnet@20250219``; Vertex ids pass unchanged."""
    if "@" in model:
        return model
    match = _FIRST_PARTY_DATED.match(model)
    return f"{match.group(1)}@{match.group(2)}" if match else model


class AnthropicFamily(BaseFamily):
    name = "anthropic"
    kinds: frozenset[CallKind] = frozenset({"chat"})

    def supported_params(self, target: Target) -> frozenset[str]:
        return supported_params(target)

    def needs_prepare(self, request: CallRequest) -> bool:
        return has_remote_media(request.messages)

    async def prepare(self, request: CallRequest, target: Target, ctx: CallContext) -> CallRequest:
        """Vertex refuses ``url`` media sources for Claude: fetch http(s) media and send it inline."""
        if not self.needs_prepare(request):
            return request
        messages = await inline_remote_media(request.messages, ctx.fetch_url)
        return CallRequest(kind=request.kind, params={**request.params, "messages": messages}, stream=request.stream)

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest:
        method = "streamRawPredict" if request.stream else "rawPredict"
        url = publisher_model_url(
            target.project,
            target.location,
            "anthropic",
            vertex_model_id(target.model),
            method,
            api_base=target.api_base,
        )
        return json_request(url, build_body(request, target), stream=request.stream)

    def parse_response(self, response: UpstreamResponse, request: CallRequest, target: Target) -> ChatCompletion:
        return parse_message(loads(response.body), request, target)

    def stream_parser(self, request: CallRequest, target: Target) -> StreamParser:
        return ClaudeStreamParser(request, target)

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        return classify_response(response, target)


FAMILY = AnthropicFamily()
