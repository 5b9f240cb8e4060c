from __future__ import annotations

import os
from pathlib import Path

import pytest

from router.proxy.server import default_workers, max_body_bytes, server_choice


def test_workers_follow_a_cgroup_cpu_quota(tmp_path: Path) -> None:
    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")  # 1.5 CPUs -> 2 workers
    assert default_workers(quota) == min(2, len(os.sched_getaffinity(0)))
    quota.write_text("50000 100000\n")
    assert default_workers(quota) == 1


def test_workers_without_a_quota_are_the_usable_cores(tmp_path: Path) -> None:
    unlimited = tmp_path / "cpu.max"
    unlimited.write_text("max 100000\n")
    assert default_workers(unlimited) == len(os.sched_getaffinity(0))
    assert default_workers(tmp_path / "missing") == len(os.sched_getaffinity(0))


def test_body_limit_comes_from_general_settings() -> None:
    class Settings:
        max_request_size_mb = 2.5

    class Config:
        general_settings = Settings()

    assert max_body_bytes(Config()) == int(2.5 * 1024 * 1024)
    assert max_body_bytes(object()) == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("env", "expected"), [("uvicorn", "uvicorn"), ("granian", "granian"), ("", "uvicorn"), ("h11", "uvicorn")]
)
def test_server_choice(monkeypatch: pytest.MonkeyPatch, env: str, expected: str) -> None:
    monkeypatch.setenv("VERTEX_ROUTER_SERVER", env)
    assert server_choice() == expected
