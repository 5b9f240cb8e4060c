"""AI21 Jamba on Vertex (``jamba-1.5-mini@001``, ``jamba-1.5-large@001``).

``POST {host}/v1beta1/projects/{p}/locations/{l}/publishers/ai21/models/{model}:rawPredict`` (``:streamRawPredict``
when streaming; AI21 is served on v1beta1). The body is AI21's chat format, which is OpenAI's minus
``tool_choice``, penalties and ``stream_options`` (``user`` and ``stream_options`` are accepted, not sent).
``model`` keeps the ``@version`` (as observed working on Vertex). Answers and SSE streams are OpenAI-shaped.
"""

from __future__ import annotations

from router.errors import UpstreamError
from router.families.base import (
    BaseFamily,
    CallKind,
    CallRequest,
    PreparedRequest,
    StreamParser,
    Target,
    UpstreamResponse,
    json_request,
)
from router.families.openai_compat import openai_body
from router.families.openai_compat_wire import (
    OpenAIChunkParser,
    classify_partner_error,
    loads,
    parse_chat_completion,
)
from router.types import ChatCompletion
from router.vertex.urls import publisher_model_url

# AI21 Jamba chat API: messages, tools, documents, response_format, max_tokens, temperature, top_p, stop, n.
JAMBA_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "n",
        "tools",
        "documents",
        "response_format",
        "extra_body",
    }
)
# Not fields of AI21's API; the last streamed chunk carries usage anyway.
UNSENT = frozenset({"user", "stream_options"})


class AI21Family(BaseFamily):
    name = "ai21"
    kinds: frozenset[CallKind] = frozenset({"chat"})

    def supported_params(self, target: Target) -> frozenset[str]:
        return JAMBA_PARAMS | UNSENT

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest:
        method = "streamRawPredict" if request.stream else "rawPredict"
        url = publisher_model_url(
            target.project, target.location, "ai21", target.model, method, api_base=target.api_base, version="v1beta1"
        )
        body = openai_body(request, target, JAMBA_PARAMS, model=target.model, unsent=UNSENT)
        return json_request(url, body, stream=request.stream)

    def parse_response(self, response: UpstreamResponse, request: CallRequest, target: Target) -> ChatCompletion:
        return parse_chat_completion(loads(response.body), target)

    def stream_parser(self, request: CallRequest, target: Target) -> StreamParser:
        return OpenAIChunkParser(target)

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        return classify_partner_error(response, target)


FAMILY = AI21Family()
