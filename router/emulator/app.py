"""The emulator as a raw ASGI app (no framework on the hot path: it is also the benchmark baseline).

``create_app(...)`` returns an ``EmulatorApp``: the ASGI callable, plus ``.faults``, ``.requests``,
``.authority``, ``.caches`` and ``.reset()`` for tests. Routes: Vertex resource paths (``routes.parse_route``),
``POST /token`` and ``/computeMetadata/v1/...`` (delegated to ``TokenAuthority``), ``/_emulator/...`` control.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import orjson
import structlog

from router.emulator import anthropic, gemini, openai_compat, predict
from router.emulator.caches import CacheStore, handle_cached_contents
from router.emulator.call import Call, EmulatorSettings
from router.emulator.control import handle_control
from router.emulator.errors import Reply, StreamReply, bad_request, google_error, json_reply, not_found
from router.emulator.faults import Fault, FaultTable
from router.emulator.recording import RecordedRequest, RequestLog
from router.emulator.routes import Route, parse_route
from router.emulator.wire import (
    TRANSPORT_KEY,
    Dropped,
    EmulatedConnectionReset,
    Receive,
    Scope,
    Send,
    drop_connection,
    fault_reply,
    header,
    lifespan,
    read_body,
    send_reply,
    send_stream,
    send_unary,
    wait_for_disconnect,
)

log = structlog.get_logger(__name__)

Handler = Callable[[Call], Reply | StreamReply]

_AUTH_HELP = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class Authority(Protocol):
    """What the app needs from ``router.emulator.oauth.TokenAuthority``."""

    def check_access_token(self, token: str | None) -> bool: ...

    def issue_token(self, ttl: float | None = None) -> str: ...

    def handle_token_request(self, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]: ...

    def handle_metadata(self, path: str, query: str, headers: Mapping[str, str]) -> tuple[int, bytes, str]: ...


def _default_authority(clock: Callable[[], float]) -> Authority:
    from router.emulator.oauth import TokenAuthority  # written alongside; imported lazily to keep start-up cheap

    authority: Authority = TokenAuthority(clock=clock)
    return authority


class EmulatorApp:
    def __init__(
        self,
        *,
        latency_ms: float = 0.0,
        faults: FaultTable | None = None,
        authority: Authority | None = None,
        require_auth: bool = True,
        clock: Callable[[], float] = time.time,
        settings: EmulatorSettings | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.latency_ms = latency_ms
        self.faults = faults if faults is not None else FaultTable()
        self.clock = clock
        self.sleep = sleep  # injectable so tests of added latency need not wait
        self.authority: Authority = authority if authority is not None else _default_authority(clock)
        self.require_auth = require_auth
        self.settings = settings or EmulatorSettings()
        self.caches = CacheStore(clock)
        self._log = RequestLog(limit=self.settings.record_limit)
        self._jobs: Any = None

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._log.items

    def reset(self) -> None:
        """Forget faults, recorded requests, cached contents and jobs (tokens stay valid)."""
        self.faults.clear()
        self._log.items.clear()
        self.caches.clear()
        if self._jobs is not None:
            self._jobs.reset()

    @property
    def jobs(self) -> Any:
        """Cloud Storage, batch prediction and tuning jobs (``router.emulator.jobs.JobsEmulator``), made on
        first use so plain model traffic never imports them."""
        if self._jobs is None:
            from router.emulator.jobs import JobsEmulator

            self._jobs = JobsEmulator(self)
        return self._jobs

    def requests_to(self, *, location: str | None = None, model: str | None = None) -> list[RecordedRequest]:
        """The recorded requests for a location and/or model."""
        return [
            r
            for r in self._log.items
            if (location is None or r.location == location) and (model is None or r.model == model)
        ]

    # -------------------------------------------------------------------------------------------- ASGI entry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._handle(scope, receive, send)
        except Dropped:
            return  # answered by dropping (or never answering) on purpose

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if _maybe_jobs_path(path) and self.jobs.handles(path):
            await self.jobs(scope, receive, send)
            return
        if path.startswith("/_emulator/"):
            body = await read_body(receive)
            query = scope.get("query_string", b"").decode("latin-1")
            await send_reply(send, handle_control(self, scope["method"], path, body, query))
            return
        if path == "/token":
            await self._token(scope, receive, send)
            return
        if path.startswith("/computeMetadata/") or (path == "/" and header(scope, b"metadata-flavor")):
            await self._metadata(scope, send)
            return
        await self._vertex(scope, receive, send, path)

    async def _token(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        content_type = header(scope, b"content-type") or ""
        status, payload = self.authority.handle_token_request(body, content_type)
        await send_reply(send, json_reply(status, payload, [(b"cache-control", b"no-store")]))

    async def _metadata(self, scope: Scope, send: Send) -> None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        status, body, content_type = self.authority.handle_metadata(scope["path"], query, headers)
        reply_headers = [(b"content-type", content_type.encode()), (b"metadata-flavor", b"Google")]
        await send_reply(send, Reply(status, body, reply_headers))

    # -------------------------------------------------------------------------------------------- Vertex

    async def _vertex(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        route = parse_route(path)
        raw = await read_body(receive)
        query = scope.get("query_string", b"").decode("latin-1")
        try:
            body = orjson.loads(raw) if raw else None
            parse_error = None
        except orjson.JSONDecodeError as exc:
            body, parse_error = None, str(exc)
        model = _model_for_log(route, body)
        record = RecordedRequest(
            method=scope["method"],
            path=path,
            location=route.location if route else "",
            model=model,
            body=body,
            headers=_recorded_headers(scope),
            time=self.clock(),
            query=query,
        )
        self._log.append(record)
        reply: Reply | StreamReply | None = self._gate(scope, route, parse_error)
        fault = None if reply else self.faults.take(record.location, model, path)
        if fault is not None:
            record.fault_id = fault.id
            reply = await self._before_answer(fault, scope, receive)
            if reply is None and fault.status is not None and fault.error_after is None:
                reply = fault_reply(fault, route)
        if reply is None:
            await self._latency()
            reply = self._dispatch(route, scope["method"], body, query) if route else None
        if reply is None:
            return  # the connection was dropped on purpose
        record.status = reply.status
        if isinstance(reply, StreamReply):
            await send_stream(scope, receive, send, reply, fault, self.sleep)
        else:
            await send_unary(send, reply, fault, self.sleep)

    def _gate(self, scope: Scope, route: Route | None, parse_error: str | None) -> Reply | None:
        """Answers that come before any fault: unknown path, auth, unparseable JSON."""
        if route is None:
            return not_found(f"The requested URL {scope['path']} was not found on this server.")
        if self.require_auth:
            problem = self._auth_problem(scope)
            if problem:
                return problem
        if parse_error is not None:
            return bad_request(f"Invalid JSON payload received. {parse_error}")
        return None

    def _auth_problem(self, scope: Scope) -> Reply | None:
        value = header(scope, b"authorization") or ""
        scheme, _, token = value.partition(" ")
        challenge = [(b"www-authenticate", b'Bearer realm="https://accounts.google.com/"')]
        if scheme.lower() != "bearer" or not token:
            message = f"Request is missing required authentication credential. {_AUTH_HELP}"
            return google_error(401, message, details=[_error_info("CREDENTIALS_MISSING")], headers=challenge)
        if not self.authority.check_access_token(token.strip()):
            message = f"Request had invalid authentication credentials. {_AUTH_HELP}"
            details = [_error_info("ACCESS_TOKEN_TYPE_UNSUPPORTED")]
            return google_error(401, message, details=details, headers=challenge)
        return None

    async def _latency(self) -> None:
        if self.latency_ms > 0:
            await self.sleep(self.latency_ms / 1000)

    async def _before_answer(self, fault: Fault, scope: Scope, receive: Receive) -> Reply | None:
        """Silent, reset and added latency: the fault kinds that act before anything is sent."""
        if fault.silent:
            await wait_for_disconnect(receive, fault.stall_seconds)
            raise Dropped()
        if fault.reset:
            await drop_connection(scope, receive, reset=True)
            raise Dropped()
        if fault.latency_ms > 0:
            await self.sleep(fault.latency_ms / 1000)
        return None

    def _dispatch(self, route: Route, method: str, body: Any, query: str) -> Reply | StreamReply:
        params = dict(pair.partition("=")[::2] for pair in query.split("&") if pair)
        call = Call(route, body, params, self.settings, self.caches, self.clock)
        if route.kind == "cached_contents":
            return handle_cached_contents(call, method)
        if method != "POST":
            return google_error(404, f"Method {method} is not supported for {route.verb or route.kind}.")
        handler = _handler_for(route)
        if handler is None:
            return not_found(f"Method {route.verb!r} is not supported for {route.kind} {route.model_key!r}.")
        if "does-not-exist" in route.model_key:
            return not_found(
                f"Publisher Model `{route.model_key}` was not found or your project does not have access to it."
            )
        try:
            return handler(call)
        except Exception as exc:  # a bug in a handler must still answer like Vertex would
            log.error("emulator_handler_failed", route=route.kind, verb=route.verb, error=repr(exc))
            return google_error(500)


def create_app(
    *,
    latency_ms: float = 0.0,
    faults: FaultTable | None = None,
    authority: Authority | None = None,
    require_auth: bool = True,
    clock: Callable[[], float] = time.time,
    settings: EmulatorSettings | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> EmulatorApp:
    """The emulator's ASGI app. ``require_auth=False`` skips the bearer-token check (quick tests)."""
    return EmulatorApp(
        latency_ms=latency_ms,
        faults=faults,
        authority=authority,
        require_auth=require_auth,
        clock=clock,
        settings=settings,
        sleep=sleep,
    )


