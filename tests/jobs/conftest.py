"""A live emulator (auth on, real google-auth service-account flow) with Cloud Storage and job routes, and a
Router that has the jobs API, pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from router import Router
from router.emulator.jobs import JobsEmulator
from router.emulator.oauth import TokenAuthority
from router.emulator.server import RunningEmulator, start_in_thread
from router.jobs import JobsAPI

BUCKET = "vr-test-bucket"


JobsRouter = Router  # Router has JobsAPI among its bases
assert issubclass(Router, JobsAPI)


def _start(authority: TokenAuthority) -> tuple[RunningEmulator, JobsEmulator]:
    emulator = start_in_thread(authority=authority)
    jobs = emulator.app.jobs  # the emulator app mounts the Cloud Storage and job routes itself
    assert isinstance(jobs, JobsEmulator)
    return emulator, jobs


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
