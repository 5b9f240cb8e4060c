"""Bad batch files and settings fail with errors naming the line or the setting, before anything is uploaded."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from router.errors import ConfigError, InvalidRequestError

from .conftest import BUCKET, JobsStack


def line(custom_id: str = "r1", model: str = "gemini-flash", **body: Any) -> bytes:
    payload = {"model": model, "messages": [{"role": "user", "content": "hi"}], **body}
    return orjson.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": payload})


def nothing_uploaded(stack: JobsStack) -> bool:
    return stack.jobs.storage.listing(BUCKET, "") == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (line("a") + b"\n{not json\n", "line 2: not valid JSON"),
        (line("a") + b"\n" + line("b", model="gpt-4o"), "line 2: model 'gpt-4o' is not in the config"),
        (line("a") + b"\n\n" + line("a"), "line 3: custom_id 'a' repeats line 1"),
        (line("a") + b"\n" + line("b", model="claude"), "line 2: model 'claude' differs from line 1"),
        (b"[1, 2]\n", "line 1: each line must be a JSON object"),
        (orjson.dumps({"custom_id": "x", "url": "/v1/images", "body": {}}), "line 1: url '/v1/images'"),
        (line("a", best_of=2) + b"\n", "line 1: Parameter .best_of. is not supported"),
        (b"\n\n", "no request lines"),
        (
            orjson.dumps({"custom_id": "e", "url": "/v1/embeddings", "body": {"model": "gemini-flash", "input": "x"}}),
            "line 1: url /v1/embeddings does not match model 'gemini-1.5-flash-001'",
        ),
    ],
)
async def test_bad_batch_file_names_the_line_and_uploads_nothing(
    jobs_stack: JobsStack, content: bytes, message: str
) -> None:
    router = jobs_stack.router()
    with pytest.raises(InvalidRequestError, match=message.replace("(", r"\(").replace("[", r"\[")):
        await router.acreate_file(content, purpose="batch")
    assert nothing_uploaded(jobs_stack)
    await router.aclose()


async def test_claude_custom_id_outside_anthropics_alphabet_is_refused(jobs_stack: JobsStack) -> None:
    router = jobs_stack.router()
    with pytest.raises(InvalidRequestError, match=r"line 1: a Claude batch custom_id must match"):
        await router.acreate_file(line("has space", model="claude", max_tokens=5), purpose="batch")
    assert nothing_uploaded(jobs_stack)
    await router.aclose()


async def test_missing_bucket_names_the_setting(jobs_stack: JobsStack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GCS_BUCKET_NAME", raising=False)
    monkeypatch.delenv("GCS_BATCH_BUCKET_NAME", raising=False)
    config = jobs_stack.config()
    config["files_settings"][0].pop("gcs_bucket_name")
    from .conftest import JobsRouter

    router = JobsRouter.from_dict(config)
    with pytest.raises(ConfigError, match=r"files_settings\[0\]\.gcs_bucket_name"):
        await router.acreate_file(line("a"), purpose="batch")
    assert nothing_uploaded(jobs_stack)
    await router.aclose()


async def test_bucket_from_the_environment_when_the_config_names_none(
    jobs_stack: JobsStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GCS_BUCKET_NAME", "env-bucket")
    config = jobs_stack.config()
    config["files_settings"][0].pop("gcs_bucket_name")
    from .conftest import JobsRouter

    router = JobsRouter.from_dict(config)
    created = await router.acreate_file(line("a"), purpose="batch")
    assert created.id.startswith("gs://env-bucket/vertex-router-files/")
    await router.aclose()


async def test_unknown_hyperparameter_and_bad_adapter_size_are_refused_before_any_call(jobs_stack: JobsStack) -> None:
    router = jobs_stack.router()
    with pytest.raises(InvalidRequestError, match="adapter_size must be one of"):
        await router.acreate_fine_tuning_job(
            "gemini-2.0-flash-001", "gs://train-bucket/t.jsonl", hyperparameters={"adapter_size": 3}
        )
    with pytest.raises(InvalidRequestError, match="unsupported hyperparameters for Vertex tuning: warmup"):
        await router.acreate_fine_tuning_job(
            "gemini-2.0-flash-001", "gs://train-bucket/t.jsonl", hyperparameters={"warmup": 1}
        )
    with pytest.raises(InvalidRequestError, match="training_file must be a gs:// URI"):
        await router.acreate_fine_tuning_job("gemini-2.0-flash-001", "file-abc123")
    assert jobs_stack.jobs._jobs == {}
    await router.aclose()


async def test_batch_id_that_is_not_a_job_id_is_refused(jobs_stack: JobsStack) -> None:
    router = jobs_stack.router()
    with pytest.raises(InvalidRequestError, match="batch_id must be a Vertex job id"):
        await router.aretrieve_batch("../../endpoints/1")
    await router.aclose()
