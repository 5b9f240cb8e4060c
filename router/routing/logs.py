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


class HotLogger:
    __slots__ = ("_bound", "_key", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._key: tuple[Any, Any, Any, Any] | None = None
        self._bound: Any = None

    def get(self) -> Any:
        """The bound logger for the current structlog configuration."""
        config = structlog.get_config()
        key = self._key
        # Identity, not equality: the cached key holds references, so an identity cannot be reused meanwhile.
        if (
            key is None
            or config["processors"] is not key[0]
            or config["wrapper_class"] is not key[1]
            or config["logger_factory"] is not key[2]
            or config["context_class"] is not key[3]
        ):
            self._key = (
                config["processors"],
                config["wrapper_class"],
                config["logger_factory"],
                config["context_class"],
            )
            self._bound = structlog.get_logger(self._name).bind()
        return self._bound

    def enabled(self, level: int) -> bool:
        """False only when the configured wrapper filters ``level`` out (``make_filtering_bound_logger``)."""
        # Asked each time: a standard-library logger's level may change without a structlog configure.
        check = getattr(self.get(), "is_enabled_for", None)
        return True if check is None else bool(check(level))
