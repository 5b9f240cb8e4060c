"""The handlers behind each route: authenticate, parse once, validate, call the Router, answer.

Each handler sends its own response (streams must), and raises for anything that becomes an error answer;
``app.py`` turns the exception into OpenAI's error JSON.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
import structlog

from router.errors import CredentialsError, UnknownModelError
from router.proxy.asgi import Exchange, Headers
from router.proxy.auth import ApiKey, ProxyAuth
from router.proxy.errors import NotImplementedByRouter
from router.proxy.metrics import Metrics
from router.proxy.metrics_share import MetricsShare
from router.proxy.streaming import DONE, SSE_HEADERS, DisconnectWatch, Relay, sse_frame
from router.proxy.validation import (
    CHAT,
    COMPLETIONS,
    EMBEDDINGS,
    IMAGES,
    SPEECH,
    RouteSpec,
    parse_json_object,
    validate,
)

# Headers never forwarded upstream by the pass-through: the client's proxy key, and hop-by-hop headers.
_PASSTHROUGH_DROP_REQUEST = frozenset(
    {
        b"authorization",
        b"x-api-key",
        b"x-goog-api-key",
        b"host",
        b"content-length",
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"te",
        b"upgrade",
        b"proxy-authorization",
        b"cookie",
    }
)
_PASSTHROUGH_DROP_RESPONSE = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding", "set-cookie"}
)


class RouterLike(Protocol):
    """The slice of ``router.Router`` the proxy calls."""

    def model_names(self) -> list[str]: ...
    async def acompletion(self, *, model: str, messages: list[Any], stream: bool = False, **params: Any) -> Any: ...
    async def atext_completion(self, *, model: str, prompt: Any, stream: bool = False, **params: Any) -> Any: ...
    async def aembedding(self, *, model: str, input: Any, **params: Any) -> Any: ...
    async def aimage_generation(self, *, model: str, prompt: str, **params: Any) -> Any: ...
    async def aspeech(self, *, model: str, input: str, voice: Any = None, **params: Any) -> Any: ...
    async def readiness(self) -> dict[str, Any]: ...
    def health(self) -> dict[str, Any]: ...
    async def aclose(self) -> None: ...


# The pass-through is looked up at call time: a Router without it answers 501 instead of failing to start.
Passthrough = Callable[[str, str, str, dict[str, str], bytes], Awaitable[tuple[int, dict[str, str], Any]]]


Handler = Callable[[Exchange], Awaitable[None]]


@dataclass
class Handlers:
    """Route handlers sharing the Router, the auth and the metrics of one app."""

    router: RouterLike
    auth: ProxyAuth | None
    metrics: Metrics
    max_body_bytes: int
    log: structlog.typing.FilteringBoundLogger

    def __post_init__(self) -> None:
        self.share: MetricsShare | None = None
        self.created = int(time.time())
        self.model_ids = list(self.router.model_names())

    # --- OpenAI routes -------------------------------------------------------------------------------------

    async def chat(self, ex: Exchange) -> None:
        data = await self._model_request(ex, CHAT)
        await self._call(ex, self.router.acompletion, data)

    async def completions(self, ex: Exchange) -> None:
        data = await self._model_request(ex, COMPLETIONS)
        await self._call(ex, self.router.atext_completion, data)

    async def embeddings(self, ex: Exchange) -> None:
        # encoding_format (the openai SDK sends "base64" by default) is the embeddings family's to honour.
        data = await self._model_request(ex, EMBEDDINGS)
        await self._call(ex, self.router.aembedding, data)

    async def images(self, ex: Exchange) -> None:
        data = await self._model_request(ex, IMAGES)
        await self._call(ex, self.router.aimage_generation, data)

    async def speech(self, ex: Exchange) -> None:
        data = await self._model_request(ex, SPEECH)
        started = time.perf_counter()
        response = await self.router.aspeech(**data)
        ex.router_seconds = time.perf_counter() - started
        headers = [(b"content-type", response.content_type.encode())]
        headers.extend(self._route_headers(ex, response._hidden_params))
        await ex.respond(200, headers, response.content)

    async def models(self, ex: Exchange) -> None:
        key = self._authenticate(ex)
        data = [self._model_entry(name) for name in self.model_ids if key is None or key.may_use(name)]
        await ex.respond_json(200, orjson.dumps({"object": "list", "data": data}))

    async def model(self, ex: Exchange, name: str) -> None:
        key = self._authenticate(ex)
        if name not in self.model_ids or (key is not None and not key.may_use(name)):
            raise UnknownModelError(name)
        await ex.respond_json(200, orjson.dumps(self._model_entry(name)))

    # --- operations ----------------------------------------------------------------------------------------

    async def liveliness(self, ex: Exchange) -> None:
        await ex.respond_json(200, b'"I\'m alive!"')

    async def readiness(self, ex: Exchange) -> None:
        try:
            detail = await self.router.readiness()
        except CredentialsError as exc:
            self.log.warning("readiness_failed", error_type=type(exc).__name__, source=exc.source)
            body = {"status": "unhealthy", "reason": "upstream credentials are not usable"}
            await ex.respond_json(503, orjson.dumps(body))
            return
        await ex.respond_json(200, orjson.dumps({**detail, "status": "healthy"}, default=str))

    async def health(self, ex: Exchange) -> None:
        self._authenticate(ex)
        await ex.respond_json(200, orjson.dumps(self.router.health(), default=str))

    async def metrics_text(self, ex: Exchange) -> None:
        body = self.share.render() if self.share is not None else self.metrics.render()
        await ex.respond(200, [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8")], body)

    async def passthrough(self, ex: Exchange, path: str) -> None:
        """A native Vertex REST call forwarded with the proxy's credentials; the client's key never leaves."""
        self._authenticate(ex)
        forward: Passthrough | None = getattr(self.router, "passthrough", None)
        if forward is None:
            raise NotImplementedByRouter("The Vertex pass-through is not available in this build.")
        body = await ex.read_body(self.max_body_bytes)
        headers = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in ex.headers.items()
            if k not in _PASSTHROUGH_DROP_REQUEST
        }
        started = time.perf_counter()
        status, up_headers, content = await forward(ex.method, path, ex.query.decode("latin-1"), headers, body)
        ex.router_seconds = time.perf_counter() - started
        out: Headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in up_headers.items()
            if k.lower() not in _PASSTHROUGH_DROP_RESPONSE
        ]
        if isinstance(content, bytes | bytearray):
            await ex.respond(status, out, bytes(content))
            return
        await ex.start(status, out)
        await Relay(ex, log=self.log).run(content, bytes, _closer(content))

    # --- shared steps --------------------------------------------------------------------------------------

    def _authenticate(self, ex: Exchange) -> ApiKey | None:
        return None if self.auth is None else self.auth.authenticate(ex.headers)

    async def _model_request(self, ex: Exchange, spec: RouteSpec) -> dict[str, Any]:
        """Authenticate, read and validate the body, check the key may use the model and has rpm left."""
        key = self._authenticate(ex)
        data = parse_json_object(await ex.read_body(self.max_body_bytes))
        validate(data, spec)
        if key is not None and self.auth is not None:
            self.auth.authorize(key, data["model"])
            await self.auth.admit(key)
            ex.key = key
        return data

    async def _call(self, ex: Exchange, method: Callable[..., Awaitable[Any]], data: dict[str, Any]) -> None:
        """The Router call and the answer (JSON or SSE); a client that leaves cancels the call."""
        watch = DisconnectWatch(ex)
        streamed: list[int] = []  # the stream's usage chunks' tokens, charged to the key when it ends
        try:
            started = time.perf_counter()
            result = await method(**data)
            ex.router_seconds = time.perf_counter() - started
            model = data["model"]
            if not data.get("stream"):
                watch.stop()
                spent = self._count_usage(ex, model, getattr(result, "usage", None))
                body = orjson.dumps(result.model_dump())
                await ex.respond_json(200, body, self._route_headers(ex, result._hidden_params))
                await self._charge(ex, spent)  # after answering: the client does not wait for Redis
                return
            headers = list(SSE_HEADERS)
            headers.extend(self._route_headers(ex, getattr(result, "hidden_params", None) or {}))
            await ex.start(200, headers)

            def encode(chunk: Any) -> bytes:
                usage = getattr(chunk, "usage", None)
                if usage is not None:
                    streamed.append(self._count_usage(ex, model, usage))
                return sse_frame(chunk)

            outcome = await Relay(ex, log=self.log).run(result, encode, _closer(result), done=DONE, watch=watch)
            if outcome == "disconnected":
                self._disconnected(ex)
        except asyncio.CancelledError:
            if not watch.absorb():
                raise
            self._disconnected(ex)
        finally:
            watch.stop()
        # A stream's tokens are charged once it ended (also when the client left: they were spent).
        await self._charge(ex, sum(streamed))

    def _disconnected(self, ex: Exchange) -> None:
        # 499: nginx's "client closed request"; only metrics and logs ever see it.
        ex.status = 499
        self.log.info("client_disconnected", request_id=ex.request_id.decode())

    def _count_usage(self, ex: Exchange, model: str, usage: Any) -> int:
        """Tokens into the metrics; the total to charge to the key's tpm budget (0 when it has none)."""
        if usage is None:
            return 0
        self.metrics.count_usage(model, usage)
        if ex.key is None or ex.key.tpm is None:
            return 0
        total = getattr(usage, "total_tokens", 0) or (
            (getattr(usage, "prompt_tokens", 0) or 0) + (getattr(usage, "completion_tokens", 0) or 0)
        )
        return int(total)

    async def _charge(self, ex: Exchange, tokens: int) -> None:
        if tokens and ex.key is not None and self.auth is not None:
            await self.auth.charge_tokens(ex.key, tokens)

    def _route_headers(self, ex: Exchange, hidden: dict[str, Any]) -> Headers:
        """x-router-* headers; the overhead is the Router's own plus the proxy's time outside the Router call."""
        headers: Headers = []
        deployment = hidden.get("deployment_id")
        if deployment is not None:
            headers.append((b"x-router-deployment", str(deployment).encode()))
        attempts = hidden.get("attempts")
        if attempts is not None:
            headers.append((b"x-router-attempts", str(attempts).encode()))
        router_overhead = hidden.get("overhead_ms")
        proxy_ms = (ex.elapsed() - ex.router_seconds) * 1000.0
        total = proxy_ms + (float(router_overhead) if isinstance(router_overhead, int | float) else 0.0)
        headers.append((b"x-router-overhead-ms", f"{total:.3f}".encode()))
        return headers

    def _model_entry(self, name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": self.created, "owned_by": "vertex-router"}


def _closer(stream: Any) -> Callable[[], Awaitable[None]]:
    """The stream's ``aclose`` (ChatStream and async generators have one), or a no-op."""
    close = getattr(stream, "aclose", None)
    if close is None:

        async def noop() -> None:
            return None

        return noop
    return close  # type: ignore[no-any-return]
