"""``vertex-router serve``: the proxy on uvicorn (httptools + uvloop; or granian), one worker per core.

The config is validated and the auth decided in the parent, before any worker starts, so a bad config or a
missing key fails the command at once. Each worker then builds its own Router from the same file (factory
mode; the path and the worker count travel in environment variables because workers are fresh processes;
the count splits each key's rpm/tpm between them, see router/proxy/auth.py), then freezes its
start-up heap out of the garbage collector's view (see ``_freeze_startup_heap``).

Server choice, by ``benchmarks/proxy_load.py`` on the shared 2-core sandbox (1 worker, in front of the
emulator, loopback, two runs each, start-up heap frozen): uvicorn+httptools added 0.78-0.81 ms p50 at
concurrency 1 over calling the emulator directly (granian 1.06-1.11 ms), served 3,200 requests/s at c=16 and
3,000-3,100 at c=64 (granian 2,400-2,500 and 2,900-3,000) for 0.31-0.33 ms of CPU per request (granian
0.36-0.43) and 94 MiB RSS (granian 169). uvicorn is the default; ``VERTEX_ROUTER_SERVER=granian`` switches
(h11 is never used). Both shut down gracefully on SIGTERM: in-flight requests finish (up to 30 s), then exit 0.
"""

from __future__ import annotations

import gc
import math
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import structlog

from router.proxy.app import DEFAULT_MAX_BODY_BYTES, ProxyApp, create_app
from router.proxy.auth import ProxyAuth

CONFIG_ENV = "VERTEX_ROUTER_CONFIG"
NO_AUTH_ENV = "VERTEX_ROUTER_NO_AUTH"
JSON_LOGS_ENV = "VERTEX_ROUTER_JSON_LOGS"
LOG_LEVEL_ENV = "VERTEX_ROUTER_LOG_LEVEL"
SERVER_ENV = "VERTEX_ROUTER_SERVER"
METRICS_DIR_ENV = "VERTEX_ROUTER_METRICS_DIR"
WORKERS_ENV = "VERTEX_ROUTER_WORKERS"
GRACEFUL_SHUTDOWN_S = 30
# Longer than common load balancers' idle timeouts (GCP 600 s is configurable; AWS ALB 60 s), so the balancer
# closes idle connections first and never sends a request on one the proxy just closed (a spurious 502).
KEEP_ALIVE_S = 75

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def serve_from_args(args: Any) -> int:
    """Run the proxy until interrupted. ``args``: config, host, port, workers, json_logs, no_auth (log_level)."""
    from router.config import load_config

    config_path = str(Path(args.config).resolve())
    config = load_config(config_path)  # a ConfigError propagates: the CLI prints its problems
    auth = ProxyAuth.from_config(config)
    no_auth = bool(getattr(args, "no_auth", False))
    if auth is None and not no_auth:
        sys.stderr.write(
            "vertex-router serve: no API key configured. Set general_settings.master_key (or the environment "
            "variable VERTEX_ROUTER_MASTER_KEY), or pass --no-auth to serve without authentication.\n"
        )
        return EXIT_USAGE
    json_logs = bool(getattr(args, "json_logs", False)) or bool(config.litellm_settings.json_logs)
    log_level = str(getattr(args, "log_level", None) or "info")
    workers = int(args.workers or default_workers())
    os.environ[CONFIG_ENV] = config_path
    os.environ[NO_AUTH_ENV] = "1" if no_auth else ""
    os.environ[JSON_LOGS_ENV] = "1" if json_logs else ""
    os.environ[LOG_LEVEL_ENV] = log_level
    os.environ[WORKERS_ENV] = str(workers)  # each worker enforces 1/workers of every key's rpm and tpm
    _configure_logging(json_logs, log_level)
    structlog.get_logger("router.proxy").info(
        "proxy_starting",
        url=f"http://{args.host}:{args.port}",
        workers=workers,
        model_groups=len(config.group_names()),
        auth="off" if auth is None else f"{len(auth.keys)} keys",
    )
    # uvicorn shuts down gracefully on SIGTERM and then re-raises the signal to the previous handler; with the
    # default handler the process would die by the signal. A finished graceful shutdown is a success: exit 0.
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: None)
    metrics_dir = tempfile.mkdtemp(prefix="vertex-router-metrics-") if workers > 1 else ""
    os.environ[METRICS_DIR_ENV] = metrics_dir
    try:
        if server_choice() == "granian":
            run_granian(host=args.host, port=int(args.port), workers=workers, log_level=log_level)
        else:
            run_uvicorn(host=args.host, port=int(args.port), workers=workers, log_level=log_level)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return EXIT_OK


