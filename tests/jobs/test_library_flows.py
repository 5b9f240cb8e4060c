"""Router-level flows: Claude batches, a batch on a tuned model's endpoint, sync twins."""

from __future__ import annotations

from typing import Any

import orjson

from .conftest import JobsRouter, JobsStack


def chat_line(custom_id: str, model: str, text: str, **extra: Any) -> bytes:
    body = {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": 20, **extra}
    return orjson.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body})


async def finish(router: Any, stack: JobsStack, batch_id: str) -> Any:
    stack.jobs.finish_all()
    return await router.aretrieve_batch(batch_id)


async def test_claude_batch_rows_carry_custom_id_and_come_back_as_chat_completions(jobs_stack: JobsStack) -> None:
    router = jobs_stack.router()
    content = chat_line("a-1", "claude", "Hi Claude") + b"\n" + chat_line("b_2", "claude", "Bye Claude")
    file_obj = await router.acreate_file(content, purpose="batch")
    assert "/publishers/anthropic/models/claude-3-5-sonnet-v2@20241022/" in file_obj.id
    stored = jobs_stack.jobs.storage.get(*file_obj.id[5:].split("/", 1))
    assert stored is not None
    first = orjson.loads(stored.data.splitlines()[0])
    assert first["custom_id"] == "a-1" and first["request"]["anthropic_version"] == "vertex-2023-10-16"
    assert "model" not in first["request"]

    batch = await finish(router, jobs_stack, (await router.acreate_batch(file_obj.id)).id)
    assert batch.status == "completed" and batch.model == "publishers/anthropic/models/claude-3-5-sonnet-v2@20241022"
    rows = [orjson.loads(line) for line in (await router.afile_content(batch.output_file_id)).splitlines()]
    by_id = {row["custom_id"]: row for row in rows}
    assert set(by_id) == {"a-1", "b_2"}
    assert "Hi Claude" in by_id["a-1"]["response"]["body"]["choices"][0]["message"]["content"]
    await router.aclose()


async def test_batch_on_a_tuned_endpoint_runs_the_model_deployed_there(jobs_stack: JobsStack) -> None:
    router = jobs_stack.router()
    job = await router.acreate_fine_tuning_job("gemini-2.0-flash-001", "gs://vr-test-bucket/train.jsonl", suffix="t")
    jobs_stack.jobs.finish_all()
    tuned = await router.aretrieve_fine_tuning_job(job.id)
    assert tuned.status == "succeeded" and tuned.fine_tuned_model is not None
    endpoint_id = tuned.fine_tuned_model.rsplit("/", 1)[1]

    config = jobs_stack.config()
    config["model_list"].append({
        "model_name": "my-tuned",
        "litellm_params": {**config["model_list"][0]["litellm_params"], "model": tuned.fine_tuned_model},
    })  # fmt: skip
    tuned_router = JobsRouter.from_dict(config)
    file_obj = await tuned_router.acreate_file(chat_line("t1", "my-tuned", "Tuned hello"), purpose="batch")
    assert f"/endpoints/{endpoint_id}/" in file_obj.id
    batch = await tuned_router.acreate_batch(file_obj.id)
    assert batch.model == tuned.tuned_model  # the Model resource behind the endpoint, as batch jobs need
    done = await finish(tuned_router, jobs_stack, batch.id)
    rows = [orjson.loads(line) for line in (await tuned_router.afile_content(done.output_file_id)).splitlines()]
    assert [row["custom_id"] for row in rows] == ["t1"] and rows[0]["error"] is None
    await tuned_router.aclose()
    await router.aclose()


