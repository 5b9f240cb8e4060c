"""The proxy as a raw ASGI app: resolve the route, run its handler, turn any exception into an error answer.

``create_app(router, auth=...)`` is the whole public surface. Every OpenAI route answers with and without
the ``/v1`` prefix; ``/vertex-ai/{path}`` (also ``/vertex_ai/{path}``) is the native pass-through.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable

import orjson
import structlog

from router.errors import RouterError
from router.proxy.asgi import Exchange, Receive, Scope, Send
from router.proxy.auth import ProxyAuth
from router.proxy.errors import MethodNotAllowed, RouteNotFound, error_answer
from router.proxy.jobs import JobsRoutes
from router.proxy.metrics import Metrics
from router.proxy.metrics_share import MetricsShare
from router.proxy.routes import Handlers, RouterLike

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
_PASSTHROUGH_PREFIXES = ("/vertex-ai/", "/vertex_ai/")
_PASSTHROUGH_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})

Bound = Callable[[Exchange], Awaitable[None]]


class ProxyApp:
    """The ASGI callable. State (Router, auth buckets, metrics) lives here, one instance per worker."""

    def __init__(self, router: RouterLike, *, auth: ProxyAuth | None, max_body_bytes: int) -> None:
        self.router = router
        self.auth = auth
        self.metrics = Metrics()
        self.log: structlog.typing.FilteringBoundLogger = structlog.get_logger("router.proxy")
        self.handlers = Handlers(router, auth, self.metrics, max_body_bytes, self.log)
        h = self.handlers
        self._post: dict[str, Bound] = {
            "/chat/completions": h.chat,
            "/completions": h.completions,
            "/embeddings": h.embeddings,
            "/images/generations": h.images,
            "/audio/speech": h.speech,
        }
        self._get: dict[str, Bound] = {
            "/models": h.models,
            "/health/liveliness": h.liveliness,
            "/health/liveness": h.liveliness,
            "/health/readiness": h.readiness,
            "/health": h.health,
            "/metrics": h.metrics_text,
            "/openapi.json": self._openapi,
        }
        self._openapi_body: bytes | None = None
        self.metrics_share: MetricsShare | None = None
        # Files, batches and fine-tuning (router/proxy/jobs.py): looked up only when no OpenAI route matched.
        self.jobs = JobsRoutes(router, auth, max_body_bytes, self.log)
        add_callback = getattr(router, "add_callback", None)
        if add_callback is not None:
            add_callback(self.metrics.on_router_event)

    def enable_shared_metrics(self, directory: str) -> None:
        """Merge every worker's counters into each ``/metrics`` answer (several worker processes)."""
        self.metrics_share = MetricsShare(directory, self.metrics)
        self.handlers.share = self.metrics_share

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        ex = Exchange.from_scope(scope, receive, send)
        # Each ASGI request runs in its own task and context: the Router's log events carry the request id.
        structlog.contextvars.bind_contextvars(request_id=ex.request_id.decode())
        label = "unknown"
        self.metrics.in_flight += 1
        try:
            label, handler = self._resolve(ex)
            await handler(ex)
        except Exception as exc:
            await self._answer_error(ex, exc, label)
        finally:
            self.metrics.in_flight -= 1
            self.metrics.observe_request(label, ex.status, ex.elapsed())

    def _resolve(self, ex: Exchange) -> tuple[str, Bound]:
        """The metrics label and handler for this method and path; 404/405 otherwise."""
        path = ex.path
        if path.startswith(_PASSTHROUGH_PREFIXES):
            if ex.method not in _PASSTHROUGH_METHODS:
                raise MethodNotAllowed(ex.method, ex.path, ", ".join(sorted(_PASSTHROUGH_METHODS)))
            rest = path[len("/vertex-ai/") :]
            return "/vertex-ai", lambda e: self.handlers.passthrough(e, rest)
        if path.startswith("/v1/"):
            path = path[3:]
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/")
        table = self._post if ex.method == "POST" else self._get if ex.method in ("GET", "HEAD") else {}
        handler = table.get(path)
        if handler is not None:
            return path, handler
        if ex.method == "GET" and path.startswith("/models/"):
            name = path[len("/models/") :]
            return "/models/{model}", lambda e: self.handlers.model(e, name)
        jobs_route = self.jobs.resolve(ex.method, path)
        if jobs_route is not None:
            return jobs_route
        if path in self._post:
            raise MethodNotAllowed(ex.method, ex.path, "POST")
        if path in self._get:
            raise MethodNotAllowed(ex.method, ex.path, "GET, HEAD")
        raise RouteNotFound(ex.method, ex.path)

    async def _answer_error(self, ex: Exchange, exc: Exception, label: str) -> None:
        status, headers, body = error_answer(exc)
        if not isinstance(exc, RouterError):
            # Frames only: an exception's message can quote request data (a prompt, a key).
            frames = [
                f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in traceback.extract_tb(exc.__traceback__)
            ]
            self.log.error(
                "request_failed",
                request_id=ex.request_id.decode(),
                route=label,
                error_type=type(exc).__name__,
                frames=frames[-10:],
            )
        elif status >= 500:
            self.log.warning(
                "request_failed",
                request_id=ex.request_id.decode(),
                route=label,
                status=status,
                error_type=type(exc).__name__,
            )
        if ex.response_started:
            return  # the status line is gone; a stream reports its own failure in-band
        await ex.respond_json(status, body, headers)

    async def _openapi(self, ex: Exchange) -> None:
        if self._openapi_body is None:
            from router.proxy.openapi import openapi_document

            self._openapi_body = orjson.dumps(openapi_document())
        await ex.respond_json(200, self._openapi_body)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.metrics_share is not None:
                    await self.metrics_share.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.metrics_share is not None:
                    await self.metrics_share.stop()
                try:
                    await self.router.aclose()
                except Exception as exc:
                    self.log.warning("router_close_failed", error_type=type(exc).__name__)
                if self.auth is not None:
                    await self.auth.aclose()  # the key limits' Redis pool, when there is one
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(router: RouterLike, *, auth: ProxyAuth | None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> ProxyApp:
    """The proxy's ASGI app around a Router. ``auth`` None serves without authentication (``--no-auth``)."""
    return ProxyApp(router, auth=auth, max_body_bytes=max_body_bytes)
