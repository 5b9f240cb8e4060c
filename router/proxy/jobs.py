"""The proxy's files, batches and fine-tuning routes, handed to the Router's ``JobsAPI``.

``JobsRoutes.resolve(method, path)`` (path without ``/v1``) returns a handler or None. File ids are ``gs://``
URIs and tuning job ids are resource names, so both contain slashes: the ASGI path is already percent-decoded,
so ``/files/gs%3A%2F%2Fb%2Fo`` and ``/files/gs://b/o`` name the same file. Request bodies take only the
OpenAI fields (plus ``custom_llm_provider``): a client must never choose the project, credentials or API base.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import parse_qs

import orjson
import structlog

from router.errors import InvalidRequestError
from router.jobs.multipart import read_form
from router.proxy.asgi import Exchange
from router.proxy.auth import ProxyAuth
from router.proxy.errors import InvalidField, MethodNotAllowed, NotImplementedByRouter
from router.proxy.validation import parse_json_object

Bound = Callable[[Exchange], Awaitable[None]]
MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # OpenAI's own batch file limit is 200 MB
Check = tuple[Callable[[Any], bool], str]  # (test, what the message says the field must be)
_STRING: Check = (lambda v: isinstance(v, str), "a string")
_OBJECT: Check = (lambda v: isinstance(v, dict), "an object")
_STRING_MAP: Check = (
    lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
    "an object of strings",
)


@dataclass(frozen=True)
class BodySpec:
    """The JSON fields one create route takes. Types are checked here because the Router takes them on trust:
    a missing or mistyped field would otherwise be a TypeError (a 500), some only after the job was created."""

    required: tuple[str, ...]
    fields: Mapping[str, Check]


_BATCH = BodySpec(
    ("input_file_id",),
    {
        "input_file_id": _STRING,
        "endpoint": _STRING,
        "completion_window": _STRING,
        "metadata": _STRING_MAP,
        "model": _STRING,
    },
)
_TUNING = BodySpec(
    ("model", "training_file"),
    {
        "model": _STRING,
        "training_file": _STRING,
        "validation_file": _STRING,
        "hyperparameters": _OBJECT,
        "suffix": _STRING,
    },
)
_PROVIDER = "custom_llm_provider"
PROVIDERS = ("vertex_ai", "vertex", "vertex_ai_beta")
# The purposes OpenAI takes on upload that a FileObject can report back (outputs are written by jobs, not uploaded).
UPLOAD_PURPOSES = ("batch", "fine-tune", "user_data", "assistants", "vision")


@dataclass
class JobsRoutes:
    router: Any
    auth: ProxyAuth | None
    max_body_bytes: int
    log: Any = None
    max_upload_bytes: int = MAX_UPLOAD_BYTES

    def __post_init__(self) -> None:
        if self.log is None:
            self.log = structlog.get_logger("router.proxy.jobs")

    def resolve(self, method: str, path: str) -> tuple[str, Bound] | None:
        """(metrics label, handler) for a jobs route, None for another path; 405 for a method the route lacks."""
        path = _repair(path)
        if path == "/files":
            return ("/files", self.create_file) if method == "POST" else _not_allowed(method, path, "POST")
        if path.startswith("/files/"):
            return self._file_route(method, path[len("/files/") :])
        if path.startswith("/batches"):
            return self._batch_route(method, path[len("/batches") :])
        if path.startswith("/fine_tuning/jobs"):
            return self._tuning_route(method, path[len("/fine_tuning/jobs") :])
        return None

    def _file_route(self, method: str, rest: str) -> tuple[str, Bound]:
        if rest.endswith("/content"):
            # GET only, like OpenAI's route: the suffix is reserved, so Allow names exactly what is served.
            file_id = rest[: -len("/content")]
            if method != "GET":
                return _not_allowed(method, f"/files/{rest}", "GET")
            return "/files/{id}/content", lambda ex: self.file_content(ex, file_id)
        if method == "GET":
            return "/files/{id}", lambda ex: self._answer(ex, lambda: self._jobs().afile_retrieve(rest))
        if method == "DELETE":
            return "/files/{id}", lambda ex: self._answer(ex, lambda: self._jobs().afile_delete(rest))
        return _not_allowed(method, f"/files/{rest}", "GET, DELETE")

    def _batch_route(self, method: str, rest: str) -> tuple[str, Bound]:
        if rest in ("", "/"):
            if method == "POST":
                return "/batches", self.create_batch
            return ("/batches", self.list_batches) if method == "GET" else _not_allowed(method, "/batches", "GET, POST")
        batch_id = rest.strip("/")
        if batch_id.endswith("/cancel") and method == "POST":
            target = batch_id[: -len("/cancel")]
            return "/batches/{id}/cancel", lambda ex: self._answer(ex, lambda: self._jobs().acancel_batch(target))
        if method == "GET" and not batch_id.endswith("/cancel"):  # job ids never end so: GET .../cancel is a 405
            return "/batches/{id}", lambda ex: self._answer(ex, lambda: self._jobs().aretrieve_batch(batch_id))
        return _not_allowed(method, f"/batches/{batch_id}", "POST" if batch_id.endswith("/cancel") else "GET")

    def _tuning_route(self, method: str, rest: str) -> tuple[str, Bound]:
        path = f"/fine_tuning/jobs{rest}"
        if rest in ("", "/"):
            if method == "POST":
                return "/fine_tuning/jobs", self.create_tuning_job
            return (
                ("/fine_tuning/jobs", self.list_tuning_jobs)
                if method == "GET"
                else _not_allowed(method, path, "GET, POST")
            )
        job_id = rest.strip("/")
        if job_id.endswith("/cancel") and method == "POST":
            target = job_id[: -len("/cancel")]
            label = "/fine_tuning/jobs/{id}/cancel"
            return label, lambda ex: self._answer(ex, lambda: self._jobs().acancel_fine_tuning_job(target))
        if method == "GET" and not job_id.endswith("/cancel"):
            return "/fine_tuning/jobs/{id}", lambda ex: self._answer(
                ex, lambda: self._jobs().aretrieve_fine_tuning_job(job_id)
            )
        return _not_allowed(method, path, "POST" if job_id.endswith("/cancel") else "GET")

    # ------------------------------------------------------------------ handlers

    async def create_file(self, ex: Exchange) -> None:
        self._authenticate(ex)
        content_type = ex.headers.get(b"content-type", b"").decode("latin-1")
        form = await read_form(ex.receive, content_type, self.max_upload_bytes)
        try:
            if "file" not in form.files:
                raise InvalidRequestError("the upload has no 'file' part", param="file")
            purpose = form.fields.get("purpose") or "batch"
            if purpose not in UPLOAD_PURPOSES:
                # Checked here: the Router would upload first and fail building the answer (a 500).
                raise InvalidField(f"purpose must be one of {', '.join(UPLOAD_PURPOSES)}", "purpose")
            provider = _provider(form.fields.get(_PROVIDER)) or "vertex_ai"
            filename, stream = form.files["file"]
            result = await self._timed(
                ex, self._jobs().acreate_file((filename, stream), purpose=purpose, custom_llm_provider=provider)
            )
        finally:
            form.close()
        await ex.respond_json(200, orjson.dumps(result.to_json()))

    async def file_content(self, ex: Exchange, file_id: str) -> None:
        self._authenticate(ex)
        chunks = self._jobs().aiter_file_content(file_id)
        first = await anext(chunks, b"")  # errors (404, wrong bucket) surface before the status line
        await ex.start(200, [(b"content-type", b"application/octet-stream")])
        try:
            await ex.send({"type": "http.response.body", "body": first, "more_body": True})
            async for chunk in chunks:
                await ex.send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            await ex.send({"type": "http.response.body", "body": b"", "more_body": False})

    async def create_batch(self, ex: Exchange) -> None:
        data = await self._body(ex, _BATCH)
        await self._answer(ex, lambda: self._jobs().acreate_batch(**data), authenticated=True)

    async def list_batches(self, ex: Exchange) -> None:
        after, limit = _paging(ex.query)
        await self._answer(ex, lambda: self._jobs().alist_batches(after=after, limit=limit))

    async def create_tuning_job(self, ex: Exchange) -> None:
        data = await self._body(ex, _TUNING)
        await self._answer(ex, lambda: self._jobs().acreate_fine_tuning_job(**data), authenticated=True)

    async def list_tuning_jobs(self, ex: Exchange) -> None:
        after, limit = _paging(ex.query)
        await self._answer(ex, lambda: self._jobs().alist_fine_tuning_jobs(after=after, limit=limit))

    # ------------------------------------------------------------------ shared steps

    def _jobs(self) -> Any:
        if not hasattr(self.router, "acreate_batch"):
            raise NotImplementedByRouter("Files, batches and fine-tuning are not available in this build.")
        return self.router

    def _authenticate(self, ex: Exchange) -> None:
        if self.auth is not None:
            self.auth.authenticate(ex.headers)

    async def _body(self, ex: Exchange, spec: BodySpec) -> dict[str, Any]:
        self._authenticate(ex)
        data = parse_json_object(await ex.read_body(self.max_body_bytes))
        _provider(data.pop(_PROVIDER, None))
        unknown = sorted(k for k, v in data.items() if k not in spec.fields and v is not None)
        if unknown:
            raise InvalidRequestError(f"unsupported field(s): {', '.join(unknown)}", param=unknown[0])
        body = {k: v for k, v in data.items() if v is not None}  # null means "not given", as in OpenAI's API
        for name, value in body.items():
            test, kind = spec.fields[name]
            if not test(value):
                raise InvalidField(f"{name!r} must be {kind}.", name)
        for name in spec.required:
            if name not in body:
                raise InvalidField(f"Missing required parameter {name!r}.", name)
        return body

    async def _answer(self, ex: Exchange, call: Callable[[], Awaitable[Any]], *, authenticated: bool = False) -> None:
        """Authenticate first, then make the Router call (``call`` is a thunk, so nothing starts unauthorised)."""
        if not authenticated:
            self._authenticate(ex)
        result = await self._timed(ex, call())
        await ex.respond_json(200, orjson.dumps(result.to_json()))

    async def _timed(self, ex: Exchange, call: Awaitable[Any]) -> Any:
        started = time.perf_counter()
        try:
            return await call
        finally:
            ex.router_seconds = time.perf_counter() - started


def _provider(value: Any) -> Any:
    if value is not None and value not in PROVIDERS:
        raise InvalidRequestError(f"{_PROVIDER} {value!r} is not served here", param=_PROVIDER)
    return value


def _not_allowed(method: str, path: str, allow: str) -> NoReturn:
    # The path names a jobs resource, so a wrong method is a 405 with Allow, not the 404 of an unknown route.
    raise MethodNotAllowed(method, path, allow)


def _repair(path: str) -> str:
    """Some clients and servers collapse ``gs://`` in a decoded path to ``gs:/``."""
    return path.replace("/gs:/", "/gs://", 1) if "/gs:/" in path and "/gs://" not in path else path


def _paging(query: bytes) -> tuple[str | None, int | None]:
    params: Mapping[str, list[str]] = parse_qs(query.decode("latin-1"))
    after = params.get("after", [None])[0]
    limit = params.get("limit", [None])[0]
    if limit is not None and not (limit.isascii() and limit.isdigit()):  # "²".isdigit() is True, int("²") fails
        raise InvalidRequestError("limit must be a positive integer", param="limit")
    return after, int(limit) if limit else None
