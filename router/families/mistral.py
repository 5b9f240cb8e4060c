"""Mistral AI on Vertex (``mistral-large@2407``, ``mistral-nemo@2407``, ``codestral@2405``, ``mistral-small-2503@001``).

``POST .../publishers/mistralai/models/{model}:rawPredict`` (``:streamRawPredict`` when streaming). The URL keeps
the ``@version`` Vertex names the model with; the body ``model`` is the name without it (what Mistral's own GCP
client sends). Bodies are Mistral's chat format, which is OpenAI's with three renames: ``tool_choice:
"required"`` → ``"any"``, ``seed`` → ``random_seed``, ``max_completion_tokens`` → ``max_tokens``.

Codestral fill-in-the-middle: a ``text`` call (``prompt``, ``suffix``, ``max_tokens``, ``min_tokens``, ...) to a
``codestral*`` model goes to the same route with Mistral's FIM body and comes back as a TextCompletion (chunks
are TextCompletion objects too, as the openai SDK streams completions). A ``text`` call to a chat model becomes
one user message and the chat answer is returned in the text-completion shape.
"""

from __future__ import annotations

from typing import Any

from router.errors import InvalidRequestError, UpstreamError
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
from router.families.openai_compat import openai_body
from router.families.openai_compat_wire import (
    GEMINI_ONLY,
    OpenAIChunkParser,
    TextChunkParser,
    chat_to_text_completion,
    classify_partner_error,
    loads,
    parse_chat_completion,
    parse_text_completion,
)
from router.types import ChatCompletion, TextCompletion
from router.vertex.urls import publisher_model_url

CHAT_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "n",
        "seed",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "presence_penalty",
        "frequency_penalty",
        "safe_prompt",
        "extra_body",
    }
)
# Mistral's API rejects fields it does not know; it reports usage on the last chunk without being asked.
UNSENT = frozenset({"user", "stream_options"})
FIM_PARAMS = frozenset({"suffix", "max_tokens", "min_tokens", "temperature", "top_p", "seed", "stop"})
TEXT_ALWAYS_OK = frozenset({"prompt", "model", "stream"}) | GEMINI_ONLY


def body_model(model: str) -> str:
    """``mistral-large@2407`` → ``mistral-large`` (the version lives in the URL only)."""
    return model.split("@", 1)[0]


def is_fim_model(target: Target) -> bool:
    return target.model.lower().startswith("codestral")


class MistralFamily(BaseFamily):
    name = "mistral"
    kinds: frozenset[CallKind] = frozenset({"chat", "text"})

    def supported_params(self, target: Target) -> frozenset[str]:
        chat = CHAT_PARAMS | UNSENT
        return chat | FIM_PARAMS if is_fim_model(target) else chat

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest:
        method = "streamRawPredict" if request.stream else "rawPredict"
        url = publisher_model_url(
            target.project, target.location, "mistralai", target.model, method, api_base=target.api_base
        )
        if request.kind == "text":
            body = fim_body(request, target) if is_fim_model(target) else chat_body(as_chat(request), target)
        else:
            body = chat_body(request, target)
        return json_request(url, body, stream=request.stream)

    def parse_response(
        self, response: UpstreamResponse, request: CallRequest, target: Target
    ) -> ChatCompletion | TextCompletion:
        payload = loads(response.body)
        if request.kind != "text":
            return parse_chat_completion(payload, target)
        if is_fim_model(target):
            return parse_text_completion(payload, target)
        return chat_to_text_completion(parse_chat_completion(payload, target))

    def stream_parser(self, request: CallRequest, target: Target) -> StreamParser:
        if request.kind == "text":
            return TextChunkParser(target)
        return OpenAIChunkParser(target)

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        return classify_partner_error(response, target)


def chat_body(request: CallRequest, target: Target) -> dict[str, Any]:
    body = openai_body(request, target, CHAT_PARAMS, model=body_model(target.model), unsent=UNSENT)
    if body.get("tool_choice") == "required":
        body["tool_choice"] = "any"
    if "seed" in body:
        body["random_seed"] = body.pop("seed")
    return body


def fim_body(request: CallRequest, target: Target) -> dict[str, Any]:
    params = drop_or_reject(request.params, FIM_PARAMS | UNSENT, target, always_ok=TEXT_ALWAYS_OK)
    prompt = params.get("prompt")
    if not isinstance(prompt, str):
        raise InvalidRequestError("Codestral fill-in-the-middle needs 'prompt' as one string", param="prompt")
    body: dict[str, Any] = {"model": body_model(target.model), "prompt": prompt}
    for key in ("suffix", "max_tokens", "min_tokens", "temperature", "top_p", "stop"):
        if params.get(key) is not None:
            body[key] = params[key]
    if params.get("seed") is not None:
        body["random_seed"] = params["seed"]
    body["stream"] = request.stream
    return body


def as_chat(request: CallRequest) -> CallRequest:
    """A text-completion call to a chat model: the prompt becomes one user message."""
    params = dict(request.params)
    prompt = params.pop("prompt", None)
    if isinstance(prompt, list):
        prompt = "".join(str(p) for p in prompt)
    if not isinstance(prompt, str):
        raise InvalidRequestError("text completion needs 'prompt' as a string", param="prompt")
    if params.pop("suffix", None) is not None:
        raise InvalidRequestError("'suffix' needs a Codestral (fill-in-the-middle) model", param="suffix")
    params["messages"] = [{"role": "user", "content": prompt}]
    return CallRequest(kind="chat", params=params, stream=request.stream)


FAMILY = MistralFamily()
