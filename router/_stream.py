"""A stream handed to the caller after its first upstream event was read inside the attempt.

Everything before the first chunk is an attempt the routing engine may retry or fail over. From the first chunk
on, content has reached the caller: a failure then ends the stream with ``MidStreamError`` carrying the text
received so far, and a stream that stops without its terminal event is a failure too, never a silent success.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import structlog

from router.errors import MidStreamError, RouterError, UpstreamError
from router.families.base import StreamParser

log = structlog.get_logger("router.stream")

# Given the text delivered so far and the failure, a rescue returns a stream of the rest of the answer, or None.
Rescue = Callable[[str, RouterError], Awaitable["ChatStream | None"]]


def chunk_text(chunk: Any) -> str:
    """The text a chat or text-completion chunk adds (empty for role/tool/usage chunks)."""
    choices = getattr(chunk, "choices", None)
    if not choices:
        return ""
    first = choices[0]
    delta = getattr(first, "delta", None)
    if delta is not None:
        return getattr(delta, "content", None) or ""
    return getattr(first, "text", None) or ""


def _has_tool_calls(chunk: Any) -> bool:
    for choice in getattr(chunk, "choices", None) or ():
        delta = getattr(choice, "delta", None)
        if delta is not None and getattr(delta, "tool_calls", None):
            return True
    return False


class ChatStream:
    """Async iterator of OpenAI chunks with ``hidden_params`` known before iteration starts."""

    def __init__(
        self,
        events: AsyncIterator[str],
        parser: StreamParser,
        first: Iterable[Any],
        *,
        hidden_params: dict[str, Any],
        close: Callable[[], Awaitable[None]],
        rescue: Rescue | None = None,
    ) -> None:
        self._events = events
        self._parser = parser
        self._pending: deque[Any] = deque(first)
        self._close = close
        self._rescue = rescue
        self._finished = False
        self._closed = False
        self._pieces = [chunk_text(c) for c in self._pending]  # joined on demand: += on a str is quadratic
        self.hidden_params = hidden_params
        self._after_close: list[Callable[[], Awaitable[None]]] = []
        self._delegate: ChatStream | None = None
        self._tool_calls_delivered = any(_has_tool_calls(c) for c in self._pending)
        self._stream_id: str | None = getattr(self._pending[0], "id", None) if self._pending else None

    @property
    def received(self) -> str:
        """The text delivered to the caller so far."""
        return "".join(self._pieces)

    def set_rescue(self, rescue: Rescue | None) -> None:
        self._rescue = rescue

    def add_close_callback(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Run ``fn`` once the stream is closed (exhausted, failed or closed by the caller)."""
        self._after_close.append(fn)

    @property
    def _hidden_params(self) -> dict[str, Any]:
        return self.hidden_params

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> Any:
        if self._delegate is not None:
            return await self._next_rescued(self._delegate)
        while not self._pending:
            if self._delegate is not None:
                return await self._next_rescued(self._delegate)
            if self._finished:
                await self.aclose()
                raise StopAsyncIteration
            await self._pull()
        chunk = self._pending.popleft()
        return chunk

    async def _next_rescued(self, inner: ChatStream) -> Any:
        """Chunks of the continuation: one stream for the caller, so no second ``role``."""
        try:
            chunk = await inner.__anext__()
        except StopAsyncIteration:
            await self.aclose()
            raise
        except MidStreamError as exc:
            await self.aclose()
            # ``self.received`` already holds every chunk the caller got, the continuation's included.
            raise MidStreamError(exc.message, received=self.received, cause=exc) from exc
        for choice in getattr(chunk, "choices", None) or ():
            delta = getattr(choice, "delta", None)
            if delta is not None:
                delta.role = None
        if self._stream_id is not None and hasattr(chunk, "id"):
            chunk.id = self._stream_id
        self._pieces.append(chunk_text(chunk))
        return chunk

    async def _pull(self) -> None:
        try:
            data = await self._events.__anext__()
        except StopAsyncIteration:
            if not self._parser.done:
                await self._fail(MidStreamError("upstream stream ended without its terminal event"))
                return
            self._finished = True
            self._extend(self._parser.finish())
            return
        except RouterError as exc:
            if self._parser.done:
                # The answer was complete; only the connection's goodbye was lost.
                self._finished = True
                self._extend(self._parser.finish())
                return
            await self._fail(exc)
            return
        try:
            self._extend(self._parser.feed(data))
        except RouterError as exc:
            await self._fail(exc)
        except ValueError as exc:  # a malformed event the family could not decode
            await self._fail(UpstreamError(f"malformed stream event: {exc}"))

    def _extend(self, chunks: Iterable[Any]) -> None:
        for chunk in chunks:
            self._pieces.append(chunk_text(chunk))
            self._tool_calls_delivered = self._tool_calls_delivered or _has_tool_calls(chunk)
            self._pending.append(chunk)

    async def _fail(self, error: RouterError) -> None:
        rescue, self._rescue = self._rescue, None  # one rescue per stream
        # A continuation can only extend text: tool calls already delivered would be called twice.
        if rescue is not None and not self._tool_calls_delivered:
            await self._close()
            try:
                self._delegate = await rescue(self.received, error)
            except RouterError as rescue_error:
                log.warning("stream_rescue_failed", error=type(rescue_error).__name__)
            if self._delegate is not None:
                return
        await self.aclose()
        log.warning("stream_failed_midway", error=type(error).__name__, received_chars=len(self.received))
        raise MidStreamError(
            f"stream failed after content was delivered: {error.message}",
            received=self.received,
            cause=error,
            deployment_id=self.hidden_params.get("deployment_id"),
        ) from error

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                await self._close()
                if self._delegate is not None:
                    await self._delegate.aclose()
            finally:
                for fn in self._after_close:
                    await fn()
