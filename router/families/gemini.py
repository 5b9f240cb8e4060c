"""The Gemini family: OpenAI chat ⇄ Vertex ``generateContent`` / ``streamGenerateContent?alt=sse``.

The translation is split by noun: ``gemini_messages`` (messages → contents), ``gemini_schema`` (JSON Schema →
Vertex Schema), ``gemini_tools``, ``gemini_params`` (generation config, reasoning, safety, passthrough),
``gemini_response`` / ``gemini_stream`` (back to OpenAI), ``gemini_errors``, ``gemini_cache`` (context caching).

Media by URL: ``gs://`` and ``http(s)://`` URLs are sent by reference as ``fileData.fileUri`` — Vertex fetches
Cloud Storage objects and public HTTP(S) URLs itself, which keeps large files out of our memory and the request
body. Only a URL whose media type cannot be told (no known extension, no ``format``) is fetched in ``prepare``
through the router's SSRF-guarded, size- and time-capped fetcher and sent inline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import structlog

from router.errors import InternalServerError, JSONSchemaValidationError, UpstreamError
from router.families.base import (
    BaseFamily,
    CallContext,
    CallKind,
    CallRequest,
    PreparedRequest,
    Target,
    UpstreamResponse,
    json_request,
)
from router.families.gemini_cache import apply_context_cache, wants_cache
from router.families.gemini_errors import classify, parse_error_body
from router.families.gemini_messages import to_contents
from router.families.gemini_models import ENDPOINT_TRAITS, GeminiTraits, traits_for
from router.families.gemini_params import (
    ResponseFormat,
    filter_params,
    flatten_extra_body,
    generation_config,
    labels,
    safety_settings,
    supported_params,
)
from router.families.gemini_response import to_chat_completion
from router.families.gemini_stream import GeminiStreamParser
from router.families.gemini_tools import camelize, to_tool_config, to_vertex_tools
from router.families.media import inline_unresolvable_urls, needs_inlining
from router.types import ChatCompletion
from router.vertex.urls import endpoint_url, publisher_model_url

log = structlog.get_logger("router.families.gemini")

# Top-level request fields that Vertex refuses next to ``cachedContent`` (they live in the cache).
_CACHE_EXCLUSIVE = ("systemInstruction", "tools", "toolConfig")
# The params ``_add_tools`` / ``_add_passthrough`` read; a call with none of them skips those lookups.
_TOOL_PARAMS = frozenset({"tools", "functions", "web_search_options", "tool_choice", "function_call"})
_PASSTHROUGH_PARAMS = frozenset({"safety_settings", "labels", "model_armor_config", "cached_content"})
MAX_CACHED_URLS = 1024


def traits_of(target: Target) -> GeminiTraits:
    base = target.options.get("base_model") if target.options else None
    if isinstance(base, str) and base:
        return traits_for(base)
    if target.endpoint_id:
        return ENDPOINT_TRAITS
    return traits_for(target.model)


def model_url(target: Target, *, stream: bool) -> str:
    method = "streamGenerateContent" if stream else "generateContent"
    query = "alt=sse" if stream else ""
    if target.endpoint_id:
        return endpoint_url(
            target.project, target.location, target.endpoint_id, method, api_base=target.api_base, query=query
        )
    return publisher_model_url(
        target.project, target.location, target.publisher, target.model, method, api_base=target.api_base, query=query
    )


def build_body(params: Mapping[str, Any], traits: GeminiTraits, target: Target) -> dict[str, Any]:
    """The ``GenerateContentRequest`` JSON for already-filtered OpenAI params."""
    messages = params.get("messages")
    converted = to_contents(messages if isinstance(messages, list) else [], traits)
    body: dict[str, Any] = {"contents": converted.contents}
    if converted.system is not None:
        body["systemInstruction"] = converted.system
    keys = params.keys()
    if not _TOOL_PARAMS.isdisjoint(keys):
        _add_tools(body, params)
    config = generation_config(params, traits, target)
    if "response_format" in params:
        prompt = ResponseFormat(params["response_format"]).apply(config, traits)
        if prompt:
            _append_user_text(body["contents"], prompt)
    if converted.media_resolution:
        config["mediaResolution"] = converted.media_resolution
    extra_config = params.get("generation_config")
    if extra_config is not None and isinstance(extra_config, Mapping):
        config.update(camelize(extra_config))
    if config:
        body["generationConfig"] = config
    if not _PASSTHROUGH_PARAMS.isdisjoint(keys):
        _add_passthrough(body, params, target)
    return body


def _add_tools(body: dict[str, Any], params: Mapping[str, Any]) -> None:
    tools = params.get("tools")
    functions = params.get("functions")
    if tools or functions:
        body["tools"] = to_vertex_tools(tools, functions)
    if params.get("web_search_options") is not None and not any("googleSearch" in t for t in body.get("tools", ())):
        body.setdefault("tools", []).append({"googleSearch": {}})
    choice = params.get("tool_choice")
    config = to_tool_config(choice) if choice is not None else None
    if config is None and params.get("function_call") is not None:
        config = to_tool_config(params["function_call"], param="function_call")
    if config is not None and body.get("tools"):
        body["toolConfig"] = config


def _append_user_text(contents: list[dict[str, Any]], text: str) -> None:
    if contents and contents[-1]["role"] == "user":
        contents[-1]["parts"].append({"text": text})
    else:
        contents.append({"role": "user", "parts": [{"text": text}]})


def _add_passthrough(body: dict[str, Any], params: Mapping[str, Any], target: Target) -> None:
    safety = safety_settings(params.get("safety_settings"))
    if safety:
        body["safetySettings"] = safety
    tags = labels(params.get("labels"))
    if tags:
        body["labels"] = tags
    armor = params.get("model_armor_config")
    if armor is not None and isinstance(armor, Mapping):  # None first: an ABC check costs more than the rest
        body["modelArmorConfig"] = camelize(armor)
    cached = params.get("cached_content")
    if isinstance(cached, str) and cached:
        body["cachedContent"] = cached
        dropped = [key for key in _CACHE_EXCLUSIVE if body.pop(key, None) is not None]
        if dropped:
            log.info("cached_content_fields_dropped", fields=dropped, deployment=target.deployment_id)


class GeminiFamily(BaseFamily):
    name = "gemini"
    kinds: frozenset[CallKind] = frozenset({"chat"})

    def __init__(self) -> None:
        # Traits per deployment model, decided once (bounded by the number of configured models).
        self._traits: dict[tuple[str, str | None, str], GeminiTraits] = {}
        # URLs per deployment and method: validating the location and splitting api_base cost ~1 µs a request.
        self._urls: dict[tuple[str, str, str, str, str | None, str | None, bool], str] = {}
        self._by_target: dict[int, tuple[Target, GeminiTraits, str, str]] = {}

    def traits(self, target: Target) -> GeminiTraits:
        base = target.options.get("base_model", "") if target.options else ""
        key = (target.model, target.endpoint_id, str(base))
        traits = self._traits.get(key)
        if traits is None:
            traits = self._traits[key] = traits_of(target)
        return traits

    def supported_params(self, target: Target) -> frozenset[str]:
        return supported_params(self.traits(target))

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest:
        found = self._by_target.get(id(target))
        if found is None or found[0] is not target:
            found = self._remember(target)
        traits = found[1]
        params = filter_params(flatten_extra_body(request.params), supported_params(traits), target)
        body = build_body(params, traits, target)
        return json_request(found[3] if request.stream else found[2], body, stream=request.stream)

    def _remember(self, target: Target) -> tuple[Target, GeminiTraits, str, str]:
        """(target, traits, unary URL, stream URL), held per target object: one lookup per request instead of two
        keyed by tuples. The entry keeps the target alive, so its ``id`` cannot be reused meanwhile."""
        if len(self._by_target) >= MAX_CACHED_URLS:
            self._by_target.clear()
        found = (target, self.traits(target), self.url(target, stream=False), self.url(target, stream=True))
        self._by_target[id(target)] = found
        return found

    def url(self, target: Target, *, stream: bool) -> str:
        """``model_url``, remembered per deployment (bounded: the cache is dropped when it grows past the limit)."""
        key = (
            target.project,
            target.location,
            target.publisher,
            target.model,
            target.endpoint_id,
            target.api_base,
            stream,
        )
        found = self._urls.get(key)
        if found is None:
            if len(self._urls) >= MAX_CACHED_URLS:
                self._urls.clear()
            found = self._urls[key] = model_url(target, stream=stream)
        return found

    def parse_response(self, response: UpstreamResponse, request: CallRequest, target: Target) -> ChatCompletion:
        try:
            payload = orjson.loads(response.body)
        except orjson.JSONDecodeError as exc:
            raise _not_json(response.body, target) from exc
        if not isinstance(payload, dict):
            raise _not_json(response.body, target)
        # ``model`` names what answered (the deployment's model), as OpenAI does, not the group asked for.
        result = to_chat_completion(payload, target.model)
        if "response_format" in request.params:
            _enforce_schema(result, ResponseFormat(request.params["response_format"]))
        return result

    def stream_parser(self, request: CallRequest, target: Target) -> GeminiStreamParser:
        options = request.params.get("stream_options")
        include_usage = isinstance(options, Mapping) and bool(options.get("include_usage"))
        deployment = target.deployment_id

        def classify_event(payload: Mapping[str, Any]) -> UpstreamError:
            return classify(200, parse_error_body(payload), {}, deployment_id=deployment)

        return GeminiStreamParser(target.model, include_usage=include_usage, classify=classify_event)

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        return classify(
            response.status, parse_error_body(response.body), response.headers, deployment_id=target.deployment_id
        )

    def error_from_event(self, data: str | bytes | Mapping[str, Any], target: Target) -> UpstreamError | None:
        """The typed error carried by one SSE event of a 200 stream, or None when it is an ordinary event."""
        payload: Any = data
        if isinstance(data, str | bytes):
            try:
                payload = orjson.loads(data)
            except orjson.JSONDecodeError:
                return None
        if isinstance(payload, list) and payload:
            payload = payload[0]
        if not isinstance(payload, Mapping) or not isinstance(payload.get("error"), Mapping):
            return None
        return classify(200, parse_error_body(payload), {}, deployment_id=target.deployment_id)

    def needs_prepare(self, request: CallRequest) -> bool:
        """Media to inline or a cache marker can only be in messages that are not plain text."""
        messages = flatten_extra_body(request.params).get("messages")
        return isinstance(messages, list) and not _plain_text(messages)

    async def prepare(self, request: CallRequest, target: Target, ctx: CallContext) -> CallRequest:
        if not self.needs_prepare(request):
            return request
        params = flatten_extra_body(request.params)
        messages = params["messages"]
        media = needs_inlining(messages)
        cache = wants_cache(messages)
        if not media and not cache:
            return request
        params = dict(params)
        if media:
            params["messages"] = await inline_unresolvable_urls(messages, ctx.fetch_url)
        if cache:
            params = await apply_context_cache(params, target, self.traits(target), ctx)
        return CallRequest(request.kind, params, request.stream)


def _plain_text(messages: list[Any]) -> bool:
    """Every message is a dict with string (or no) content and no cache marker: nothing to inline or cache."""
    for message in messages:
        if type(message) is not dict or "cache_control" in message:
            return False
        content = message.get("content")
        if content is not None and type(content) is not str:
            return False
    return True


def _not_json(body: bytes, target: Target) -> UpstreamError:
    return InternalServerError(
        f"gemini answered 200 with a body that is not a GenerateContentResponse: {body[:200]!r}",
        upstream_status=200,
        deployment_id=target.deployment_id,
    )


def _enforce_schema(result: ChatCompletion, fmt: ResponseFormat) -> None:
    if not fmt.enforce or fmt.schema is None:
        return
    import jsonschema  # type: ignore[import-untyped]

    for choice in result.choices:
        raw = choice.message.content
        if raw is None and choice.finish_reason == "content_filter":
            continue  # nothing was generated; the finish reason already says why
        raw = raw or ""
        try:
            jsonschema.validate(orjson.loads(raw), fmt.schema)
        except orjson.JSONDecodeError as exc:
            raise JSONSchemaValidationError(
                f"response is not valid JSON: {exc}", raw_response=raw, schema=fmt.schema
            ) from exc
        except jsonschema.ValidationError as exc:
            raise JSONSchemaValidationError(
                f"response does not match the schema: {exc.message}", raw_response=raw, schema=fmt.schema
            ) from exc


FAMILY = GeminiFamily()
