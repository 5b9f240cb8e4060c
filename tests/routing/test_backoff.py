"""backoff_delay as a table: (attempt, Retry-After, settings, random draw) -> seconds."""

from __future__ import annotations

import random

import pytest

from router.routing import RoutingSettings, backoff_delay


class FixedRandom(random.Random):
    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("attempt", "retry_after", "draw", "settings", "expected"),
    [
        (0, None, 1.0, {}, 0.5),  # base 0.5, full draw
        (0, None, 0.0, {}, 0.25),  # equal jitter: never below half
        (1, None, 1.0, {}, 1.0),
        (3, None, 1.0, {}, 4.0),
        (4, None, 1.0, {}, 8.0),  # backoff_max
        (10, None, 0.5, {}, 6.0),  # capped at 8, then jittered
        (0, 7.0, 0.0, {}, 7.0),  # Retry-After honoured exactly, no jitter
        (5, 7.0, 1.0, {}, 7.0),  # regardless of the attempt number
        (0, 3600.0, 0.3, {}, 60.0),  # capped at retry_after_cap
        (0, 3600.0, 0.3, {"retry_after_cap": 20}, 20.0),
        (0, 0.0, 1.0, {}, 0.5),  # a zero Retry-After means "no hint"
        (0, None, 1.0, {"retry_after": 2.0}, 2.0),  # LiteLLM's retry_after: a floor
        (0, 1.0, 1.0, {"retry_after": 2.0}, 2.0),
        (2, None, 1.0, {"backoff_base": 1.0, "backoff_max": 3.0}, 3.0),
    ],
)
def test_backoff_delay_table(
    attempt: int, retry_after: float | None, draw: float, settings: dict[str, float], expected: float
) -> None:
    assert backoff_delay(attempt, retry_after, RoutingSettings(**settings), FixedRandom(draw)) == pytest.approx(
        expected
    )
