"""Several workers, one /metrics: snapshots merged across processes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from router.proxy.metrics import Metrics
from router.proxy.metrics_share import MetricsShare


def _worker(directory: Path, pid: int, requests: int) -> MetricsShare:
    metrics = Metrics()
    for _ in range(requests):
        metrics.observe_request("/chat/completions", 200, 0.003)
    metrics.on_router_event("attempt_failed", {"deployment_id": "eu", "status": 503, "latency_ms": 2.0})
    share = MetricsShare(directory, metrics)
    share.pid = pid
    directory.mkdir(parents=True, exist_ok=True)
    share.publish()
    return share


def test_scrape_sums_every_workers_counters_and_histograms(tmp_path: Path) -> None:
    _worker(tmp_path, os.getppid(), requests=3)
    answering = _worker(tmp_path, os.getpid(), requests=2)
    answering.metrics.observe_request("/chat/completions", 200, 0.003)  # live, not yet published
    text = answering.render().decode()
    assert 'vertex_router_requests_total{route="/chat/completions",status="200"} 6' in text
    assert 'vertex_router_request_duration_seconds_count{route="/chat/completions"} 6' in text
    assert 'vertex_router_upstream_attempts_total{deployment="eu",status="503"} 2' in text
    assert f'vertex_router_worker_resident_memory_bytes{{pid="{os.getppid()}"}}' in text


def test_an_exited_workers_counters_stay_but_its_memory_gauge_goes(tmp_path: Path) -> None:
    exited = subprocess.Popen(["true"])
    exited.wait()
    dead_pid = exited.pid
    _worker(tmp_path, dead_pid, requests=4)
    answering = _worker(tmp_path, os.getpid(), requests=1)
    text = answering.render().decode()
    assert 'vertex_router_requests_total{route="/chat/completions",status="200"} 5' in text
    assert f'pid="{dead_pid}"' not in text


def test_half_written_or_foreign_files_are_ignored(tmp_path: Path) -> None:
    answering = _worker(tmp_path, os.getpid(), requests=1)
    (tmp_path / "worker-123.json").write_bytes(b'{"requests": [[')
    (tmp_path / "worker-abc.json").write_bytes(b"{}")
    assert 'status="200"} 1' in answering.render().decode()
