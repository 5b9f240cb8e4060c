"""``tuningJobs``: the create body from OpenAI's fine-tuning params, and job → OpenAI ``FineTuningJob``.

Hyperparameters: ``n_epochs`` → ``epochCount`` (an int64, sent as a JSON string), ``learning_rate_multiplier``
→ ``learningRateMultiplier``, ``adapter_size`` → the ``ADAPTER_SIZE_*`` enum (ints 1/2/4/8/16/32 are mapped,
enum names pass). ``suffix`` → ``tunedModelDisplayName``. Unknown hyperparameters are refused, not dropped.
A succeeded job reports its endpoint and the model string to call it with (``vertex_ai/gemini/<endpoint-id>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.errors import InvalidRequestError
from router.jobs.gcs import GcsUri, rfc3339_to_epoch
from router.jobs.types import FineTuningError, FineTuningJob, FineTuningStatus, Hyperparameters

ADAPTER_SIZES = {1: "ONE", 2: "TWO", 4: "FOUR", 8: "EIGHT", 16: "SIXTEEN", 32: "THIRTY_TWO"}
_ADAPTER_NAMES = {f"ADAPTER_SIZE_{word}": size for size, word in ADAPTER_SIZES.items()}
_KNOWN_HYPERPARAMETERS = frozenset({"n_epochs", "learning_rate_multiplier", "adapter_size", "batch_size"})

STATUS: dict[str, FineTuningStatus] = {
    "JOB_STATE_QUEUED": "queued",
    "JOB_STATE_PENDING": "queued",
    "JOB_STATE_RUNNING": "running",
    "JOB_STATE_UPDATING": "running",
    "JOB_STATE_PAUSED": "running",
    "JOB_STATE_CANCELLING": "running",
    "JOB_STATE_SUCCEEDED": "succeeded",
    "JOB_STATE_PARTIALLY_SUCCEEDED": "succeeded",
    "JOB_STATE_FAILED": "failed",
    "JOB_STATE_EXPIRED": "failed",
    "JOB_STATE_UNSPECIFIED": "failed",
    "JOB_STATE_CANCELLED": "cancelled",
}


def adapter_size(value: Any) -> str:
    if isinstance(value, str) and value.upper() in _ADAPTER_NAMES:
        return value.upper()
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value in ADAPTER_SIZES:
        return f"ADAPTER_SIZE_{ADAPTER_SIZES[value]}"
    allowed = ", ".join(str(n) for n in ADAPTER_SIZES)
    raise InvalidRequestError(
        f"adapter_size must be one of {allowed} (or ADAPTER_SIZE_ONE..THIRTY_TWO), got {value!r}",
        param="hyperparameters.adapter_size",
    )


def hyper_parameters(hp: Mapping[str, Any] | None) -> dict[str, Any]:
    hp = dict(hp or {})
    unknown = sorted(set(hp) - _KNOWN_HYPERPARAMETERS)
    if unknown:
        raise InvalidRequestError(
            f"unsupported hyperparameters for Vertex tuning: {', '.join(unknown)}", param="hyperparameters"
        )
    out: dict[str, Any] = {}
    epochs = hp.get("n_epochs")
    if epochs not in (None, "auto"):
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise InvalidRequestError("n_epochs must be a positive integer", param="hyperparameters.n_epochs")
        out["epochCount"] = str(epochs)
    rate = hp.get("learning_rate_multiplier")
    if rate not in (None, "auto"):
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
            raise InvalidRequestError(
                "learning_rate_multiplier must be a positive number", param="hyperparameters.learning_rate_multiplier"
            )
        out["learningRateMultiplier"] = float(rate)
    if hp.get("adapter_size") is not None:
        out["adapterSize"] = adapter_size(hp["adapter_size"])
    if hp.get("batch_size") not in (None, "auto"):
        raise InvalidRequestError("Vertex tuning has no batch_size", param="hyperparameters.batch_size")
    return out


def create_body(
    model: str,
    training_file: str,
    validation_file: str | None,
    hyperparameters: Mapping[str, Any] | None,
    suffix: str | None,
) -> dict[str, Any]:
    if not isinstance(model, str) or not model:
        raise InvalidRequestError("model must name the Vertex base model to tune", param="model")
    spec: dict[str, Any] = {"trainingDatasetUri": str(GcsUri.parse(training_file, param="training_file"))}
    if validation_file:
        spec["validationDatasetUri"] = str(GcsUri.parse(validation_file, param="validation_file"))
    hp = hyper_parameters(hyperparameters)
    if hp:
        spec["hyperParameters"] = hp
    body: dict[str, Any] = {"baseModel": model.removeprefix("vertex_ai/"), "supervisedTuningSpec": spec}
    if suffix:
        if len(suffix) > 128:
            raise InvalidRequestError("suffix (the tuned model's display name) may have 128 characters", param="suffix")
        body["tunedModelDisplayName"] = suffix
    return body


def to_job(job: Mapping[str, Any]) -> FineTuningJob:
    state = str(job.get("state") or "JOB_STATE_UNSPECIFIED")
    status = STATUS.get(state, "queued")
    spec = job.get("supervisedTuningSpec") or {}
    hp = spec.get("hyperParameters") or {}
    tuned = job.get("tunedModel") or {}
    endpoint = tuned.get("endpoint")
    endpoint_id = str(endpoint).rsplit("/", 1)[-1] if endpoint else None
    error = job.get("error") or {}
    result = FineTuningJob(
        id=str(job.get("name", "")),
        created_at=rfc3339_to_epoch(job.get("createTime")),
        status=status,
        model=str(job.get("baseModel", "")),
        training_file=str(spec.get("trainingDatasetUri", "")),
        validation_file=spec.get("validationDatasetUri"),
        fine_tuned_model=f"vertex_ai/gemini/{endpoint_id}" if endpoint_id else None,
        finished_at=(rfc3339_to_epoch(job.get("endTime")) or None)
        if status in ("succeeded", "failed", "cancelled")
        else None,
        hyperparameters=Hyperparameters(
            n_epochs=int(hp["epochCount"]) if hp.get("epochCount") else "auto",
            learning_rate_multiplier=float(hp["learningRateMultiplier"])
            if hp.get("learningRateMultiplier")
            else "auto",
            adapter_size=hp.get("adapterSize"),
        ),
        error=FineTuningError(code=str(error.get("code", "")), message=str(error["message"]))
        if error.get("message")
        else None,
        tuned_model_endpoint=endpoint,
        tuned_model=tuned.get("model"),
    )
    result.__pydantic_extra__ = {"vertex_state": state, "tuned_model_display_name": job.get("tunedModelDisplayName")}
    return result
