"""The user guide's batch and fine-tuning flows through the official openai SDK → proxy → Router → emulator."""

from __future__ import annotations

from pathlib import Path

import openai
import orjson
import pytest

from .conftest import BUCKET, JobsStack
from .proxy_helpers import KEY, live_proxy

VERTEX = {"custom_llm_provider": "vertex_ai"}


def guide_batch_file(path: Path, count: int = 2) -> Path:
    lines = []
    for i in range(1, count + 1):
        system = "You are a helpful assistant." if i % 2 else "You are an unhelpful assistant."
        body = {
            "model": "gemini-1.5-flash-001",
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": f"Hello world {i}!"}],
            "max_tokens": 10,
        }
        lines.append({"custom_id": f"request-{i}", "method": "POST", "url": "/v1/chat/completions", "body": body})
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return path


async def test_guide_batch_flow_returns_one_result_per_custom_id(jobs_stack: JobsStack, tmp_path: Path) -> None:
    router = jobs_stack.router()
    async with live_proxy(router) as url:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=f"{url}/v1", max_retries=0)
        with guide_batch_file(tmp_path / "vertex_batch_completions.jsonl", 5).open("rb") as handle:
            file_obj = await client.files.create(file=handle, purpose="batch", extra_body=VERTEX)
        assert file_obj.id.startswith(f"gs://{BUCKET}/runs/vertex-router-files/publishers/google/models/gemini-1.5")
        assert file_obj.purpose == "batch" and file_obj.status == "uploaded" and file_obj.bytes > 0

        batch = await client.batches.create(
            completion_window="24h", endpoint="/v1/chat/completions", input_file_id=file_obj.id, extra_body=VERTEX
        )
        assert batch.status == "validating" and batch.input_file_id == file_obj.id
        seen = [batch.status]
        while batch.status not in ("completed", "failed", "cancelled", "expired"):
            jobs_stack.jobs.advance(4)
            batch = await client.batches.retrieve(batch.id, extra_body=VERTEX)
            seen.append(batch.status)
        assert batch.status == "completed"
        assert "in_progress" in seen
        assert batch.request_counts is not None and batch.request_counts.completed == 5
        assert batch.output_file_id is not None

        content = await client.files.content(batch.output_file_id)
        rows = [orjson.loads(line) for line in content.content.splitlines()]
        assert sorted(r["custom_id"] for r in rows) == [f"request-{i}" for i in range(1, 6)]
        for row in rows:
            number = row["custom_id"].rsplit("-", 1)[1]
            assert row["error"] is None and row["response"]["status_code"] == 200
            body = row["response"]["body"]
            assert body["object"] == "chat.completion"
            assert f"Hello world {number}!" in body["choices"][0]["message"]["content"]
        await router.aclose()


async def test_files_retrieve_and_delete_accept_encoded_gs_ids(jobs_stack: JobsStack, tmp_path: Path) -> None:
    router = jobs_stack.router()
    async with live_proxy(router) as url:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=f"{url}/v1", max_retries=0)
        with guide_batch_file(tmp_path / "in.jsonl").open("rb") as handle:
            created = await client.files.create(file=handle, purpose="batch", extra_body=VERTEX)
        fetched = await client.files.retrieve(created.id)  # the SDK percent-encodes the slashes
        assert (fetched.id, fetched.bytes) == (created.id, created.bytes)
        deleted = await client.files.delete(created.id)
        assert deleted.deleted is True
        with pytest.raises(openai.NotFoundError):
            await client.files.retrieve(created.id)
        await router.aclose()


async def test_file_outside_the_configured_bucket_is_refused(jobs_stack: JobsStack) -> None:
    router = jobs_stack.router()
    async with live_proxy(router) as url:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=f"{url}/v1", max_retries=0)
        with pytest.raises(openai.BadRequestError, match="configured bucket"):
            await client.files.content("gs://someone-elses-bucket/secrets.txt")
        await router.aclose()


