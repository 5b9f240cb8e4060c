"""Legacy PaLM models (``chat-bison*``, ``codechat-bison*``, ``text-bison*``, ``text-unicorn*``, ``code-bison*``,
``code-gecko*``) on ``publishers/google/models/{model}:predict``.

Google has retired these models. They are still routed to the ``:predict`` shape they used, so an endpoint that
still serves them works; when Vertex answers 404 the error says the model is retired and names its Gemini
replacement (``gemini-2.5-flash`` for all of them).

Instances: chat models ``{"context": <system text>, "examples": [], "messages": [{"author": "user"|"bot",
"content"}]}``; text models ``{"prompt": <text>}``; code models ``{"prefix": <text>}`` (``code-gecko`` also
``suffix`` when given). Parameters: ``temperature, maxOutputTokens, topP, topK, stopSequences, candidateCount``.
Predictions: chat ``predictions[0].candidates[i].content``; text/code one prediction per candidate with
``content``; ``safetyAttributes.blocked`` → ``finish_reason: content_filter``; token counts from
``metadata.tokenMetadata``. ``:predict`` does not stream: a streaming call is sent unary and the whole body fed to
the stream parser becomes chunks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.errors import NotFoundError, UpstreamError
from router.families.base import (
    BaseFamily,
    CallKind,
    CallRequest,
    PreparedRequest,
    StreamParser,
    Target,
    UpstreamResponse,
    drop_or_reject,
    error_message,
    json_request,
)
from router.families.model_garden import message_text
from router.families.openai_compat_wire import (
    GEMINI_ONLY,
    UnaryStreamParser,
    classify_partner_error,
    include_usage,
    loads,
    new_id,
)
from router.types import ChatCompletion, Choice, Message, Usage
from router.vertex.urls import publisher_model_url

PALM_PARAMS = frozenset(
    {"temperature", "max_tokens", "max_completion_tokens", "top_p", "top_k", "stop", "n", "stream_options", "suffix"}
)
_ALWAYS_OK = frozenset({"messages", "model", "stream"}) | GEMINI_ONLY
_PARAM_NAMES = {"temperature": "temperature", "top_p": "topP", "top_k": "topK", "n": "candidateCount"}
REPLACEMENT = "gemini-2.5-flash"


def model_kind(model: str) -> str:
    lowered = model.lower()
    if lowered.startswith(("chat-bison", "codechat-bison")):
        return "chat"
    if lowered.startswith(("code-bison", "code-gecko")):
        return "code"
    return "text"


def chat_instance(messages: list[dict[str, Any]]) -> dict[str, Any]:
    context = [message_text(m) for m in messages if m.get("role") in ("system", "developer")]
    turns = [
        {"author": "bot" if m.get("role") == "assistant" else "user", "content": message_text(m)}
        for m in messages
        if m.get("role") not in ("system", "developer")
    ]
    instance: dict[str, Any] = {}
    if context:
        instance["context"] = "\n".join(context)
    instance["examples"] = []
    instance["messages"] = turns
    return instance


def text_prompt(messages: list[dict[str, Any]]) -> str:
    # Text models take one prompt; the conversation's texts are joined in order, one per line.
    return "\n".join(message_text(m) for m in messages)


def parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, name in _PARAM_NAMES.items():
        if params.get(key) is not None:
            out[name] = params[key]
    limit = params.get("max_tokens", params.get("max_completion_tokens"))
    if limit is not None:
        out["maxOutputTokens"] = limit
    stop = params.get("stop")
    if stop is not None:
        out["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    return out


class PalmFamily(BaseFamily):
    name = "palm"
    kinds: frozenset[CallKind] = frozenset({"chat"})

    def supported_params(self, target: Target) -> frozenset[str]:
        return PALM_PARAMS

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest:
        params = drop_or_reject(request.params, PALM_PARAMS, target, always_ok=_ALWAYS_OK)
        kind = model_kind(target.model)
        instance: dict[str, Any]
        if kind == "chat":
            instance = chat_instance(request.messages)
        elif kind == "code":
            instance = {"prefix": text_prompt(request.messages)}
            if params.get("suffix") is not None:
                instance["suffix"] = params["suffix"]
        else:
            instance = {"prompt": text_prompt(request.messages)}
        body = {"instances": [instance], "parameters": parameters(params)}
        url = publisher_model_url(
            target.project, target.location, "google", target.model, "predict", api_base=target.api_base
        )
        return json_request(url, body)

    def parse_response(self, response: UpstreamResponse, request: CallRequest, target: Target) -> ChatCompletion:
        return parse_predictions(response.body, target)

    def stream_parser(self, request: CallRequest, target: Target) -> StreamParser:
        return UnaryStreamParser(lambda body: parse_predictions(body, target), include_usage(request))

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        if response.status != 404:
            return classify_partner_error(response, target)
        upstream, _ = error_message(response.body)
        return NotFoundError(
            f"{target.model} is a legacy PaLM model that Google has retired, and Vertex AI answered 404 "
            f"({upstream}). Use {REPLACEMENT} instead (model: vertex_ai/{REPLACEMENT}).",
            upstream_status=404,
            deployment_id=target.deployment_id,
            code="model_retired",
        )


def parse_predictions(body: bytes | str, target: Target) -> ChatCompletion:
    payload = loads(body)
    predictions = payload.get("predictions") or []
    if model_kind(target.model) == "chat":
        first = predictions[0] if predictions else {}
        candidates = first.get("candidates") or []
        blocked = _blocked(first)
        choices = [
            _choice(i, str(c.get("content", "")), blocked[i] if i < len(blocked) else False)
            for i, c in enumerate(candidates)
        ]
    else:
        choices = [_choice(i, str(p.get("content", "")), any(_blocked(p))) for i, p in enumerate(predictions)]
    return ChatCompletion(id=new_id(), model=target.model, choices=choices, usage=_usage(payload.get("metadata")))


def _choice(index: int, text: str, blocked: bool) -> Choice:
    if blocked:
        return Choice(index=index, message=Message(content=None), finish_reason="content_filter")
    return Choice(index=index, message=Message(content=text), finish_reason="stop")


def _blocked(prediction: Mapping[str, Any]) -> list[bool]:
    attributes = prediction.get("safetyAttributes")
    if isinstance(attributes, Mapping):
        attributes = [attributes]
    return [bool(a.get("blocked")) for a in attributes or [] if isinstance(a, Mapping)]


def _usage(metadata: Any) -> Usage | None:
    tokens = metadata.get("tokenMetadata") if isinstance(metadata, Mapping) else None
    if not isinstance(tokens, Mapping):
        return None
    prompt = int((tokens.get("inputTokenCount") or {}).get("totalTokens") or 0)
    completion = int((tokens.get("outputTokenCount") or {}).get("totalTokens") or 0)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


FAMILY = PalmFamily()
