"""Time as a parameter: the engine reads ``clock()`` and waits with ``sleep(seconds)``; tests pass fakes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

# Epoch seconds, not monotonic: cooldown deadlines and usage minutes are shared through Redis between processes
# and machines, so every process must read the same time scale.
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def system_clock() -> float:
    return time.time()
