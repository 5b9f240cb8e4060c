"""The sync API's event loop: one private loop thread per Router.

``Router.completion`` must work both in plain scripts and where a loop is already running (Jupyter, an async
web framework calling sync code). ``asyncio.run`` fails in the second case, so sync calls run their coroutine on
a loop the Router owns, in a daemon thread started on first use.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="vertex-router-sync", daemon=True)
                self._thread.start()
            return self._loop

    @property
    def running_loop(self) -> asyncio.AbstractEventLoop | None:
        """The private loop if it was ever started (without starting it)."""
        return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def iterate(self, stream: AsyncIterator[T]) -> Generator[T, None, None]:
        """Drive an async iterator living on the private loop from sync code, one item at a time."""
        try:
            while True:
                try:
                    yield self.run(_next(stream))
                except StopAsyncIteration:
                    return
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                self.run(close())

    def stop(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)


async def _next(stream: AsyncIterator[T]) -> T:
    return await stream.__anext__()
