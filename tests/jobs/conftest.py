"""A live emulator (auth on, real google-auth service-account flow) with Cloud Storage and job routes, and a
Router that has the jobs API, pointed at it."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from router import Router
from router.emulator.jobs import JobsEmulator
from router.emulator.oauth import TokenAuthority
from router.emulator.server import RunningEmulator, _bind, _config, _url, start_in_thread
from router.jobs import JobsAPI

BUCKET = "vr-test-bucket"


class JobsRouter(JobsAPI, Router):
    """What ``Router`` is once the lead adds ``JobsAPI`` to its bases."""


class _WithJobs:
    """The emulator app with the jobs routes in front (until app.py mounts them itself)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.jobs = JobsEmulator(app)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.jobs.handles(scope["path"]):
            await self.jobs(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _start(authority: TokenAuthority) -> tuple[RunningEmulator, JobsEmulator]:
    emulator = start_in_thread(authority=authority)
    jobs = getattr(emulator.app, "jobs", None)
    if isinstance(jobs, JobsEmulator):
        return emulator, jobs
    emulator.stop()
    import threading
    import time

    from router.emulator.app import create_app

    app = create_app(authority=authority)
    wrapped = _WithJobs(app)
    sock = _bind("127.0.0.1", 0)
    server = uvicorn.Server(_config(app))
    server.config.app = wrapped
    server.config.loaded = False
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.005)
    return RunningEmulator(url=_url("127.0.0.1", sock), app=app, server=server, thread=thread), wrapped.jobs


class JobsStack:
    def __init__(self, emulator: RunningEmulator, jobs: JobsEmulator, credentials: Path) -> None:
        self.emulator = emulator
        self.jobs = jobs
        self.credentials = credentials

    def config(self, **extra: Any) -> dict[str, Any]:
        creds = str(self.credentials)
        deployment = {
            "model_name": "gemini-flash",
            "litellm_params": {
                "model": "vertex_ai/gemini-1.5-flash-001",
                "vertex_project": "emulator-project",
                "vertex_location": "us-central1",
                "vertex_credentials": creds,
                "api_base": self.emulator.url,
            },
        }
        claude = {
            "model_name": "claude",
            "litellm_params": {
                "model": "vertex_ai/claude-3-5-sonnet-v2@20241022",
                "vertex_project": "emulator-project",
                "vertex_location": "us-east5",
                "vertex_credentials": creds,
                "api_base": self.emulator.url,
            },
        }
        account = {
            "vertex_project": "emulator-project",
            "vertex_location": "us-central1",
            "vertex_credentials": creds,
            "gcs_bucket_name": f"{BUCKET}/runs",
        }
        config: dict[str, Any] = {
            "model_list": [deployment, claude],
            "files_settings": [account],
            "finetune_settings": [{k: v for k, v in account.items() if k != "gcs_bucket_name"}],
            "environment_variables": {
                "VERTEXAI_API_BASE": self.emulator.url,
                "STORAGE_EMULATOR_HOST": self.emulator.url,
            },
        }
        config.update(extra)
        return config

    def router(self, **extra: Any) -> JobsRouter:
        return JobsRouter.from_dict(self.config(**extra))  # type: ignore[return-value]


@pytest.fixture(scope="module")
def _jobs_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobsStack]:
    authority = TokenAuthority()
    emulator, jobs = _start(authority)
    credentials = tmp_path_factory.mktemp("creds") / "sa.json"
    authority.write_credentials(credentials, token_uri=f"{emulator.url}/token")
    yield JobsStack(emulator, jobs, credentials)
    emulator.stop()


@pytest.fixture
def jobs_stack(_jobs_stack: JobsStack) -> JobsStack:
    _jobs_stack.jobs.reset()
    return _jobs_stack