async def test_guide_fine_tuning_flow_creates_and_retrieves_a_tuning_job(jobs_stack: JobsStack) -> None:
    router = jobs_stack.router()
    async with live_proxy(router) as url:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=f"{url}/v1", max_retries=0)
        job = await client.fine_tuning.jobs.create(
            model="gemini-1.0-pro-002",
            training_file="gs://cloud-samples-data/ai-platform/generative_ai/sft_train_data.jsonl",
            hyperparameters={"n_epochs": 3, "learning_rate_multiplier": 0.1, "adapter_size": "ADAPTER_SIZE_ONE"},  # type: ignore[typeddict-unknown-key]
            suffix="my-tuned-gemini",
            extra_body=VERTEX,
        )
        assert job.status == "queued" and job.model == "gemini-1.0-pro-002"
        assert job.hyperparameters.n_epochs == 3 and job.hyperparameters.learning_rate_multiplier == 0.1

        jobs_stack.jobs.finish_all()
        done = await client.fine_tuning.jobs.retrieve(job.id)
        assert done.status == "succeeded"
        assert done.fine_tuned_model is not None and done.fine_tuned_model.startswith("vertex_ai/gemini/")
        listed = await client.fine_tuning.jobs.list()
        assert [j.id for j in listed.data] == [job.id]
        await router.aclose()


async def test_fine_tuning_cancel_through_the_proxy(jobs_stack: JobsStack) -> None:
    router = jobs_stack.router()
    async with live_proxy(router) as url:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=f"{url}/v1", max_retries=0)
        job = await client.fine_tuning.jobs.create(
            model="gemini-2.0-flash-001", training_file=f"gs://{BUCKET}/train.jsonl", extra_body=VERTEX
        )
        cancelled = await client.fine_tuning.jobs.cancel(job.id)
        assert cancelled.status == "cancelled"
        await router.aclose()


async def test_batch_cancel_and_list_through_the_proxy(jobs_stack: JobsStack, tmp_path: Path) -> None:
    router = jobs_stack.router()
    async with live_proxy(router) as url:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=f"{url}/v1", max_retries=0)
        with guide_batch_file(tmp_path / "in.jsonl").open("rb") as handle:
            file_obj = await client.files.create(file=handle, purpose="batch", extra_body=VERTEX)
        batch = await client.batches.create(
            completion_window="24h", endpoint="/v1/chat/completions", input_file_id=file_obj.id
        )
        cancelled = await client.batches.cancel(batch.id)
        assert cancelled.status == "cancelled"
        page = await client.batches.list(limit=10)
        assert [b.id for b in page.data] == [batch.id]
        await router.aclose()


async def test_sdk_auto_pagination_walks_every_batch(jobs_stack: JobsStack, tmp_path: Path) -> None:
    router = jobs_stack.router()
    async with live_proxy(router) as url:
        client = openai.AsyncOpenAI(api_key=KEY, base_url=f"{url}/v1", max_retries=0)
        with guide_batch_file(tmp_path / "in.jsonl").open("rb") as handle:
            file_obj = await client.files.create(file=handle, purpose="batch", extra_body=VERTEX)
        created = [(await client.batches.create(completion_window="24h", endpoint="/v1/chat/completions",
                                                input_file_id=file_obj.id)).id for _ in range(5)]  # fmt: skip
        seen = [batch.id async for batch in client.batches.list(limit=2)]
        assert sorted(seen) == sorted(created)
        await router.aclose()


async def test_proxy_clients_cannot_choose_project_credentials_or_api_base(jobs_stack: JobsStack) -> None:
    import httpx

    router = jobs_stack.router()
    async with live_proxy(router) as url, httpx.AsyncClient(base_url=url) as http:
        headers = {"authorization": f"Bearer {KEY}"}
        for field in ("vertex_credentials", "api_base", "vertex_project"):
            body = {"model": "gemini-2.0-flash-001", "training_file": f"gs://{BUCKET}/t.jsonl", field: "x"}
            response = await http.post("/v1/fine_tuning/jobs", json=body, headers=headers)
            assert response.status_code == 400 and field in response.json()["error"]["message"]
        unauthenticated = await http.get("/v1/batches")
        assert unauthenticated.status_code == 401
    assert jobs_stack.jobs._jobs == {}
    await router.aclose()
