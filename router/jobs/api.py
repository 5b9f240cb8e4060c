"""``JobsAPI``: OpenAI's files, batches and fine-tuning calls on the Router, landing on Cloud Storage,
``batchPredictionJobs`` and ``tuningJobs``.

A mixin: ``class Router(JobsAPI)``. It uses the Router's ``config``, its deployments (``_runtimes``: a batch
line's model is resolved and translated exactly like a live call), ``_vertex_call`` (token, send, one re-auth
on 401) and ``_sync`` (the private loop behind the sync twins). Which project, bucket and credentials are used
is ``account``'s business.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping, MutableMapping
from typing import IO, TYPE_CHECKING, Any

import orjson
import structlog
from cachetools import LRUCache

from router.errors import InvalidRequestError, UpstreamError, error_class_for_status
from router.families.base import PreparedRequest, UpstreamResponse, error_message, json_request
from router.jobs import batches, fine_tuning
from router.jobs.account import JobsAccount, files_account, tuning_account
from router.jobs.batch_input import LineModel, convert_batch_input
from router.jobs.batch_output import OutputModel, convert_stream
from router.jobs.files import FILES_DIR, FileInput, file_object, open_input, purpose_dir, purpose_of, safe_name
from router.jobs.gcs import GcsUri
from router.jobs.storage import Storage
from router.jobs.tuning_data import convert_tuning_file
from router.jobs.types import Batch, FileDeleted, FileObject, FilePurpose, FineTuningJob, ListPage
from router.vertex.client import Deadlines
from router.vertex.urls import join, resource_path

if TYPE_CHECKING:
    from router._build import DeploymentRuntime
    from router._sync import LoopThread
    from router.config import Config

log = structlog.get_logger("router.jobs")

SPOOL_BYTES = 256 * 1024  # converted batch input stays in memory up to this size, then goes to disk
_JOB_DEADLINES = Deadlines(connect=10.0, first_byte=120.0, chunk_gap=120.0, total=600.0)
_JOB_ID = re.compile(r"^[0-9]{1,32}$")
_JOB_NAME = re.compile(
    r"^projects/[a-z0-9-]{1,63}/locations/[a-z0-9-]{1,63}/(batchPredictionJobs|tuningJobs)/[0-9]{1,32}$"
)
_TUNING_NAME = re.compile(r"^projects/([a-z0-9-]{1,63})/locations/([a-z0-9-]{1,63})/tuningJobs/([0-9]{1,32})$")
_PROVIDERS = frozenset({"vertex_ai", "vertex", "vertex_ai_beta"})


class JobsAPI:
    """Files (Cloud Storage), batches (batchPredictionJobs) and fine-tuning (tuningJobs), OpenAI-shaped."""

    upload_chunk_size: int = 32 * 256 * 1024

    if TYPE_CHECKING:
        config: Config
        _runtimes: dict[str, DeploymentRuntime]
        _sync: LoopThread

        async def _vertex_call(
            self, prepared: PreparedRequest, credentials: Any, *, deadlines: Deadlines | None = None
        ) -> UpstreamResponse: ...

    # ------------------------------------------------------------------ files

    async def acreate_file(
        self, file: FileInput, purpose: FilePurpose = "batch", custom_llm_provider: str = "vertex_ai", **kw: Any
    ) -> FileObject:
        """Upload a file to the configured bucket. ``purpose="batch"``: OpenAI batch lines are checked whole and
        converted to Vertex rows first (errors name the line; nothing is uploaded then); ``model=`` sets the
        model of every line."""
        _check_provider(custom_llm_provider)
        model = kw.pop("model", None)
        account = files_account(self.config, kw)
        bucket = account.require_bucket(self.config)
        filename, src, owned = open_input(file)
        try:
            if purpose == "batch":
                return await self._upload_batch_input(account, bucket.object_name(FILES_DIR), src, model)
            name = bucket.object_name(f"{FILES_DIR}/{purpose_dir(purpose)}/{uuid.uuid4()}-{safe_name(filename)}")
            uri = GcsUri(bucket.bucket, name)
            if purpose == "fine-tune":
                return await self._upload_tuning_data(account, uri, src)
            resource = await self._storage(account).upload(uri, src, "application/octet-stream")
            return file_object(resource, purpose)
        finally:
            if owned:
                src.close()

    async def _upload_batch_input(
        self, account: JobsAccount, directory: str, src: IO[bytes], model: str | None
    ) -> FileObject:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as converted:
            # A thread: checking and translating a large file must not stall the loop (the proxy serves on it).
            summary = await asyncio.to_thread(convert_batch_input, src, converted, self._line_model, model=model)
            converted.seek(0)
            bucket = account.require_bucket(self.config)
            uri = GcsUri(bucket.bucket, f"{directory}/{summary.model.object_dir}/{uuid.uuid4()}")
            resource = await self._storage(account).upload(uri, converted, "application/json")
        log.info("batch_file_uploaded", lines=summary.lines, model=summary.model.target.model, bucket=uri.bucket)
        return file_object(resource, "batch")

    async def _upload_tuning_data(self, account: JobsAccount, uri: GcsUri, src: IO[bytes]) -> FileObject:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as converted:
            lines = await asyncio.to_thread(convert_tuning_file, src, converted)
            converted.seek(0)
            resource = await self._storage(account).upload(uri, converted, "application/json")
        log.info("tuning_file_uploaded", lines=lines, bucket=uri.bucket)
        return file_object(resource, "fine-tune")

    async def afile_retrieve(self, file_id: str, **kw: Any) -> FileObject:
        account, uri = self._file_uri(file_id, kw)
        return file_object(await self._storage(account).metadata(uri), purpose_of(uri.name))

    async def afile_content(self, file_id: str, **kw: Any) -> bytes:
        """The file's bytes; a batch output file comes back as OpenAI batch output lines."""
        return b"".join([chunk async for chunk in self.aiter_file_content(file_id, **kw)])

    async def aiter_file_content(self, file_id: str, **kw: Any) -> AsyncIterator[bytes]:
        """``afile_content`` as a stream of chunks (the proxy relays it without holding the file)."""
        account, uri = self._file_uri(file_id, kw)
        chunks = self._storage(account).chunks(uri)
        if purpose_of(uri.name) == "batch_output":
            chunks = convert_stream(chunks, OutputModel.from_object_name(uri.name))
        async for chunk in chunks:
            yield chunk

    async def afile_delete(self, file_id: str, **kw: Any) -> FileDeleted:
        account, uri = self._file_uri(file_id, kw)
        await self._storage(account).delete(uri)
        return FileDeleted(id=str(uri))

    # ------------------------------------------------------------------ batches

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
            raise InvalidRequestError(
                f"Vertex batches serve /v1/chat/completions and /v1/embeddings, not {endpoint!r}", param="endpoint"
            )
        account, uri = self._file_uri(input_file_id, kw, param="input_file_id")
        resource = batches.model_resource(uri, self._batch_model(model))
        if resource.startswith("endpoints/"):
            resource = await self._endpoint_model(account, resource)
        body = batches.create_body(uri, resource, metadata)
        job = await self._job_call(account, "POST", "/batchPredictionJobs", body)
        log.info("batch_created", batch_id=str(job.get("name", "")).rsplit("/", 1)[-1], model=resource)
        return batches.to_batch(job, metadata=metadata)

    async def aretrieve_batch(self, batch_id: str, **kw: Any) -> Batch:
        account = files_account(self.config, kw)
        job = await self._job_call(account, "GET", f"/batchPredictionJobs/{_job_id(batch_id)}")
        return batches.to_batch(job)

    async def alist_batches(self, after: str | None = None, limit: int | None = None, **kw: Any) -> ListPage[Batch]:
        """One page; ``after``: the previous page's last id (as the openai SDK sends) or its ``next_page_token``."""
        account = files_account(self.config, kw)
        page = await self._list(account, "/batchPredictionJobs", after, limit)
        data = [batches.to_batch(job) for job in page.get("batchPredictionJobs", [])]
        return _page(data, page)

    async def acancel_batch(self, batch_id: str, **kw: Any) -> Batch:
        account = files_account(self.config, kw)
        job_id = _job_id(batch_id)
        await self._job_call(account, "POST", f"/batchPredictionJobs/{job_id}:cancel", {})
        job = await self._job_call(account, "GET", f"/batchPredictionJobs/{job_id}")
        return batches.to_batch(job)

    # ------------------------------------------------------------------ fine-tuning

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
        account = tuning_account(self.config, kw)
        job = await self._job_call(account, "POST", "/tuningJobs", body)
        log.info("tuning_job_created", job=job.get("name"), base_model=body["baseModel"])
        return fine_tuning.to_job(job)

    async def aretrieve_fine_tuning_job(self, fine_tuning_job_id: str, **kw: Any) -> FineTuningJob:
        account, path = self._tuning_path(fine_tuning_job_id, kw)
        return fine_tuning.to_job(await self._job_call(account, "GET", path))

    async def alist_fine_tuning_jobs(
        self, after: str | None = None, limit: int | None = None, **kw: Any
    ) -> ListPage[FineTuningJob]:
        account = tuning_account(self.config, kw)
        page = await self._list(account, "/tuningJobs", after, limit)
        return _page([fine_tuning.to_job(job) for job in page.get("tuningJobs", [])], page)

    async def acancel_fine_tuning_job(self, fine_tuning_job_id: str, **kw: Any) -> FineTuningJob:
        account, path = self._tuning_path(fine_tuning_job_id, kw)
        await self._job_call(account, "POST", f"{path}:cancel", {})
        return fine_tuning.to_job(await self._job_call(account, "GET", path))

    # ------------------------------------------------------------------ sync twins

    def create_file(self, file: FileInput, purpose: FilePurpose = "batch", **kw: Any) -> FileObject:
        return self._sync.run(self.acreate_file(file, purpose, **kw))

    def file_retrieve(self, file_id: str, **kw: Any) -> FileObject:
        return self._sync.run(self.afile_retrieve(file_id, **kw))

    def file_content(self, file_id: str, **kw: Any) -> bytes:
        return self._sync.run(self.afile_content(file_id, **kw))

    def file_delete(self, file_id: str, **kw: Any) -> FileDeleted:
        return self._sync.run(self.afile_delete(file_id, **kw))

    def create_batch(self, input_file_id: str, **kw: Any) -> Batch:
        return self._sync.run(self.acreate_batch(input_file_id, **kw))

    def retrieve_batch(self, batch_id: str, **kw: Any) -> Batch:
        return self._sync.run(self.aretrieve_batch(batch_id, **kw))

    def list_batches(self, **kw: Any) -> ListPage[Batch]:
        return self._sync.run(self.alist_batches(**kw))

    def cancel_batch(self, batch_id: str, **kw: Any) -> Batch:
        return self._sync.run(self.acancel_batch(batch_id, **kw))

    def create_fine_tuning_job(self, model: str, training_file: str, **kw: Any) -> FineTuningJob:
        return self._sync.run(self.acreate_fine_tuning_job(model, training_file, **kw))

    def retrieve_fine_tuning_job(self, fine_tuning_job_id: str, **kw: Any) -> FineTuningJob:
        return self._sync.run(self.aretrieve_fine_tuning_job(fine_tuning_job_id, **kw))

    def list_fine_tuning_jobs(self, **kw: Any) -> ListPage[FineTuningJob]:
        return self._sync.run(self.alist_fine_tuning_jobs(**kw))

    def cancel_fine_tuning_job(self, fine_tuning_job_id: str, **kw: Any) -> FineTuningJob:
        return self._sync.run(self.acancel_fine_tuning_job(fine_tuning_job_id, **kw))

    # ------------------------------------------------------------------ helpers

    def _storage(self, account: JobsAccount) -> Storage:
        async def send(prepared: PreparedRequest) -> UpstreamResponse:
            return await self._vertex_call(prepared, account.storage_credentials, deadlines=_JOB_DEADLINES)

        return Storage(send, account.storage_base, chunk_size=self.upload_chunk_size)

    def _file_uri(self, file_id: str, kw: Mapping[str, Any], *, param: str = "file_id") -> tuple[JobsAccount, GcsUri]:
        """The account and the parsed id; ids outside the configured bucket are refused (a caller must not read
        whatever else the service account can)."""
        account = files_account(self.config, kw)
        bucket = account.require_bucket(self.config)
        uri = GcsUri.parse(file_id, param=param)
        if uri.bucket != bucket.bucket:
            raise InvalidRequestError(f"{param} must be in the configured bucket gs://{bucket.bucket}", param=param)
        return account, uri

    def _line_model(self, name: str) -> LineModel | None:
        """A batch line's ``model``: a model group (or alias) of the config, else a deployment's Vertex model."""
        group = self.config.resolve_group(name)
        bare = name.removeprefix("vertex_ai/")
        for runtime in self._runtimes.values():
            if (group is not None and runtime.deployment.model_name == group) or (
                group is None and runtime.target.model == bare
            ):
                return LineModel(runtime.family, runtime.target, runtime.defaults)
        return None

    def _batch_model(self, model: str | None) -> str | None:
        if not model:
            return None
        found = self._line_model(model)
        if found is None:
            return model
        target = found.target
        return (
            f"publishers/{target.publisher}/models/{target.model}"
            if not target.endpoint_id
            else (f"endpoints/{target.endpoint_id}")
        )

    async def _endpoint_model(self, account: JobsAccount, resource: str) -> str:
        """Batch jobs take Model resources only: a tuned endpoint is replaced by the model deployed on it."""
        endpoint = await self._job_call(account, "GET", f"/{resource}")
        deployed = endpoint.get("deployedModels") or []
        model = deployed[0].get("model") if deployed and isinstance(deployed[0], dict) else None
        if not model:
            raise InvalidRequestError(f"{resource} has no deployed model to run the batch with", param="model")
        return str(model)

    def _tuning_path(self, job_id: str, kw: Mapping[str, Any]) -> tuple[JobsAccount, str]:
        match = _TUNING_NAME.match(job_id or "")
        if match:
            project, location, number = match.groups()
            kw = {**kw, "vertex_project": project, "vertex_location": location}
            return tuning_account(self.config, kw), f"/tuningJobs/{number}"
        return tuning_account(self.config, kw), f"/tuningJobs/{_job_id(job_id, param='fine_tuning_job_id')}"

    async def _list(self, account: JobsAccount, path: str, after: str | None, limit: int | None) -> dict[str, Any]:
        """One Vertex page. OpenAI clients page with ``after=<last id>`` while Vertex wants its page token, so
        the token of every page that has more is remembered under that page's last id (bounded, per Router)."""
        query = [f"pageSize={int(limit)}"] if limit else []
        cursors = self._page_cursors()
        if after:
            query.append(f"pageToken={_token(cursors.get(after, after))}")
        page = await self._job_call(account, "GET", path, query="&".join(query))
        items = page.get(path.strip("/"), [])
        token = page.get("nextPageToken")
        if token and items and isinstance(items[-1], dict):
            last = str(items[-1].get("name", ""))
            cursors[last if path == "/tuningJobs" else last.rsplit("/", 1)[-1]] = str(token)
        return page

    def _page_cursors(self) -> MutableMapping[str, str]:
        # A mixin has no __init__ of its own: the cache is created on first use, on the instance.
        cursors: MutableMapping[str, str] | None = self.__dict__.get("_jobs_page_cursors")
        if cursors is None:
            cursors = LRUCache(maxsize=1024)
            self.__dict__["_jobs_page_cursors"] = cursors
        return cursors

    async def _job_call(
        self, account: JobsAccount, method: str, path: str, body: Any = None, *, query: str = ""
    ) -> dict[str, Any]:
        base = resource_path(account.project, account.location)
        url = join(base, path, location=account.location, api_base=account.vertex_base, query=query)
        prepared = (
            json_request(url, body, method=method) if body is not None else PreparedRequest(method, url, None, {})
        )
        response = await self._vertex_call(prepared, account.credentials, deadlines=_JOB_DEADLINES)
        if response.status >= 400:
            message, word = error_message(response.body)
            cls = error_class_for_status(response.status)
            raise cls(
                f"Vertex {method} {path}: {response.status} {word} {message}".strip(), upstream_status=response.status
            )
        try:
            payload = orjson.loads(response.body) if response.body else {}
        except orjson.JSONDecodeError as exc:
            raise UpstreamError(f"Vertex {method} {path}: body is not JSON", upstream_status=response.status) from exc
        return payload if isinstance(payload, dict) else {}


# ---------------------------------------------------------------------- module helpers (pure)


def _check_provider(provider: str | None) -> None:
    if provider not in _PROVIDERS and provider is not None:
        raise InvalidRequestError(
            f"custom_llm_provider {provider!r} is not served here (use 'vertex_ai')", param="custom_llm_provider"
        )


def _job_id(value: str, *, param: str = "batch_id") -> str:
    """The numeric id, from the id itself or a full ``projects/.../batchPredictionJobs/N`` name."""
    text = str(value or "")
    job_id = text.rsplit("/", 1)[-1] if _JOB_NAME.match(text) else text
    if not _JOB_ID.match(job_id):
        raise InvalidRequestError(f"{param} must be a Vertex job id (digits), got {value!r}", param=param)
    return job_id


def _token(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _page(data: list[Any], page: Mapping[str, Any]) -> ListPage[Any]:
    token = page.get("nextPageToken") or None
    return ListPage(
        data=data,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
        has_more=bool(token),
        next_page_token=token,
    )
