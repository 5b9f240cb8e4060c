"""``batchPredictionJobs``: request bodies and the job → OpenAI ``Batch`` mapping (pure functions).

The model comes from the input object's path (``.../publishers/P/models/M/<uuid>``, written at upload) or the
caller's ``model``. Output goes to ``<input object>-output/`` so the output file id alone says which model
produced it (``batch_output.OutputModel``) and batches never share an output directory.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from router.errors import InvalidRequestError
from router.jobs.gcs import GcsUri, rfc3339_to_epoch
from router.jobs.types import Batch, BatchError, BatchErrors, BatchRequestCounts, BatchStatus

PREDICTIONS_FILE = "predictions.jsonl"

STATUS: dict[str, BatchStatus] = {
    "JOB_STATE_UNSPECIFIED": "failed",
    "JOB_STATE_QUEUED": "validating",
    "JOB_STATE_PENDING": "validating",
    "JOB_STATE_RUNNING": "in_progress",
    "JOB_STATE_SUCCEEDED": "completed",
    "JOB_STATE_FAILED": "failed",
    "JOB_STATE_CANCELLING": "cancelling",
    "JOB_STATE_CANCELLED": "cancelled",
    "JOB_STATE_PAUSED": "in_progress",
    "JOB_STATE_EXPIRED": "expired",
    "JOB_STATE_UPDATING": "in_progress",
    "JOB_STATE_PARTIALLY_SUCCEEDED": "completed",
}


def model_resource(input_uri: GcsUri, model: str | None) -> str:
    """``publishers/P/models/M`` (or ``endpoints/ID``) for the job, from ``model`` or the input's path."""
    if model:
        if model.startswith(("publishers/", "projects/", "endpoints/")):
            return model
        publisher = "anthropic" if model.startswith("claude") else "google"
        return f"publishers/{publisher}/models/{model}"
    parts = input_uri.name.split("/")
    for i in range(len(parts) - 3):
        if parts[i] == "publishers" and parts[i + 2] == "models":
            return "/".join(parts[i : i + 4])
    for i in range(len(parts) - 1):
        if parts[i] == "endpoints" and parts[i + 1].isdigit():
            return f"endpoints/{parts[i + 1]}"
    raise InvalidRequestError(
        f"cannot tell the model of {input_uri}: upload it with purpose='batch' through the router, or pass model=",
        param="model",
    )


def output_prefix(input_uri: GcsUri) -> str:
    return f"{input_uri}-output"


def create_body(input_uri: GcsUri, model: str, metadata: Mapping[str, str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "displayName": f"vertex-router-batch-{uuid.uuid4()}",
        "model": model,
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": [str(input_uri)]}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": output_prefix(input_uri)}},
    }
    labels = _labels(metadata)
    if labels:
        body["labels"] = labels
    return body


def _labels(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """OpenAI metadata kept as job labels where it fits Google's label rules (the rest is dropped)."""
    out: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        k, v = str(key).lower(), str(value).lower()
        if _label_ok(k, first=True) and _label_ok(v, first=False) and len(out) < 64:
            out[k] = v
    return out


def _label_ok(text: str, *, first: bool) -> bool:
    if len(text) > 63 or (first and (not text or not text[0].isalpha())):
        return False
    return all(c.isdigit() or c in "_-" or (c.isalpha() and c.islower()) for c in text)


def to_batch(job: Mapping[str, Any], *, metadata: Mapping[str, str] | None = None) -> Batch:
    """The OpenAI view of a job; ``endpoint`` follows the model (embedding models serve ``/v1/embeddings``)."""
    model = str(job.get("model") or "")
    endpoint = "/v1/embeddings" if "embedding" in model.rsplit("/", 1)[-1] else "/v1/chat/completions"
    state = str(job.get("state") or "JOB_STATE_UNSPECIFIED")
    status = STATUS.get(state, "failed")
    uris = (job.get("inputConfig") or {}).get("gcsSource", {}).get("uris") or [""]
    out_dir = (job.get("outputInfo") or {}).get("gcsOutputDirectory")
    end = rfc3339_to_epoch(job.get("endTime")) or None
    batch = Batch(
        id=str(job.get("name", "")).rsplit("/", 1)[-1],
        created_at=rfc3339_to_epoch(job.get("createTime")),
        endpoint=endpoint,
        input_file_id=str(uris[0]),
        status=status,
        output_file_id=f"{out_dir}/{PREDICTIONS_FILE}" if out_dir else None,
        in_progress_at=rfc3339_to_epoch(job.get("startTime")) or None,
        completed_at=end if status == "completed" else None,
        failed_at=end if status == "failed" else None,
        cancelled_at=end if status == "cancelled" else None,
        expired_at=end if status == "expired" else None,
        request_counts=_counts(job.get("completionStats")),
        errors=_errors(job.get("error")),
        metadata=dict(metadata) if metadata else (dict(job["labels"]) if job.get("labels") else None),
        model=model or None,
    )
    batch.__pydantic_extra__ = {"vertex_state": state, "vertex_name": job.get("name")}
    return batch


def _counts(stats: Any) -> BatchRequestCounts:
    stats = stats if isinstance(stats, Mapping) else {}
    ok = int(stats.get("successfulCount") or 0)
    failed = int(stats.get("failedCount") or 0)
    incomplete = int(stats.get("incompleteCount") or 0)
    return BatchRequestCounts(total=ok + failed + incomplete, completed=ok, failed=failed)


def _errors(error: Any) -> BatchErrors | None:
    if not isinstance(error, Mapping) or not error.get("message"):
        return None
    return BatchErrors(data=[BatchError(code=str(error.get("code", "")), message=str(error["message"]))])
