"""Time as a parameter: the engine reads ``clock()`` and waits with ``sleep(seconds)``; tests pass fakes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

# Epoch seconds, not monotonic: cooldown deadlines and usage minutes are shared through Redis between processes
# and machines, so every process must read the same time scale.
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# The builtin itself rather than a wrapper: the engine reads the clock several times per request.
system_clock: Clock = time.time