# ------------------------------------------------------------------------------------------------ helpers


def _handler_for(route: Route) -> Handler | None:
    if route.kind in ("openapi_chat", "endpoint_chat"):
        return openai_compat.chat_completions
    if route.kind == "tts":
        return predict.synthesize
    verb = route.verb
    if route.kind == "endpoint":
        if verb in ("generateContent", "streamGenerateContent"):
            return gemini.generate_content
        return predict.endpoint_predict if verb in ("predict", "rawPredict") else None
    table: dict[tuple[str, str], Handler] = {
        ("google", "generateContent"): gemini.generate_content,
        ("google", "streamGenerateContent"): gemini.generate_content,
        ("google", "countTokens"): gemini.count_tokens_reply,
        ("google", "predict"): predict.publisher_predict,
        ("google", "embedContent"): predict.embed_content,
        ("anthropic", "rawPredict"): anthropic.raw_predict,
        ("anthropic", "streamRawPredict"): anthropic.raw_predict,
        ("mistralai", "rawPredict"): openai_compat.mistral,
        ("mistralai", "streamRawPredict"): openai_compat.mistral,
        ("ai21", "rawPredict"): openai_compat.chat_completions,
        ("ai21", "streamRawPredict"): openai_compat.chat_completions,
    }
    return table.get((route.publisher, verb))


def _maybe_jobs_path(path: str) -> bool:
    """A cheap pre-filter for the jobs/storage routes, so model calls skip the jobs module entirely."""
    if path.startswith(("/upload/storage/", "/storage/", "/_emulator/jobs/")):
        return True
    return "Jobs" in path or ("/endpoints/" in path and path[-1:].isdigit())


def _model_for_log(route: Route | None, body: Any) -> str:
    if route is None:
        return ""
    if route.kind == "openapi_chat" and isinstance(body, dict) and body.get("model"):
        return str(body["model"])
    return route.model_key


def _recorded_headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k != b"authorization"}


def _error_info(reason: str) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": "aiplatform.googleapis.com"},
    }


__all__ = ["TRANSPORT_KEY", "Authority", "EmulatedConnectionReset", "EmulatorApp", "create_app"]