def default_workers(cgroup_cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """One worker per core this process may use: CPU affinity, capped by a cgroup v2 CPU quota.

    ``os.cpu_count()`` is the host's count; a container limited to 2 CPUs on a 64-core node would start 64
    workers (and 64 Routers' worth of memory).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        quota, period = cgroup_cpu_max.read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def server_choice() -> str:
    """``VERTEX_ROUTER_SERVER`` (uvicorn or granian); uvicorn by default (see the module docstring)."""
    wanted = os.environ.get(SERVER_ENV, "").strip().lower()
    return wanted if wanted in ("uvicorn", "granian") else "uvicorn"


def run_granian(*, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """granian (Rust HTTP server, ASGI interface) with uvloop workers; each worker runs the app factory."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.log import LogLevels

    Granian(
        "router.proxy.server:app_from_env",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop,
        http=HTTPModes.http1,
        websockets=False,
        factory=True,
        backlog=4096,
        log_enabled=True,
        log_level=LogLevels(log_level),
        # granian's records go to the root logger (router.logging's handler: console or JSON lines) instead of
        # granian's own plain-text handlers.
        log_dictconfig={
            "loggers": {
                "_granian": {"handlers": [], "propagate": True},
                "granian.access": {"handlers": [], "propagate": True},
            }
        },
        log_access=False,
        workers_kill_timeout=GRACEFUL_SHUTDOWN_S,
    ).serve()


def run_uvicorn(*, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """uvicorn with the fast parser and loop (never h11), no access log, graceful shutdown."""
    import uvicorn

    uvicorn.run(
        "router.proxy.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http="httptools",
        loop="uvloop",
        lifespan="on",
        access_log=False,
        log_config=None,  # our handler (router.logging) renders uvicorn's records too
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        timeout_keep_alive=KEEP_ALIVE_S,
        server_header=False,
        backlog=4096,
    )


def app_from_env() -> ProxyApp:
    """uvicorn's factory, run once in each worker: a Router from the config path the parent validated."""
    from router import Router

    _configure_logging(os.environ.get(JSON_LOGS_ENV) == "1", os.environ.get(LOG_LEVEL_ENV) or "info")
    router = Router.from_yaml(os.environ[CONFIG_ENV])
    auth = ProxyAuth.from_config(router.config, workers=workers_from_env())
    if auth is None and os.environ.get(NO_AUTH_ENV) != "1":
        raise RuntimeError("no API key configured and --no-auth not given")
    app = create_app(router, auth=auth, max_body_bytes=max_body_bytes(router.config))
    if os.environ.get(METRICS_DIR_ENV):
        app.enable_shared_metrics(os.environ[METRICS_DIR_ENV])
    _freeze_startup_heap()
    return app


def workers_from_env() -> int:
    """How many workers serve together, as the parent set it; 1 when unset or unreadable (one process)."""
    try:
        return max(1, int(os.environ.get(WORKERS_ENV) or 1))
    except ValueError:
        return 1


def _freeze_startup_heap() -> None:
    """Move everything alive after start-up (modules, config, Router, app) out of the collector's view. A full
    collection otherwise walks that whole heap while every in-flight request waits: measured here, ~30 ms
    pauses that hit ~1 % of requests at concurrency 16 (p99 36 ms → 9 ms with the freeze)."""
    gc.collect()
    gc.freeze()


def max_body_bytes(config: Any) -> int:
    """``general_settings.max_request_size_mb`` in bytes, else the default (10 MiB)."""
    size_mb = getattr(getattr(config, "general_settings", None), "max_request_size_mb", None)
    return int(size_mb * 1024 * 1024) if size_mb else DEFAULT_MAX_BODY_BYTES


def _configure_logging(json_logs: bool, level: str) -> None:
    import logging

    from router.logging import configure_logging

    configure_logging(json=json_logs, level=level)
    # httpx logs every upstream request at INFO: a log line per call on the hot path, and the URL is noise
    # next to the router's own attempt events.
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)
