"""Context caching: messages marked with Anthropic-style ``cache_control`` → a Vertex ``cachedContents`` resource.

The cached prefix is every message up to the last marked one (Anthropic's meaning: "cache up to here"), plus
all system messages, tools and tool_choice, because Vertex refuses ``systemInstruction``/``tools``/``toolConfig``
beside ``cachedContent``. The resource is created once per (project, location, model, prefix hash) with a TTL
from the marker (``"300s"``, ``"5m"``, ``"1h"``; default one hour) and its name and expiry are kept in the Router's
state, so later requests reuse it without a LIST call; it is recreated after it expires. A failed create (for
instance a prefix below the model's minimum cache size) is remembered for the TTL too and the request goes out
uncached rather than failing. Fine-tuned endpoints are never cached: a cache names a publisher model.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Mapping
from typing import Any

import orjson
import structlog

from router.errors import UpstreamError
from router.families.base import CallContext, Target, json_request
from router.families.gemini_messages import to_contents
from router.families.gemini_models import GeminiTraits
from router.families.gemini_tools import to_tool_config, to_vertex_tools
from router.vertex.urls import join, resource_path

log = structlog.get_logger("router.families.gemini")

STATE_KEY = "gemini.context_caches"
PENDING_KEY = "gemini.context_caches.pending"
DEFAULT_TTL = 3600.0
# Stop reusing a cache this long before it expires, so a request in flight never meets a vanished cache.
EXPIRY_MARGIN = 60.0
_TTL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")
_UNIT = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def _marked(message: Any) -> dict[str, Any] | None:
    if not isinstance(message, Mapping):
        return None
    control = message.get("cache_control")
    if isinstance(control, Mapping):
        return dict(control)
    content = message.get("content")
    if isinstance(content, list):
        for item in content:
            if isinstance(item, Mapping) and isinstance(item.get("cache_control"), Mapping):
                return dict(item["cache_control"])
    return None


def wants_cache(messages: list[Any]) -> bool:
    return any(_marked(m) is not None for m in messages)


def ttl_seconds(control: Mapping[str, Any]) -> float:
    raw = control.get("ttl")
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw > 0:
        return float(raw)
    match = _TTL.match(str(raw)) if isinstance(raw, str) else None
    return float(match.group(1)) * _UNIT[match.group(2)] if match else DEFAULT_TTL


def split(messages: list[Any]) -> tuple[list[Any], list[Any], float]:
    """(messages to cache, messages to send, ttl). Keeps at least one non-system message to send."""
    last = max(i for i, m in enumerate(messages) if _marked(m) is not None)
    control = _marked(messages[last]) or {}
    prefix, rest = list(messages[: last + 1]), list(messages[last + 1 :])
    cached = prefix + [m for m in rest if _is_system(m)]
    send = [m for m in rest if not _is_system(m)]
    if not send:
        movable = [i for i, m in enumerate(cached) if not _is_system(m)]
        if movable:
            send = [cached.pop(movable[-1])]
    return cached, send, ttl_seconds(control)


def _is_system(message: Any) -> bool:
    return isinstance(message, Mapping) and message.get("role") in ("system", "developer")


def cache_body(cached: list[Any], params: Mapping[str, Any], traits: GeminiTraits) -> dict[str, Any]:
    """The cacheable part of a request in Vertex form (model, ttl and name are added by the caller)."""
    converted = to_contents(cached, traits, fill_empty=False)
    body: dict[str, Any] = {}
    if converted.contents:
        body["contents"] = converted.contents
    if converted.system is not None:
        body["systemInstruction"] = converted.system
    if params.get("tools") or params.get("functions"):
        body["tools"] = to_vertex_tools(params.get("tools"), params.get("functions"))
        choice = params.get("tool_choice")
        config = to_tool_config(choice) if choice is not None else None
        if config is not None:
            body["toolConfig"] = config
    return body


async def apply_context_cache(
    params: dict[str, Any], target: Target, traits: GeminiTraits, ctx: CallContext
) -> dict[str, Any]:
    """``params`` rewritten to use a (possibly new) cachedContents resource; unchanged when caching is off."""
    if target.endpoint_id or params.get("cached_content"):
        log.info("context_cache_skipped", deployment=target.deployment_id, reason="endpoint_or_explicit_cache")
        return params
    cached, send, ttl = split(params["messages"])
    body = cache_body(cached, params, traits)
    if not body.get("contents") and not body.get("systemInstruction"):
        return params
    model = f"projects/{target.project}/locations/{target.location}/publishers/{target.publisher}/models/{target.model}"
    digest = hashlib.sha256(orjson.dumps([model, body], option=orjson.OPT_SORT_KEYS)).hexdigest()
    entry = await _cached_or_created(body, model, digest, ttl, target, ctx)
    name = entry[0]
    if not name:
        return params  # creation failed recently: send uncached until the remembered failure expires
    out = {k: v for k, v in params.items() if k not in ("tools", "functions", "tool_choice", "function_call")}
    out["messages"] = send
    out["cached_content"] = name
    return out


async def _cached_or_created(
    body: dict[str, Any], model: str, digest: str, ttl: float, target: Target, ctx: CallContext
) -> tuple[str, float]:
    """The remembered (name, expiry) for this prefix, creating it when missing or about to expire.

    Concurrent requests for the same prefix share one create call (single flight per Router and event loop).
    """
    entries: dict[str, tuple[str, float]] = ctx.state.setdefault(STATE_KEY, {})
    entry = entries.get(digest)
    if entry is not None and entry[1] - EXPIRY_MARGIN > ctx.now():
        return entry
    pending: dict[str, asyncio.Future[tuple[str, float]]] = ctx.state.setdefault(PENDING_KEY, {})
    loop = asyncio.get_running_loop()
    waiting = pending.get(digest)
    if waiting is not None and waiting.get_loop() is loop:
        return await asyncio.shield(waiting)
    future: asyncio.Future[tuple[str, float]] = loop.create_future()
    pending[digest] = future
    try:
        entry = await _create(body, model, digest, ttl, target, ctx)
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved here, so an unawaited failure logs nothing at garbage collection
        raise
    finally:
        if pending.get(digest) is future:
            del pending[digest]
    _forget_expired(entries, ctx.now())
    entries[digest] = entry
    future.set_result(entry)
    return entry


async def _create(
    body: dict[str, Any], model: str, digest: str, ttl: float, target: Target, ctx: CallContext
) -> tuple[str, float]:
    payload = {"model": model, "displayName": f"vertex-router-{digest[:40]}", **body, "ttl": f"{ttl:g}s"}
    path = resource_path(target.project, target.location)
    url = join(path, "/cachedContents", location=target.location, api_base=target.api_base)
    started = ctx.now()
    try:
        response = await ctx.send(json_request(url, payload))
    except UpstreamError as exc:
        # The cache is an optimisation: a failed side call sends this request uncached (remembered briefly).
        log.warning("context_cache_create_failed", deployment=target.deployment_id, error=type(exc).__name__)
        return "", started + EXPIRY_MARGIN * 2
    expires = started + ttl
    if response.status >= 400:
        log.warning("context_cache_create_failed", deployment=target.deployment_id, status=response.status)
        return "", expires
    try:
        name = orjson.loads(response.body).get("name", "")
    except (orjson.JSONDecodeError, AttributeError):
        name = ""
    log.info("context_cache_created", deployment=target.deployment_id, ttl_seconds=ttl, created=bool(name))
    return str(name), expires


def _forget_expired(entries: dict[str, tuple[str, float]], now: float) -> None:
    for key in [k for k, (_, expires) in entries.items() if expires <= now]:
        del entries[key]
