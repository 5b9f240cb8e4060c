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

from router.errors import MidStreamError, RouterError
from router.families.base import StreamParser

log = structlog.get_logger("router.stream")

Rescue = Callable[[str, RouterError], Awaitable["tuple[AsyncIterator[str], StreamParser] | None"]]


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
        self.received = "".join(chunk_text(c) for c in self._pending)
        self.hidden_params = hidden_params
        self._after_close: list[Callable[[], Awaitable[None]]] = []

    def add_close_callback(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Run ``fn`` once the stream is closed (exhausted, failed or closed by the caller)."""
        self._after_close.append(fn)

    @property
    def _hidden_params(self) -> dict[str, Any]:
        return self.hidden_params

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> Any:
        while not self._pending:
            if self._finished:
                await self.aclose()
                raise StopAsyncIteration
            await self._pull()
        chunk = self._pending.popleft()
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
            await self._fail(exc)
            return
        try:
            self._extend(self._parser.feed(data))
        except RouterError as exc:
            await self._fail(exc)

    def _extend(self, chunks: Iterable[Any]) -> None:
        for chunk in chunks:
            self.received += chunk_text(chunk)
            self._pending.append(chunk)

    async def _fail(self, error: RouterError) -> None:
        if self._rescue is not None:
            resumed = await self._rescue(self.received, error)
            if resumed is not None:
                await self._close()
                self._events, self._parser = resumed
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
            finally:
                for fn in self._after_close:
                    await fn()
