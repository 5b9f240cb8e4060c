"""Router: resolve group → plan attempts → pick → translate → send → classify → record.

The routing engine owns the plan (retries, fallbacks, cooldowns, backoff); this module owns one attempt: merge
params, let the family build the request, add a token, send it, map the answer back. A stream's first event is
read inside the attempt, so anything that fails before the first token fails over like a unary call.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import structlog

from router._build import DeploymentRuntime, build_engine, build_runtimes
from router._params import merge_params, reject_identity_keys
from router._passthrough import account_for, forwarded_headers, upstream_url
from router._rescue import LeadingWhitespaceTrimmer, PrefixSkippingParser, mode_for, prefill_messages
from router._stream import ChatStream, Rescue
from router._sync import LoopThread
from router._text import TextChunkParser, chat_to_text, text_to_chat_params
from router.auth import TokenCache
from router.config import Config, load_config, load_config_dict
from router.errors import InvalidRequestError, RouterError
from router.families.base import CallContext, CallKind, CallRequest, PreparedRequest, UpstreamResponse
from router.jobs.api import JobsAPI
from router.routing import AttemptInfo, DeploymentSpec, ExecutionReport
from router.routing.engine import CallFn
from router.types import hidden_params_of
from router.vertex.client import Deadlines, UpstreamStream, VertexClient

log = structlog.get_logger("router")

EventCallback = Callable[[str, dict[str, Any]], None]


class Router(JobsAPI):
    """Routes OpenAI-format calls to Vertex AI deployments described by one config (and, through ``JobsAPI``,
    files, batches and fine-tuning jobs)."""

    def __init__(
        self,
        config: Config,
        *,
        transport: Any = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Any] | None = None,
        rng: Any = None,
    ) -> None:
        _default_log_level(config)
        self.config = config
        self._transport = transport
        self._runtimes: dict[str, DeploymentRuntime] = build_runtimes(config)
        self._engine = build_engine(config, self._runtimes, clock=clock, sleep=sleep, rng=rng)
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopResources] = weakref.WeakKeyDictionary()
        # The loop last asked for (weakly held) and its resources.
        self._last_resources: tuple[Callable[[], Any], _LoopResources | None] = (_no_loop, None)
        self._family_state: dict[str, Any] = {}
        self._callbacks: list[EventCallback] = []
        self._sync = LoopThread()

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_yaml(cls, path: str | Path, **kwargs: Any) -> Router:
        _default_log_level(None)
        return cls(load_config(path), **kwargs)

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any], **kwargs: Any) -> Router:
        _default_log_level(None)
        return cls(load_config_dict(mapping), **kwargs)

    def model_names(self) -> list[str]:
        return self._engine.group_names()

    def add_callback(self, fn: EventCallback) -> None:
        """Register ``fn(event, fields)`` for attempts, cooldowns, successes and failures of this Router."""
        self._callbacks.append(fn)
        self._engine.add_callback(fn)

    def health(self) -> dict[str, Any]:
        return self._engine.health()

    # ------------------------------------------------------------------ public calls (async)

    async def acompletion(
        self, model: str, messages: list[dict[str, Any]], *, stream: bool = False, **params: Any
    ) -> Any:
        if not isinstance(messages, list) or not messages:
            raise InvalidRequestError("messages must be a non-empty list", param="messages")
        call = self._call("chat", model, {"messages": messages, **params}, stream := bool(stream))
        return _with_report(*await self._engine.execute(model, call, stream=stream))

    async def atext_completion(self, model: str, prompt: Any, *, stream: bool = False, **params: Any) -> Any:
        call = self._call("text", model, {"prompt": prompt, **params}, stream := bool(stream))
        return _with_report(*await self._engine.execute(model, call, stream=stream))

    async def aembedding(self, model: str, input: Any, **params: Any) -> Any:
        call = self._call("embedding", model, {"input": input, **params}, False)
        return _with_report(*await self._engine.execute(model, call))

    async def aimage_generation(self, model: str, prompt: str, **params: Any) -> Any:
        call = self._call("image", model, {"prompt": prompt, **params}, False)
        return _with_report(*await self._engine.execute(model, call))

    async def aspeech(self, model: str, input: str, voice: Any = None, **params: Any) -> Any:
        call = self._call("speech", model, {"input": input, "voice": voice, **params}, False)
        return _with_report(*await self._engine.execute(model, call))

    # ------------------------------------------------------------------ public calls (sync)

    def completion(self, *args: Any, **kwargs: Any) -> Any:
        return self._sync_call(self.acompletion(*args, **kwargs))

    def text_completion(self, *args: Any, **kwargs: Any) -> Any:
        return self._sync_call(self.atext_completion(*args, **kwargs))

    def embedding(self, *args: Any, **kwargs: Any) -> Any:
        return self._sync.run(self.aembedding(*args, **kwargs))

    def image_generation(self, *args: Any, **kwargs: Any) -> Any:
        return self._sync.run(self.aimage_generation(*args, **kwargs))

    def speech(self, *args: Any, **kwargs: Any) -> Any:
        return self._sync.run(self.aspeech(*args, **kwargs))

    def _sync_call(self, coro: Any) -> Any:
        result = self._sync.run(coro)
        if isinstance(result, ChatStream):
            return SyncStream(result, self._sync)
        return result

    # ------------------------------------------------------------------ one call

    def _call(self, kind: CallKind, model: str, params: dict[str, Any], stream: bool) -> CallFn[Any]:
        """The engine's attempt function for one call. The public methods await the engine themselves, rather
        than through a shared coroutine: one frame less per request, held across the upstream wait."""
        if not isinstance(model, str) or not model:
            raise InvalidRequestError("model must be a non-empty string", param="model")
        reject_identity_keys(params)
        return partial(self._attempt, kind, params, stream)

    async def _attempt(
        self, kind: CallKind, params: dict[str, Any], stream: bool, spec: DeploymentSpec, info: AttemptInfo
    ) -> Any:
        runtime: DeploymentRuntime = spec.payload
        family, target = runtime.family, runtime.target
        as_text = kind == "text" and "text" not in family.kinds
        if kind not in family.kinds and not (as_text and "chat" in family.kinds):
            raise InvalidRequestError(
                f"model group {target.model_name!r} ({family.name}) does not serve {kind} calls", param="model"
            )
        merged = merge_params(params, runtime.defaults)
        request = CallRequest("chat" if as_text else kind, text_to_chat_params(merged) if as_text else merged, stream)
        deadlines = runtime.timeouts.for_attempt(info)
        if family.needs_prepare(request):
            request = await family.prepare(request, target, self._context(runtime, deadlines))
        if stream:
            opened = await self._open_stream(runtime, request, info, deadlines, as_text=as_text)
            if kind == "chat":
                opened.set_rescue(self._rescuer(info.group, params, runtime))
            return opened
        parts = family.split(request, target)
        if parts:
            results = await asyncio.gather(*(self._unary(runtime, part, deadlines) for part in parts))
            result = family.merge(results, request, target)
        else:  # the common case, without a _unary frame held across the upstream wait
            response = await self._vertex_call(family.build_request(request, target), runtime.credentials, deadlines)
            result = _parsed(runtime, request, response)
        return chat_to_text(result) if as_text else result

    async def _unary(self, runtime: DeploymentRuntime, request: CallRequest, deadlines: Deadlines) -> Any:
        prepared = runtime.family.build_request(request, runtime.target)
        return _parsed(runtime, request, await self._vertex_call(prepared, runtime.credentials, deadlines))

    async def _vertex_call(
        self, prepared: PreparedRequest, credentials: Any, deadlines: Deadlines | None = None
    ) -> UpstreamResponse:
        """Send one request with a token for ``credentials`` (path, mapping or None for ADC); any status is
        returned. A 401 invalidates the token and is retried once with a fresh one before it counts."""
        res = self._resources()
        token = res.tokens.cached(credentials) or await res.tokens.token(credentials)
        response = await res.client.send(prepared, token=token, timeouts=deadlines)
        if response.status == 401:
            res.tokens.invalidate(credentials, token)
            token = await res.tokens.token(credentials)
            response = await res.client.send(prepared, token=token, timeouts=deadlines)
        return response

    async def _open_stream(
        self,
        runtime: DeploymentRuntime,
        request: CallRequest,
        info: AttemptInfo,
        deadlines: Deadlines,
        *,
        as_text: bool = False,
        skip_prefix: str | None = None,
        trim_leading: str = "",
    ) -> ChatStream:
        family, target = runtime.family, runtime.target
        prepared = family.build_request(request, target)
        parser = family.stream_parser(request, target)
        if as_text:
            parser = TextChunkParser(parser)
        if skip_prefix is not None:
            parser = PrefixSkippingParser(parser, skip_prefix)
        if trim_leading:
            parser = LeadingWhitespaceTrimmer(parser, trim_leading)
        if not prepared.stream:
            return await self._unary_as_stream(runtime, prepared, parser, deadlines)
        upstream = await self._open_authed(runtime, prepared, deadlines)
        if upstream.status >= 400:
            body = await upstream.read_body()
            await upstream.aclose()
            raise family.classify_error(UpstreamResponse(upstream.status, upstream.headers, body), target)
        events = upstream.events()
        first: list[Any] = []
        try:
            while not first:
                try:
                    data = await events.__anext__()
                except StopAsyncIteration:
                    first = list(parser.finish())
                    break
                first = list(parser.feed(data))
        except BaseException:
            await upstream.aclose()
            raise
        info.mark_first_token()
        # A parser that collects stream-wide metadata (Gemini grounding) shares its dict with the caller.
        hidden = getattr(parser, "hidden_params", None)
        return ChatStream(
            events, parser, first, hidden_params=hidden if isinstance(hidden, dict) else {}, close=upstream.aclose
        )

    async def _unary_as_stream(
        self, runtime: DeploymentRuntime, prepared: PreparedRequest, parser: Any, deadlines: Deadlines
    ) -> ChatStream:
        """Routes that cannot stream upstream (Model Garden ``:predict``, PaLM): one unary call, its body fed
        to the family's stream parser as a single event."""
        response = await self._vertex_call(prepared, runtime.credentials, deadlines)
        if response.status >= 400:
            raise runtime.family.classify_error(response, runtime.target)
        chunks = [*parser.feed(response.body.decode("utf-8", "replace")), *parser.finish()]

        async def no_events() -> AsyncIterator[str]:
            return
            yield  # an async generator that ends at once

        async def nothing() -> None:
            return None

        stream = ChatStream(no_events(), _Finished(), chunks, hidden_params={}, close=nothing)
        return stream

    def _rescuer(self, group: str, params: dict[str, Any], failed: DeploymentRuntime) -> Rescue | None:
        """How a broken stream of ``failed`` is finished elsewhere (None when stream rescue is off)."""
        if failed.stream_rescue == "off":
            return None
        failed_id = failed.target.deployment_id

        async def rescue(received: str, error: RouterError) -> ChatStream | None:
            await self._engine.record_failure(failed_id, error)
            modes: dict[str, str] = {}

            async def attempt(spec: Any, info: AttemptInfo) -> ChatStream:
                runtime: DeploymentRuntime = spec.payload
                configured = runtime.stream_rescue if runtime.stream_rescue != "off" else failed.stream_rescue
                mode = mode_for(configured, runtime.family.name)
                modes[spec.id] = mode
                call = dict(params)
                if mode == "prefill":
                    call["messages"] = prefill_messages(params["messages"], received)
                merged = merge_params(call, runtime.defaults)
                request = await runtime.family.prepare(
                    CallRequest("chat", merged, True), runtime.target, self._context(runtime, Deadlines())
                )
                deadlines = runtime.timeouts.for_attempt(info)
                if mode == "replay":
                    return await self._open_stream(runtime, request, info, deadlines, skip_prefix=received)
                trailing = received[len(received.rstrip()) :]
                return await self._open_stream(runtime, request, info, deadlines, trim_leading=trailing)

            stream, report = await self._engine.execute(group, attempt, stream=True, exclude={failed_id})
            log.info(
                "stream_rescued",
                from_deployment=failed_id,
                to_deployment=report.deployment_id,
                mode=modes.get(report.deployment_id),
                received_chars=len(received),
                attempts=report.attempt_count,
            )
            for fn in self._callbacks:
                fn("stream_rescue", {"deployment_id": failed_id, "mode": modes.get(report.deployment_id)})
            return stream

        return rescue

    async def _open_authed(
        self, runtime: DeploymentRuntime, prepared: PreparedRequest, deadlines: Deadlines
    ) -> UpstreamStream:
        res = self._resources()
        token = res.tokens.cached(runtime.credentials) or await res.tokens.token(runtime.credentials)
        upstream = await res.client.open_stream(prepared, token=token, timeouts=deadlines)
        if upstream.status == 401:
            await upstream.aclose()
            res.tokens.invalidate(runtime.credentials, token)
            token = await res.tokens.token(runtime.credentials)
            upstream = await res.client.open_stream(prepared, token=token, timeouts=deadlines)
        return upstream

    def _context(self, runtime: DeploymentRuntime, deadlines: Deadlines) -> CallContext:
        # Positional, with a partial and a bound method rather than closures: built on every attempt, used rarely.
        send = partial(self._vertex_call, credentials=runtime.credentials, deadlines=deadlines)
        return CallContext(send, self._fetch_guarded, self._family_state, time.time)

    async def _fetch_guarded(self, url: str) -> tuple[bytes, str]:
        from router.vertex.fetch import fetch_url

        fetched: tuple[bytes, str] = await fetch_url(url, client=self._resources().client.http)
        return fetched

    def _resources(self) -> _LoopResources:
        """The HTTP client and token cache of the running loop (sync calls run on the Router's own loop)."""
        loop = asyncio.get_running_loop()
        last_loop, last = self._last_resources
        if last is not None and last_loop() is loop:
            return last  # nearly always: one loop serves every call (a WeakKeyDictionary lookup costs ~0.5 µs)
        res = self._loops.get(loop)
        if res is None:
            res = _LoopResources(VertexClient(transport=self._transport), TokenCache())
            self._loops[loop] = res
        self._last_resources = (weakref.ref(loop), res)
        return res

    # ------------------------------------------------------------------ native Vertex pass-through

    async def passthrough(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Forward a native Vertex REST call (``/vertex-ai/{path}`` on the proxy) with this config's credentials.
        Server-sent-event streams (``alt=sse``) are relayed event by event; anything else is read whole."""
        account = account_for(self.config, path)
        prepared = PreparedRequest(
            method=method.upper(),
            url=upstream_url(account, path, query),
            body=body or None,
            headers=forwarded_headers(headers) or {"content-type": "application/json"},
            stream="alt=sse" in query,
        )
        if not prepared.stream:
            response = await self._vertex_call(prepared, account.credentials)
            return (
                response.status,
                {"content-type": response.headers.get("content-type", "application/json")},
                (response.body),
            )
        res = self._resources()
        upstream = await res.client.open_stream(prepared, token=await res.tokens.token(account.credentials))
        if upstream.status >= 400:
            body_bytes = await upstream.read_body()
            await upstream.aclose()
            return upstream.status, {"content-type": "application/json"}, body_bytes
        return upstream.status, {"content-type": "text/event-stream"}, _sse_relay(upstream)

    # ------------------------------------------------------------------ lifecycle

    async def readiness(self) -> dict[str, Any]:
        """Config loaded and a token obtainable for every distinct credential (no billed model call)."""
        sources = {runtime.credential_key: runtime.credentials for runtime in self._runtimes.values()}
        tokens = self._resources().tokens
        for source in sources.values():
            await tokens.token(source)
        return {"status": "ready", "deployments": len(self._runtimes), "credentials": len(sources)}

    def _forget_resources(self, loop: asyncio.AbstractEventLoop) -> _LoopResources | None:
        self._last_resources = (_no_loop, None)
        return self._loops.pop(loop, None)

    async def aclose(self) -> None:
        """Close this loop's connections (call from the loop that made the async calls)."""
        res = self._forget_resources(asyncio.get_running_loop())
        if res is not None:
            await res.aclose()

    def close(self) -> None:
        """Close the connections of sync calls and stop the Router's private loop."""
        loop = self._sync.running_loop
        if loop is not None:
            res = self._forget_resources(loop)
            if res is not None:
                self._sync.run(res.aclose())
        self._sync.stop()


async def _sse_relay(upstream: UpstreamStream) -> AsyncIterator[bytes]:
    try:
        async for data in upstream.events():
            yield b"data: " + data.encode() + b"\n\n"
    finally:
        await upstream.aclose()


class _Finished:
    """The parser of a stream whose chunks were all produced up front."""

    done = True

    def feed(self, data: str) -> list[Any]:
        return []

    def finish(self) -> list[Any]:
        return []


def _with_report(result: Any, report: ExecutionReport) -> Any:
    """The result, with which deployment answered it after how many attempts in its hidden params."""
    hidden = {
        "deployment_id": report.deployment.id,
        "model_group": report.model_group,
        "attempts": len(report.attempts),
        "overhead_ms": round(report.overhead_ms, 3),
        "model": report.deployment.payload.target.model,
    }
    if isinstance(result, ChatStream):
        result.hidden_params.update(hidden)
    else:
        hidden_params = hidden_params_of(result)
        if hidden_params is not None:
            hidden_params.update(hidden)
    return result


def _parsed(runtime: DeploymentRuntime, request: CallRequest, response: UpstreamResponse) -> Any:
    """The family's result for an upstream answer, or its typed error for a failure status."""
    if response.status >= 400:
        raise runtime.family.classify_error(response, runtime.target)
    return runtime.family.parse_response(response, request, runtime.target)


def _no_loop() -> None:
    return None


class _LoopResources:
    def __init__(self, client: VertexClient, tokens: TokenCache) -> None:
        self.client = client
        self.tokens = tokens

    async def aclose(self) -> None:
        await self.client.aclose()
        self.tokens.close()


def _default_log_level(config: Config | None) -> None:
    """A library must not print debug lines by default: when the application has not configured structlog,
    log at info (debug with ``litellm_settings.set_verbose``)."""
    verbose = config is not None and config.litellm_settings.set_verbose
    if verbose or not structlog.is_configured():
        level = logging.DEBUG if verbose else logging.INFO
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))


class SyncStream(Iterator[Any]):
    """A stream for sync callers: iterate chunks; ``hidden_params`` as on the async stream."""

    def __init__(self, stream: ChatStream, loop: LoopThread) -> None:
        self._stream = stream
        self._iter = loop.iterate(stream)
        self.hidden_params = stream.hidden_params
        self._on_close: list[Callable[[], None]] = []

    def on_close(self, fn: Callable[[], None]) -> None:
        self._on_close.append(fn)

    def __next__(self) -> Any:
        try:
            return next(self._iter)
        except BaseException:
            self.close()
            raise

    def __iter__(self) -> SyncStream:
        return self

    def close(self) -> None:
        self._iter.close()
        callbacks, self._on_close = self._on_close, []
        for fn in callbacks:
            fn()


__all__ = ["Router", "RouterError", "SyncStream"]
