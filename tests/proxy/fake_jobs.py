"""The Router's files, batches and fine-tuning surface (``router.jobs.api.JobsAPI``), in memory.

Same signatures as ``JobsAPI``, and the same pure pieces (``GcsUri.parse``, the job id checks, the create
bodies, the job → OpenAI mappings), so a request the real Router would refuse or choke on does so here too;
only Cloud Storage and Vertex are replaced by dictionaries. Unknown ids are the 404 Vertex would answer.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from router.errors import InvalidRequestError, NotFoundError
from router.jobs import batches, fine_tuning
from router.jobs.api import _PROVIDERS, _TUNING_NAME, _job_id
from router.jobs.files import FILES_DIR, safe_name
from router.jobs.gcs import GcsUri
from router.jobs.types import Batch, FileDeleted, FileObject, FineTuningJob, ListPage

FAKE_BUCKET = "fake-bucket"
PARENT = "projects/fake-project/locations/us-central1"
CREATED = "2025-01-02T03:04:05Z"


@dataclass
class FakeJobs:
    files: dict[str, tuple[FileObject, bytes]] = field(default_factory=dict)
    batch_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    tuning_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1000))

    async def acreate_file(
        self, file: tuple[str, IO[bytes]], purpose: Any = "batch", custom_llm_provider: str = "vertex_ai", **kw: Any
    ) -> FileObject:
        _check_provider(custom_llm_provider)
        filename, stream = file
        data = stream.read()
        uri = f"gs://{FAKE_BUCKET}/{FILES_DIR}/{uuid.uuid4()}-{safe_name(filename)}"
        obj = FileObject(id=uri, bytes=len(data), created_at=1_700_000_000, filename=filename, purpose=purpose)
        self.files[uri] = (obj, data)
        return obj

    async def afile_retrieve(self, file_id: str, **kw: Any) -> FileObject:
        return self._file(file_id)[0]

    async def aiter_file_content(self, file_id: str, **kw: Any) -> AsyncIterator[bytes]:
        data = self._file(file_id)[1]
        yield data

    async def afile_delete(self, file_id: str, **kw: Any) -> FileDeleted:
        obj, _ = self._file(file_id)
        del self.files[obj.id]
        return FileDeleted(id=obj.id)

    async def acreate_batch(
        self,
        input_file_id: str,
        endpoint: str = "/v1/chat/completions",
        completion_window: str = "24h",
        model: str | None = None,
        metadata: Mapping[str, str] | None = None,
        **kw: Any,
    ) -> Batch:
        if endpoint not in ("", "/v1/chat/completions", "/chat/completions", "/v1/embeddings", "/embeddings"):
            raise InvalidRequestError(f"Vertex batches do not serve {endpoint!r}", param="endpoint")
        uri = self._file(input_file_id, param="input_file_id")[0].id
        body = batches.create_body(GcsUri.parse(uri), batches.model_resource(GcsUri.parse(uri), model), metadata)
        job = {**body, "name": f"{PARENT}/batchPredictionJobs/{next(self._ids)}", "state": "JOB_STATE_PENDING"}
        self.batch_jobs[job["name"].rsplit("/", 1)[-1]] = job
        return batches.to_batch(job, metadata=metadata)

    async def aretrieve_batch(self, batch_id: str, **kw: Any) -> Batch:
        return batches.to_batch(self._batch(batch_id))

    async def alist_batches(self, after: str | None = None, limit: int | None = None, **kw: Any) -> ListPage[Batch]:
        return _page([batches.to_batch(job) for job in self.batch_jobs.values()], after, limit)

    async def acancel_batch(self, batch_id: str, **kw: Any) -> Batch:
        job = self._batch(batch_id)
        job["state"] = "JOB_STATE_CANCELLED"
        return batches.to_batch(job)

    async def acreate_fine_tuning_job(
        self,
        model: str,
        training_file: str,
        validation_file: str | None = None,
        hyperparameters: Mapping[str, Any] | None = None,
        suffix: str | None = None,
        **kw: Any,
    ) -> FineTuningJob:
        _check_provider(kw.pop("custom_llm_provider", "vertex_ai"))
        body = fine_tuning.create_body(model, training_file, validation_file, hyperparameters, suffix)
        name = f"{PARENT}/tuningJobs/{next(self._ids)}"
        job = {**body, "name": name, "state": "JOB_STATE_PENDING", "createTime": CREATED}
        self.tuning_jobs[name] = job
        return fine_tuning.to_job(job)

    async def aretrieve_fine_tuning_job(self, fine_tuning_job_id: str, **kw: Any) -> FineTuningJob:
        return fine_tuning.to_job(self._tuning(fine_tuning_job_id))

    async def alist_fine_tuning_jobs(
        self, after: str | None = None, limit: int | None = None, **kw: Any
    ) -> ListPage[FineTuningJob]:
        return _page([fine_tuning.to_job(job) for job in self.tuning_jobs.values()], after, limit)

    async def acancel_fine_tuning_job(self, fine_tuning_job_id: str, **kw: Any) -> FineTuningJob:
        job = self._tuning(fine_tuning_job_id)
        job["state"] = "JOB_STATE_CANCELLED"
        return fine_tuning.to_job(job)

    def seed(self) -> tuple[str, str, str]:
        """A batch input file, a batch and a tuning job with fixed ids (put back if a test deleted them)."""
        file_id = f"gs://{FAKE_BUCKET}/{FILES_DIR}/publishers/google/models/gemini-2.5-flash/seed"
        self.files[file_id] = (FileObject(id=file_id, bytes=2, created_at=1, filename="seed.jsonl"), b"{}")
        body = batches.create_body(GcsUri.parse(file_id), "publishers/google/models/gemini-2.5-flash", None)
        self.batch_jobs["1"] = {**body, "name": f"{PARENT}/batchPredictionJobs/1", "state": "JOB_STATE_RUNNING"}
        tuning = fine_tuning.create_body("gemini-2.5-flash", file_id, None, None, None)
        name = f"{PARENT}/tuningJobs/2"
        self.tuning_jobs[name] = {**tuning, "name": name, "state": "JOB_STATE_RUNNING", "createTime": CREATED}
        return file_id, "1", name

    def _file(self, file_id: str, *, param: str = "file_id") -> tuple[FileObject, bytes]:
        uri = GcsUri.parse(file_id, param=param)
        if uri.bucket != FAKE_BUCKET:
            raise InvalidRequestError(f"{param} must be in the configured bucket gs://{FAKE_BUCKET}", param=param)
        found = self.files.get(str(uri))
        if found is None:
            raise NotFoundError(f"No such object: {uri}", upstream_status=404)
        return found

    def _batch(self, batch_id: str) -> dict[str, Any]:
        job = self.batch_jobs.get(_job_id(batch_id))
        if job is None:
            raise NotFoundError(f"batchPredictionJob {batch_id} not found", upstream_status=404)
        return job

    def _tuning(self, job_id: str) -> dict[str, Any]:
        name = job_id if _TUNING_NAME.match(job_id or "") else f"{PARENT}/tuningJobs/{_job_id(job_id)}"
        job = self.tuning_jobs.get(name)
        if job is None:
            raise NotFoundError(f"tuningJob {job_id} not found", upstream_status=404)
        return job


def _check_provider(provider: str | None) -> None:
    if provider is not None and provider not in _PROVIDERS:
        raise InvalidRequestError(f"custom_llm_provider {provider!r} is not served here", param="custom_llm_provider")


def _page(items: list[Any], after: str | None, limit: int | None) -> ListPage[Any]:
    ids = [item.id for item in items]
    start = ids.index(after) + 1 if after in ids else 0
    data = items[start : start + limit] if limit else items[start:]
    has_more = start + len(data) < len(items)
    return ListPage(
        data=data,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
        has_more=has_more,
    )