def test_sync_twins_run_on_the_routers_own_loop(jobs_stack: JobsStack) -> None:
    router = jobs_stack.router()
    file_obj = router.create_file(chat_line("s1", "gemini-flash", "sync"), purpose="batch")
    assert router.file_retrieve(file_obj.id).bytes == file_obj.bytes
    batch = router.create_batch(file_obj.id, metadata={"team": "search"})
    assert batch.metadata == {"team": "search"}
    assert [b.id for b in router.list_batches().data] == [batch.id]
    jobs_stack.jobs.finish_all()
    assert router.retrieve_batch(batch.id).status == "completed"
    job = router.create_fine_tuning_job("gemini-2.0-flash-001", "gs://vr-test-bucket/train.jsonl")
    assert router.cancel_fine_tuning_job(job.id).status == "cancelled"
    assert [j.id for j in router.list_fine_tuning_jobs().data] == [job.id]
    assert router.file_delete(file_obj.id).deleted
    router.close()


async def test_openai_fine_tuning_file_is_uploaded_as_vertex_tuning_rows(jobs_stack: JobsStack) -> None:
    router = jobs_stack.router()
    openai_line = {"messages": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "2+2?"},
                                {"role": "assistant", "content": "4"}]}  # fmt: skip
    vertex_line = {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}, {"role": "model", "parts": [{"text": "yo"}]}]
    }
    content = orjson.dumps(openai_line) + b"\n" + orjson.dumps(vertex_line) + b"\n"
    created = await router.acreate_file(("train.jsonl", content), purpose="fine-tune")
    assert created.purpose == "fine-tune" and "/vertex-router-files/fine-tune/" in created.id
    rows = [orjson.loads(line) for line in (await router.afile_content(created.id)).splitlines()]
    assert rows[0] == {
        "systemInstruction": {"parts": [{"text": "Be terse."}]},
        "contents": [{"role": "user", "parts": [{"text": "2+2?"}]}, {"role": "model", "parts": [{"text": "4"}]}],
    }
    assert rows[1] == vertex_line
    job = await router.acreate_fine_tuning_job("gemini-2.0-flash-001", created.id)
    assert job.training_file == created.id
    await router.aclose()


async def test_fine_tuning_line_without_an_assistant_answer_names_the_line(jobs_stack: JobsStack) -> None:
    import pytest

    from router.errors import InvalidRequestError

    router = jobs_stack.router()
    good = orjson.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]})
    bad = orjson.dumps({"messages": [{"role": "user", "content": "q"}]})
    with pytest.raises(InvalidRequestError, match="fine-tuning file line 2: the last message must be the assistant"):
        await router.acreate_file(good + b"\n" + bad, purpose="fine-tune")
    assert jobs_stack.jobs.storage.listing("vr-test-bucket", "") == []
    await router.aclose()


async def test_embedding_batch_reassembles_each_custom_ids_inputs_in_order(jobs_stack: JobsStack) -> None:
    config = jobs_stack.config()
    config["model_list"].append({
        "model_name": "embed",
        "litellm_params": {**config["model_list"][0]["litellm_params"], "model": "vertex_ai/gemini-embedding-001"},
    })  # fmt: skip
    router = JobsRouter.from_dict(config)

    def embed_line(custom_id: str, value: object) -> bytes:
        body = {"model": "embed", "input": value, "dimensions": 8}
        return orjson.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/embeddings", "body": body})

    content = embed_line("many", ["alpha", "beta", "gamma"]) + b"\n" + embed_line("one", "delta")
    file_obj = await router.acreate_file(content, purpose="batch")
    stored = jobs_stack.jobs.storage.get(*file_obj.id[5:].split("/", 1))
    assert stored is not None
    keys = [orjson.loads(row)["key"] for row in stored.data.splitlines()]
    assert keys == ["0/3:many", "1/3:many", "2/3:many", "0/1:one"]

    batch = await finish(router, jobs_stack, (await router.acreate_batch(file_obj.id)).id)
    rows = {
        r["custom_id"]: r for r in map(orjson.loads, (await router.afile_content(batch.output_file_id)).splitlines())
    }
    assert set(rows) == {"many", "one"}
    many = rows["many"]["response"]["body"]
    assert [d["index"] for d in many["data"]] == [0, 1, 2] and all(len(d["embedding"]) == 8 for d in many["data"])
    assert many["data"][0]["embedding"] != many["data"][1]["embedding"]
    await router.aclose()
