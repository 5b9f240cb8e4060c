"""The request path's logger follows structlog's configuration as it changes, and skips filtered events."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog
from structlog.testing import capture_logs

from router.routing.logs import HotLogger

from .fakes import Harness, dep


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def test_a_filtered_level_is_reported_disabled_and_an_enabled_one_enabled() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    log = HotLogger("test")
    assert not log.enabled(logging.DEBUG)
    assert log.enabled(logging.WARNING)


def test_a_later_configure_takes_effect_on_a_logger_already_used() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    log = HotLogger("test")
    assert not log.enabled(logging.DEBUG)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    assert log.enabled(logging.DEBUG)
    with capture_logs() as logs:
        log.get().info("seen", key=1)
    assert logs == [{"event": "seen", "key": 1, "log_level": "info"}]


async def test_success_events_reach_callbacks_even_when_debug_is_filtered(h: Harness) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    engine = h.engine([dep("g", "a")])
    seen: list[str] = []
    engine.add_callback(lambda event, fields: seen.append(f"{event}:{fields['deployment_id']}"))
    await engine.execute("g", h.upstream)
    assert seen == ["attempt_succeeded:a"]


async def test_success_events_are_logged_when_debug_is_on(h: Harness) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    engine = h.engine([dep("g", "a")])
    await engine.execute("g", h.upstream)  # the logger is assembled once, before capture_logs reconfigures
    with capture_logs() as logs:
        await engine.execute("g", h.upstream)
    assert [(e["event"], e["deployment_id"]) for e in logs] == [("attempt_succeeded", "a")]
