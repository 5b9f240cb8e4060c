"""The family seam: what every per-family translator provides (DESIGN.md §3).

A translator is pure data-in/data-out: no sleeping, no retries, no globals, no network. The router owns the
HTTP client, auth headers, deadlines and retries; a family only turns an OpenAI-format ``CallRequest`` into a
``PreparedRequest`` and Vertex bytes back into OpenAI objects.

The one exception is ``prepare``: an async hook for work that needs a side call before the main request
(Gemini context caching creates a ``cachedContents`` resource; a media URL that must be inlined is fetched).
It gets everything it may touch through ``CallContext`` — never a client of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import orjson

from router.errors import (
    UpstreamError,
    error_class_for_status,
    parse_retry_after,
)

CallKind = Literal["chat", "text", "embedding", "image", "speech"]


@dataclass(frozen=True, slots=True)
class Target:
    """Where one deployment sends: resolved at config load, shared by every request to it."""

    family: str
    model: str  # id as Vertex names it in publisher paths, or the endpoint id
    project: str
    location: str
    deployment_id: str
    publisher: str = "google"
    endpoint_id: str | None = None
    api_base: str | None = None
    model_name: str = ""  # the model group the caller asked for
    drop_params: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)  # family-specific deployment options


@dataclass(slots=True)
class CallRequest:
    """One OpenAI-format call. ``params`` holds every request param (``messages``, ``temperature``, ...),
    already merged with the deployment's defaults; ``stream`` is lifted out because it changes the URL."""

    kind: CallKind
    params: dict[str, Any]
    stream: bool = False

    @property
    def messages(self) -> list[dict[str, Any]]:
        value = self.params.get("messages")
        return value if isinstance(value, list) else []


@dataclass(slots=True)
class PreparedRequest:
    """An HTTP request ready to send, minus the Authorization header (added by the router)."""

    method: str
    url: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    stream: bool = False


def json_request(url: str, payload: Any, *, stream: bool = False, method: str = "POST") -> PreparedRequest:
    # Positional, in field order: built on every request, and keywords plus the default factory double its cost.
    return PreparedRequest(method, url, orjson.dumps(payload), {"content-type": "application/json"}, stream)


@dataclass(slots=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(slots=True)
class CallContext:
    """What ``prepare`` may use: the router's sender (auth added, to the same deployment), a guarded URL
    fetcher (no private addresses, size and time capped), per-Router state, and the clock."""

    send: Callable[[PreparedRequest], Awaitable[UpstreamResponse]]
    fetch_url: Callable[[str], Awaitable[tuple[bytes, str]]]
    state: MutableMapping[str, Any]
    now: Callable[[], float]


class StreamParser(Protocol):
    """Turns one upstream stream into OpenAI chunks. One instance per stream (it holds the stream's state)."""

    @property
    def done(self) -> bool:
        """The upstream's terminal event was seen (a plain ``done`` attribute satisfies this)."""
        ...

    def feed(self, data: str) -> Sequence[Any]:
        """One SSE ``data:`` payload (or one JSON line) → zero or more chunks."""
        ...

    def finish(self) -> Sequence[Any]:
        """End of stream → the closing chunks (finish_reason, usage when asked)."""
        ...


class Family(Protocol):
    name: str
    kinds: frozenset[CallKind]

    def supported_params(self, target: Target) -> frozenset[str]: ...

    def build_request(self, request: CallRequest, target: Target) -> PreparedRequest: ...

    def parse_response(self, response: UpstreamResponse, request: CallRequest, target: Target) -> Any: ...

    def stream_parser(self, request: CallRequest, target: Target) -> StreamParser: ...

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError: ...

    def needs_prepare(self, request: CallRequest) -> bool:
        """Whether ``prepare`` has anything to do for this request (checked first: most requests need nothing,
        and the context ``prepare`` takes is built only when it does)."""
        ...

    async def prepare(self, request: CallRequest, target: Target, ctx: CallContext) -> CallRequest: ...

    def split(self, request: CallRequest, target: Target) -> list[CallRequest] | None: ...

    def merge(self, parts: Sequence[Any], request: CallRequest, target: Target) -> Any: ...


class BaseFamily:
    """Defaults a family may keep: no prepare step, no splitting, Google-error classification by status."""

    name = "base"
    kinds: frozenset[CallKind] = frozenset()

    def needs_prepare(self, request: CallRequest) -> bool:
        return False

    async def prepare(self, request: CallRequest, target: Target, ctx: CallContext) -> CallRequest:
        return request

    def split(self, request: CallRequest, target: Target) -> list[CallRequest] | None:
        return None

    def merge(self, parts: Sequence[Any], request: CallRequest, target: Target) -> Any:
        raise NotImplementedError(f"{self.name} does not split requests")

    def classify_error(self, response: UpstreamResponse, target: Target) -> UpstreamError:
        return classify_by_status(response, target)


def error_message(body: bytes) -> tuple[str, str]:
    """(message, status word) from Google's ``{"error": {"code", "message", "status"}}`` or any JSON/text body."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:500].decode("utf-8", "replace").strip() or "(empty body)", ""
    if isinstance(payload, list) and payload:
        payload = payload[0]
    if isinstance(payload, dict):
        err = payload.get("error", payload)
        if isinstance(err, dict):
            return str(err.get("message") or err), str(err.get("status") or err.get("type") or "")
        return str(err), ""
    return str(payload), ""


def classify_by_status(response: UpstreamResponse, target: Target) -> UpstreamError:
    message, status_word = error_message(response.body)
    cls = error_class_for_status(response.status)
    return cls(
        f"{target.family} {response.status} {status_word}: {message}".replace("  ", " "),
        upstream_status=response.status,
        retry_after=parse_retry_after(_header(response.headers, "retry-after")),
        deployment_id=target.deployment_id,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    return value


def drop_or_reject(
    params: Mapping[str, Any], allowed: frozenset[str], target: Target, *, always_ok: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Keep the params a family can express; the rest raise UnsupportedParamError unless drop_params is on."""
    from router.errors import UnsupportedParamError

    kept: dict[str, Any] = {}
    for key, value in params.items():
        if key in allowed or key in always_ok:
            kept[key] = value
        elif value is None:
            continue
        elif not target.drop_params:
            raise UnsupportedParamError(key, target.family)
    return kept
