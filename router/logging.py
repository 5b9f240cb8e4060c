"""Log output for the CLI and the servers: readable console lines, or JSON lines for machines.

structlog events and the standard library's records (uvicorn, httpx, ...) go through the same renderer to
stderr, so a ``--json-logs`` process writes nothing but JSON lines there.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def _dumps(obj: Any, **_: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


def _renderer(json: bool) -> Any:
    if json:
        return structlog.processors.JSONRenderer(serializer=_dumps)
    return structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())


def configure_logging(json: bool = False, level: str = "info") -> None:
    """Configure structlog and the standard library's root logger for this process."""
    numeric = _LEVELS.get(level.lower(), logging.INFO)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _renderer(json)],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)


def wants_json_logs(flag: bool, json_logs_setting: bool) -> bool:
    """``--json-logs`` or ``litellm_settings.json_logs``: either one turns JSON lines on."""
    return flag or json_logs_setting


def level_for(set_verbose: bool, default: str = "info") -> str:
    """``litellm_settings.set_verbose`` means debug logging."""
    return "debug" if set_verbose else default
