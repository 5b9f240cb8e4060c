"""A structlog logger for the request path.

``structlog.get_logger()`` returns a lazy proxy that assembles a new bound logger (logger factory, processors,
context) on every event: ~2 µs, on every request, even for a debug event that is filtered out. ``HotLogger``
assembles it once per structlog configuration — it compares the configuration's identity on each use, so
``structlog.configure`` and ``structlog.testing.capture_logs`` still take effect at once — and tells whether a
level is enabled, so a filtered event costs neither its fields nor the call.
"""

from __future__ import annotations

from typing import Any

import structlog

# structlog's live configuration object. ``get_config()`` copies it into a new dict on every call (~0.4 µs, once
# per request here); its attributes are read directly when this structlog has them, else ``get_config()`` is used.
_LIVE_CONFIG: Any = getattr(getattr(structlog, "_config", None), "_CONFIG", None)
if not all(
    hasattr(_LIVE_CONFIG, name)
    for name in ("default_processors", "default_wrapper_class", "logger_factory", "default_context_class")
):
    _LIVE_CONFIG = None


def _config_parts() -> tuple[Any, Any, Any, Any]:
    """(processors, wrapper_class, logger_factory, context_class) of the current structlog configuration."""
    live = _LIVE_CONFIG
    if live is not None:
        return live.default_processors, live.default_wrapper_class, live.logger_factory, live.default_context_class
    config = structlog.get_config()
    return config["processors"], config["wrapper_class"], config["logger_factory"], config["context_class"]


# structlog's level-filtering wrapper classes (one cached class per level) → that level: for these, whether a
# level is enabled is fixed by the configuration, so it is decided once per configuration, not per event.
_FIXED_LEVELS = {structlog.make_filtering_bound_logger(level): level for level in (0, 10, 20, 30, 40, 50)}


class HotLogger:
    __slots__ = ("_cached", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        # (processors, wrapper_class, logger_factory, context_class, bound logger, fixed level or None): one
        # attribute, replaced whole, so a thread never sees a new configuration paired with an old logger.
        self._cached: tuple[Any, Any, Any, Any, Any, int | None] | None = None

    def get(self) -> Any:
        """The bound logger for the current structlog configuration."""
        return self._current()[4]

    def _current(self) -> tuple[Any, Any, Any, Any, Any, int | None]:
        parts = _config_parts()
        cached = self._cached
        # Identity, not equality: the cache holds references, so an identity cannot be reused meanwhile.
        if (
            cached is None
            or parts[0] is not cached[0]
            or parts[1] is not cached[1]
            or parts[2] is not cached[2]
            or parts[3] is not cached[3]
        ):
            bound = structlog.get_logger(self._name).bind()
            cached = self._cached = (*parts, bound, _FIXED_LEVELS.get(parts[1]))
        return cached

    def enabled(self, level: int) -> bool:
        """False only when the configured wrapper filters ``level`` out (``make_filtering_bound_logger``)."""
        cached = self._current()
        if cached[5] is not None:
            return level >= cached[5]
        # Asked each time: a standard-library logger's level may change without a structlog configure.
        check = getattr(cached[4], "is_enabled_for", None)
        return True if check is None else bool(check(level))
