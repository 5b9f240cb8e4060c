"""Cloud Storage, ``batchPredictionJobs`` and ``tuningJobs`` for the emulator, on a clock the tests control.

A job's state is a function of the time since it was created on ``now() = app.clock() + offset``: PENDING for
``pending_seconds``, RUNNING for ``running_seconds``, then SUCCEEDED. ``advance(seconds)`` (or
``POST /_emulator/jobs/advance?seconds=N``) moves only the jobs' clock. When a batch job is first seen
SUCCEEDED its predictions are computed by the emulator's own Gemini / Claude handlers from the input rows in
the emulated bucket and written to ``<outputUriPrefix>/prediction-model-<time>/predictions.jsonl``.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import orjson

from router.emulator import anthropic, gemini, predict
from router.emulator.call import Call
from router.emulator.errors import Reply, bad_request, google_error, json_reply, not_found
from router.emulator.gcs import GcsStore
from router.emulator.routes import Route
from router.emulator.synth import rfc3339

if TYPE_CHECKING:
    from router.emulator.app import EmulatorApp

_COLLECTION = re.compile(
    r"^/(v1|v1beta1)/projects/([^/]+)/locations/([^/]+)/(batchPredictionJobs|tuningJobs)(?:/(\d+))?(:cancel)?$"
)
_ENDPOINT = re.compile(r"^/(v1|v1beta1)/projects/([^/]+)/locations/([^/]+)/endpoints/(\d+)$")
_ADAPTERS = frozenset(
    {
        "ADAPTER_SIZE_ONE",
        "ADAPTER_SIZE_TWO",
        "ADAPTER_SIZE_FOUR",
        "ADAPTER_SIZE_EIGHT",
        "ADAPTER_SIZE_SIXTEEN",
        "ADAPTER_SIZE_THIRTY_TWO",
    }
)
_TERMINAL = frozenset({"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"})


@dataclass(slots=True)
class _Job:
    kind: str  # batchPredictionJobs | tuningJobs
    resource: dict[str, Any]
    created: float
    cancelled_at: float | None = None
    finished: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class JobsEmulator:
    def __init__(self, app: EmulatorApp, *, pending_seconds: float = 5.0, running_seconds: float = 10.0) -> None:
        self.app = app
        self.storage = GcsStore()
        self.pending_seconds = pending_seconds
        self.running_seconds = running_seconds
        self.offset = 0.0
        self._jobs: dict[str, _Job] = {}
        self._ids = itertools.count(3_814_889_423_749_775_360)
        self._lock = threading.RLock()

    # ------------------------------------------------------------------------------------------ control

    def now(self) -> float:
        return self.app.clock() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the jobs' clock forward (model calls and tokens keep the app's own clock)."""
        self.offset += seconds

    def finish_all(self) -> None:
        self.advance(self.pending_seconds + self.running_seconds + 1)

    def reset(self) -> None:
        with self._lock:
            self._jobs.clear()
        self.storage.clear()
        self.offset = 0.0

    @staticmethod
    def handles(path: str) -> bool:
        return (
            path.startswith(("/upload/storage/v1/", "/storage/v1/", "/_emulator/jobs/"))
            or bool(_COLLECTION.match(path))
            or bool(_ENDPOINT.match(path) and path.endswith(tuple("0123456789")))
        )

    # ------------------------------------------------------------------------------------------ ASGI

    async def __call__(
        self, scope: MutableMapping[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        body = await _read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope["path"]
        method: str = scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        if path.startswith("/_emulator/jobs/"):
            reply = self._control(path, query)
        elif self.app.require_auth and not self._authorized(headers):
            reply = google_error(401, "Request is missing required authentication credential.")
        elif path.startswith(("/upload/storage/", "/storage/")):
            reply = self.storage.handle(method, path, query, headers, body, self.app.clock())
        else:
            reply = self._vertex(method, path, query, body)
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [*reply.headers, (b"content-length", str(len(reply.body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": reply.body})

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and bool(token) and self.app.authority.check_access_token(token.strip())

    def _control(self, path: str, query: str) -> Reply:
        if path.rstrip("/") == "/_emulator/jobs/advance":
            seconds = parse_qs(query).get("seconds", [""])[0]
            try:
                self.advance(float(seconds) if seconds else self.pending_seconds + self.running_seconds + 1)
            except ValueError:
                return bad_request("seconds must be a number")
            return json_reply(200, {"offset": self.offset})
        return not_found(f"Unknown control route {path}.")

    # ------------------------------------------------------------------------------------------ Vertex

    def _vertex(self, method: str, path: str, query: str, body: bytes) -> Reply:
        endpoint = _ENDPOINT.match(path)
        if endpoint is not None and method == "GET":
            return self._endpoint(endpoint.group(2), endpoint.group(3), endpoint.group(4))
        match = _COLLECTION.match(path)
        if match is None:
            return not_found(f"The requested URL {path} was not found on this server.")
        _version, project, location, kind, job_id, cancel = match.groups()
        parent = f"projects/{project}/locations/{location}"
        if job_id is None:
            if method == "POST":
                return self._create(kind, parent, body)
            if method == "GET":
                return self._list(kind, parent, query)
            return google_error(405, f"Method {method} not allowed.")
        name = f"{parent}/{kind}/{job_id}"
        with self._lock:
            job = self._jobs.get(name)
        if job is None:
            return not_found(f"{kind[:-1]} {name} not found.")
        if cancel:
            return self._cancel(job) if method == "POST" else google_error(405, "Use POST to cancel.")
        return (
            json_reply(200, self._view(job)) if method == "GET" else google_error(405, f"Method {method} not allowed.")
        )

    def _create(self, kind: str, parent: str, raw: bytes) -> Reply:
        try:
            body = orjson.loads(raw or b"{}")
        except orjson.JSONDecodeError as exc:
            return bad_request(f"Invalid JSON payload received. {exc}")
        if not isinstance(body, dict):
            return bad_request("Invalid JSON payload received. Expected an object.")
        body = _camel(body)  # Google's JSON parsers accept proto field names as well as lowerCamelCase
        problem = _batch_problem(body) if kind == "batchPredictionJobs" else _tuning_problem(body)
        if problem:
            return bad_request(problem)
        name = f"{parent}/{kind}/{next(self._ids)}"
        now = self.now()
        resource = {**body, "name": name, "createTime": rfc3339(now), "updateTime": rfc3339(now)}
        job = _Job(kind, resource, now)
        with self._lock:
            self._jobs[name] = job
        return json_reply(200, self._view(job))

    def _list(self, kind: str, parent: str, query: str) -> Reply:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        size = int(params.get("pageSize") or 100)
        start = int(params.get("pageToken") or 0)
        with self._lock:
            jobs = [j for n, j in self._jobs.items() if n.startswith(f"{parent}/{kind}/")]
        jobs.sort(key=lambda j: j.created, reverse=True)
        page = jobs[start : start + size]
        payload: dict[str, Any] = {kind: [self._view(j) for j in page]}
        if start + size < len(jobs):
            payload["nextPageToken"] = str(start + size)
        return json_reply(200, payload)

    def _cancel(self, job: _Job) -> Reply:
        if self._state(job) not in _TERMINAL:
            job.cancelled_at = self.now()
        return json_reply(200, {})

    def _endpoint(self, project: str, location: str, endpoint_id: str) -> Reply:
        with self._lock:
            tuned = [j for j in self._jobs.values() if j.extra.get("endpoint_id") == endpoint_id]
        if not tuned or not tuned[0].finished:
            return not_found(f"Endpoint projects/{project}/locations/{location}/endpoints/{endpoint_id} not found.")
        model = tuned[0].resource["tunedModel"]["model"]
        name = f"projects/{project}/locations/{location}/endpoints/{endpoint_id}"
        return json_reply(200, {"name": name, "deployedModels": [{"id": "1", "model": model}]})

    # ------------------------------------------------------------------------------------------ progress

    def _state(self, job: _Job) -> str:
        elapsed = self.now() - job.created
        if job.cancelled_at is not None:
            return "JOB_STATE_CANCELLED"
        if job.extra.get("failed"):
            return "JOB_STATE_FAILED"
        if elapsed < self.pending_seconds:
            return "JOB_STATE_PENDING"
        if elapsed < self.pending_seconds + self.running_seconds:
            return "JOB_STATE_RUNNING"
        return "JOB_STATE_SUCCEEDED"

    def _view(self, job: _Job) -> dict[str, Any]:
        with self._lock:
            state = self._state(job)
            resource = job.resource
            resource["state"] = state
            if state != "JOB_STATE_PENDING" and "startTime" not in resource:
                resource["startTime"] = rfc3339(job.created + self.pending_seconds)
            if state in _TERMINAL and not job.finished:
                job.finished = True
                end = (
                    job.cancelled_at
                    if job.cancelled_at is not None
                    else job.created + self.pending_seconds + self.running_seconds
                )
                resource["endTime"] = rfc3339(end)
                if state == "JOB_STATE_SUCCEEDED":
                    self._complete(job)
            resource["updateTime"] = rfc3339(self.now())
            return dict(resource)

    def _complete(self, job: _Job) -> None:
        if job.kind == "tuningJobs":
            number = job.resource["name"].rsplit("/", 1)[-1]
            parent = job.resource["name"].split("/tuningJobs/")[0]
            endpoint_id = str(int(number) % 10**19 + 1_000_000_000_000_000)
            job.extra["endpoint_id"] = endpoint_id
            job.resource["tunedModel"] = {
                "model": f"{parent}/models/{endpoint_id}@1",
                "endpoint": f"{parent}/endpoints/{endpoint_id}",
            }
            return
        if not BatchRun(self, job.resource).run():
            job.extra["failed"] = True
            job.resource["state"] = "JOB_STATE_FAILED"


class BatchRun:
    """Computes one batch job's predictions with the emulator's own handlers and writes them to the bucket."""

    def __init__(self, jobs: JobsEmulator, resource: dict[str, Any]) -> None:
        self.jobs = jobs
        self.resource = resource
        self.project, self.location = resource["name"].split("/")[1], resource["name"].split("/")[3]

    def run(self) -> bool:
        """Write the predictions; False (and ``error`` set) when the job as a whole fails."""
        uri = self.resource["inputConfig"]["gcsSource"]["uris"][0]
        bucket, _, name = uri[5:].partition("/")
        stored = self.jobs.storage.get(bucket, name)
        if stored is None:
            self._fail(f"Input file {uri} does not exist.")
            return False
        publisher, model = _model_of(self.resource["model"])
        rows, ok, failed = [], 0, 0
        for line in stored.data.splitlines():
            if not line.strip():
                continue
            row = self._predict(line, publisher, model)
            ok, failed = (ok + 1, failed) if "response" in row else (ok, failed + 1)
            rows.append(orjson.dumps(row))
        prefix = self.resource["outputConfig"]["gcsDestination"]["outputUriPrefix"].rstrip("/")
        directory = (
            f"{prefix}/prediction-model-{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(self.jobs.now()))}.000000Z"
        )
        out_bucket, _, out_dir = directory[5:].partition("/")
        payload = b"\n".join(rows) + (b"\n" if rows else b"")
        self.jobs.storage.put(out_bucket, f"{out_dir}/predictions.jsonl", payload, "application/jsonl", self.jobs.now())
        self.resource["outputInfo"] = {"gcsOutputDirectory": directory}
        self.resource["completionStats"] = {
            "successfulCount": str(ok),
            "failedCount": str(failed),
            "incompleteCount": "0",
        }
        return True

    def _fail(self, message: str) -> None:
        self.resource["error"] = {"code": 3, "message": message}

    def _predict(self, line: bytes, publisher: str, model: str) -> dict[str, Any]:
        now = rfc3339(self.jobs.now())
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            return {"status": "Invalid JSON in the input line.", "processed_time": now}
        request = row.get("request") if isinstance(row, dict) else None
        if not isinstance(request, dict):
            return {"status": "Each line needs a request object.", "processed_time": now, "request": request}
        out: dict[str, Any] = {k: row[k] for k in ("custom_id", "key") if k in row}
        reply = self._call(publisher, model, request, embed="key" in row)
        out.update({"status": "", "processed_time": now, "request": request})
        if reply.status == 200:
            out["response"] = orjson.loads(reply.body)
        else:
            out["status"] = _error_text(reply)
        return out

    def _call(self, publisher: str, model: str, request: dict[str, Any], *, embed: bool) -> Reply:
        verb = "rawPredict" if publisher == "anthropic" else "embedContent" if embed else "generateContent"
        route = Route(
            kind="publisher_model",
            project=self.project,
            location=self.location,
            publisher=publisher,
            model=model,
            verb=verb,
        )
        app = self.jobs.app
        call = Call(route, request, {}, app.settings, app.caches, app.clock)
        if embed:
            return predict.embed_content(call)
        reply = anthropic.raw_predict(call) if publisher == "anthropic" else gemini.generate_content(call)
        return reply if isinstance(reply, Reply) else google_error(500, "streamed reply in a batch")


def _model_of(resource: str) -> tuple[str, str]:
    parts = resource.split("/")
    if "publishers" in parts:
        i = parts.index("publishers")
        return parts[i + 1], parts[i + 3]
    return "google", parts[-1].split("@")[0]


def _error_text(reply: Reply) -> str:
    try:
        payload = orjson.loads(reply.body)
        error = payload.get("error", {})
        return str(error.get("message") or error)
    except (orjson.JSONDecodeError, AttributeError):
        return f"HTTP {reply.status}"


def _batch_problem(body: Mapping[str, Any]) -> str | None:
    uris = (body.get("inputConfig") or {}).get("gcsSource", {}).get("uris")
    if not body.get("displayName"):
        return "displayName is required."
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) and u.startswith("gs://") for u in uris):
        return "inputConfig.gcsSource.uris must list gs:// URIs."
    if (body.get("inputConfig") or {}).get("instancesFormat") != "jsonl":
        return "inputConfig.instancesFormat must be jsonl for Cloud Storage input."
    prefix = (body.get("outputConfig") or {}).get("gcsDestination", {}).get("outputUriPrefix", "")
    if not str(prefix).startswith("gs://"):
        return "outputConfig.gcsDestination.outputUriPrefix must be a gs:// URI."
    model = str(body.get("model") or "")
    if not (model.startswith("publishers/") or "/models/" in model):
        return "model must be a Model resource (publishers/*/models/* or projects/*/locations/*/models/*)."
    return None


def _tuning_problem(body: Mapping[str, Any]) -> str | None:
    if not body.get("baseModel"):
        return "baseModel is required."
    spec = body.get("supervisedTuningSpec")
    if not isinstance(spec, dict) or not str(spec.get("trainingDatasetUri", "")).startswith("gs://"):
        return "supervisedTuningSpec.trainingDatasetUri must be a gs:// URI."
    hp = spec.get("hyperParameters") or {}
    if "adapterSize" in hp and hp["adapterSize"] not in _ADAPTERS:
        field = "tuning_job.supervised_tuning_spec.hyper_parameters.adapter_size"
        return f"Invalid value at '{field}' ({hp['adapterSize']!r})"
    if "epochCount" in hp and not str(hp["epochCount"]).isdigit():
        return "Invalid value at 'tuning_job.supervised_tuning_spec.hyper_parameters.epoch_count'"
    return None


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel_key(k): _camel(v) if k != "labels" else v for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _camel_key(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


async def _read_body(receive: Callable[..., Any]) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)
