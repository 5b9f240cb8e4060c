"""Model Garden endpoints that are not OpenAI-compatible: ``vertex_ai/<endpoint-id>`` → ``endpoints/{id}:predict``.

Request (one instance, the shape Vertex's vLLM / Hugging Face serving containers read)::

    {"instances": [{"prompt": "<the chat as text>", "max_tokens": 256, "temperature": 0.2,
                    "top_p": 0.9, "top_k": 40, "stop": ["..."]}]}

The chat is rendered as text: a lone user message is sent as-is; anything longer becomes one
``"{role}: {text}"`` line per message followed by ``"assistant:"`` so the model continues as the assistant.
Answer: the first prediction (a string, or an object with ``content`` / ``generated_text`` / ``text`` /
``output``). vLLM containers echo ``"Prompt:\\n...\\nOutput:\\n"`` before the text unless ``raw_response`` is
set; that echo is stripped. The containers report no token counts, so ``usage`` is left out.

``:predict`` cannot stream: a streaming call is sent unary (``PreparedRequest.stream`` is False) and the
stream parser turns the whole body, fed to it as one piece, into chunks.

An endpoint id alone does not say what the container serves, so an ``embedding`` call to one (the guide's
"custom embedding model", ``vertex_ai/<your-model-id>`` with no ``model_info.mode``) is handed to the embeddings
family, which knows the custom-endpoint ``:predict`` shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from router.families.embeddings import FAMILY as EMBEDDINGS
from router.families.openai_compat_wire import (
    GEMINI_ONLY,
    UnaryStreamParser,
    classify_partner_error,
    include_usage,
    loads,
    new_id,
)
from router.types import ChatCompletion, Choice, Message
from router.vertex.urls import endpoint_url

PREDICT_PARAMS = frozenset(
    {"max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "stop", "stream_options"}
)
_ALWAYS_OK = frozenset({"messages", "model", "stream"}) | GEMINI_ONLY
_ECHO_MARKER = "\nOutput:\n"
_TEXT_KEYS = ("content", "generated_text", "text", "output")


def render_prompt(messages: list[dict[str, Any]]) -> str:
    if len(messages) == 1 and messages[0].get("role") == "user":
        return message_text(messages[0])
    lines = [f"{m.get('role', 'user')}: {message_text(m)}" for m in messages]
    lines.append("assistant:")
    return "\n".join(lines)


def message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, Mapping) and part.get("type") == "text":
                texts.append(str(part.get("text", "")))
            elif isinstance(part, Mapping):
                raise InvalidRequestError(
                    f"this endpoint takes text only; a {part.get('type')!r} content part cannot be sent",
                    param="messages",
                )
        return "".join(texts)
    return ""


def prediction_text(prediction: Any) -> str:
    if isinstance(prediction, list) and prediction:
        prediction = prediction[0]
    if isinstance(prediction, Mapping):
        for key in _TEXT_KEYS:
            if isinstance(prediction.get(key), str):
                prediction = prediction[key]
                break
        else:
            prediction = str(dict(prediction))
    text = str(prediction) if prediction is not None else ""
    if text.startswith("Prompt:\n") and _ECHO_MARKER in text:
        return text.split(_ECHO_MARKER, 1)[1]
    return text


class ModelGardenFamily(BaseFamily):
    name = "model_garden"
    kinds: frozenset[CallKind] = frozenset({"chat", "embedding"})

    def supported_params(self, target: Target) -> frozenset[str]:
        return PREDICT_PARAMS

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest:
        if request.kind == "embedding":
            return EMBEDDINGS.build_request(request, target)
        params = drop_or_reject(request.params, PREDICT_PARAMS, target, always_ok=_ALWAYS_OK)
        instance: dict[str, Any] = {"prompt": render_prompt(request.messages)}
        limit = params.get("max_tokens", params.get("max_completion_tokens"))
        if limit is not None:
            instance["max_tokens"] = limit
        for key in ("temperature", "top_p", "top_k"):
            if params.get(key) is not None:
                instance[key] = params[key]
        stop = params.get("stop")
        if stop is not None:
            instance["stop"] = [stop] if isinstance(stop, str) else list(stop)
        endpoint = target.endpoint_id or target.model
        url = endpoint_url(target.project, target.location, endpoint, "predict", api_base=target.api_base)
        return json_request(url, {"instances": [instance]})

    def parse_response(self, response: UpstreamResponse, request: CallRequest, target: Target) -> Any:
        if request.kind == "embedding":
            return EMBEDDINGS.parse_response(response, request, target)
        return self.parse_body(response.body, target)

    def split(self, request: CallRequest, target: Target) -> list[CallRequest] | None:
        return EMBEDDINGS.split(request, target) if request.kind == "embedding" else None

    def merge(self, parts: Sequence[Any], request: CallRequest, target: Target) -> Any:
        return EMBEDDINGS.merge(parts, request, target)

    def parse_body(self, body: bytes | str, target: Target) -> ChatCompletion:
        payload = loads(body)
        predictions = payload.get("predictions") if isinstance(payload, Mapping) else None
        if not predictions:
            from router.errors import InternalServerError

            raise InternalServerError(f"endpoint {target.model} answered without predictions", upstream_status=200)
        message = Message(content=prediction_text(predictions[0]))
        completion = ChatCompletion(
            id=new_id(), model=target.model, choices=[Choice(index=0, message=message, finish_reason="stop")]
        )
        deployed = payload.get("deployedModelId")
        if deployed:
            completion._hidden_params["deployed_model_id"] = deployed
        return completion

    def stream_parser(self, request: CallRequest, target: Target) -> StreamParser:
        return UnaryStreamParser(lambda body: self.parse_body(body, target), include_usage(request))

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        return classify_partner_error(response, target)


FAMILY = ModelGardenFamily()
