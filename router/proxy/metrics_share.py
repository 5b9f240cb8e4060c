"""One ``/metrics`` for all worker processes: each worker writes its snapshot to a shared directory.

Any worker may answer a scrape, so each one publishes its counters once a second (and once more when it
stops) as ``worker-<pid>.json``, written to a temporary name and renamed so a reader never sees half a file.
A scrape merges the live counters of the answering worker with every other worker's last snapshot: other
workers' numbers are at most one interval old. Files of workers that exited stay, so counters never go
backwards when a worker is replaced; their memory gauge is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import Any

import orjson

from router.proxy.metrics import Metrics, rss_bytes

PUBLISH_INTERVAL_S = 1.0


class MetricsShare:
    """Publishes one worker's ``Metrics`` and renders the merge of all workers' snapshots."""

    def __init__(self, directory: str | Path, metrics: Metrics, *, interval: float = PUBLISH_INTERVAL_S) -> None:
        self.directory = Path(directory)
        self.metrics = metrics
        self.interval = interval
        self.pid = os.getpid()
        self._task: asyncio.Task[None] | None = None

    @property
    def path(self) -> Path:
        return self.directory / f"worker-{self.pid}.json"

    async def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.publish()
        self._task = asyncio.create_task(self._run(), name="metrics-publish")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.publish()

    def publish(self) -> None:
        snap = self.metrics.snapshot()
        snap["rss"] = rss_bytes()
        tmp = self.directory / f".worker-{self.pid}.json.tmp"
        tmp.write_bytes(orjson.dumps(snap))
        tmp.replace(self.path)

    def render(self) -> bytes:
        merged = Metrics()
        merged.absorb(self.metrics.snapshot())
        rss: dict[int, int] = {}
        own = rss_bytes()
        if own is not None:
            rss[self.pid] = own
        for pid, snap in self._others():
            alive = _alive(pid)
            if not alive:
                snap["in_flight"] = 0
            merged.absorb(snap)
            if alive and isinstance(snap.get("rss"), int):
                rss[pid] = snap["rss"]
        return merged.render(rss)

    def _others(self) -> list[tuple[int, dict[str, Any]]]:
        found: list[tuple[int, dict[str, Any]]] = []
        for file in self.directory.glob("worker-*.json"):
            try:
                pid = int(file.stem.removeprefix("worker-"))
                if pid == self.pid:
                    continue
                found.append((pid, orjson.loads(file.read_bytes())))
            except (ValueError, OSError, orjson.JSONDecodeError):
                continue  # a file being replaced or not ours: the next scrape reads it
        return found

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.publish()
            except OSError:
                continue  # a full or vanished directory must not take the worker down


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
