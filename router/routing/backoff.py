"""The wait before retrying the same deployment (or waiting out a fully cooling group)."""

from __future__ import annotations

import random

from router.routing.settings import RoutingSettings


def backoff_delay(attempt: int, retry_after: float | None, settings: RoutingSettings, rng: random.Random) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based) on a deployment that already failed.

    An upstream ``Retry-After`` is honoured exactly (it is the server's word), capped at ``retry_after_cap``.
    Otherwise capped exponential backoff ``backoff_base * 2**attempt`` (at most ``backoff_max``) with equal
    jitter: a uniform draw in [delay/2, delay], so concurrent retries spread out but never wait longer than the
    cap. ``retry_after`` (LiteLLM's minimum backoff setting) is a floor in both cases.
    """
    floor = max(0.0, settings.retry_after)
    if retry_after is not None and retry_after > 0:
        return max(floor, min(retry_after, settings.retry_after_cap))
    ceiling = min(settings.backoff_max, settings.backoff_base * (2.0 ** max(0, attempt)))
    jittered = ceiling * (0.5 + 0.5 * rng.random())
    return max(floor, jittered)
