"""OpenAI-shaped objects of the files, batches and fine-tuning APIs (the ``openai`` SDK parses them as its own).

Field names and literals follow ``openai.types.FileObject``, ``openai.types.Batch`` and
``openai.types.fine_tuning.FineTuningJob``; ids of files are ``gs://`` URIs, ids of batches the numeric
Vertex job id, ids of fine-tuning jobs the full Vertex resource name.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

FilePurpose = Literal[
    "assistants", "assistants_output", "batch", "batch_output", "fine-tune", "fine-tune-results", "vision", "user_data"
]
BatchStatus = Literal[
    "validating", "failed", "in_progress", "finalizing", "completed", "expired", "cancelling", "cancelled"
]
FineTuningStatus = Literal["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class FileObject(_Model):
    id: str
    bytes: int
    created_at: int
    filename: str
    object: Literal["file"] = "file"
    purpose: FilePurpose = "batch"
    status: Literal["uploaded", "processed", "error"] = "uploaded"
    expires_at: int | None = None
    status_details: str | None = None


class FileDeleted(_Model):
    id: str
    object: Literal["file"] = "file"
    deleted: bool = True


class BatchRequestCounts(_Model):
    total: int = 0
    completed: int = 0
    failed: int = 0


class BatchError(_Model):
    code: str | None = None
    message: str | None = None
    line: int | None = None
    param: str | None = None


class BatchErrors(_Model):
    object: Literal["list"] = "list"
    data: list[BatchError] = Field(default_factory=list)


class Batch(_Model):
    id: str
    completion_window: str = "24h"
    created_at: int
    endpoint: str = ""
    input_file_id: str
    object: Literal["batch"] = "batch"
    status: BatchStatus
    cancelled_at: int | None = None
    cancelling_at: int | None = None
    completed_at: int | None = None
    error_file_id: str | None = None
    errors: BatchErrors | None = None
    expired_at: int | None = None
    expires_at: int | None = None
    failed_at: int | None = None
    finalizing_at: int | None = None
    in_progress_at: int | None = None
    metadata: dict[str, str] | None = None
    model: str | None = None
    output_file_id: str | None = None
    request_counts: BatchRequestCounts | None = None


class FineTuningError(_Model):
    code: str
    message: str
    param: str | None = None


class Hyperparameters(_Model):
    batch_size: int | Literal["auto"] | None = None
    learning_rate_multiplier: float | Literal["auto"] | None = None
    n_epochs: int | Literal["auto"] | None = None
    adapter_size: str | None = None


class FineTuningJob(_Model):
    id: str
    created_at: int
    error: FineTuningError | None = None
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    hyperparameters: Hyperparameters = Field(default_factory=Hyperparameters)
    model: str
    object: Literal["fine_tuning.job"] = "fine_tuning.job"
    organization_id: str = ""
    result_files: list[str] = Field(default_factory=list)
    seed: int = 0
    status: FineTuningStatus
    trained_tokens: int | None = None
    training_file: str
    validation_file: str | None = None
    estimated_finish: int | None = None
    metadata: dict[str, str] | None = None
    # Vertex extras: where the tuned model is served, and the model string that calls it through the router.
    tuned_model_endpoint: str | None = None
    tuned_model: str | None = None


T = TypeVar("T", bound=BaseModel)


class ListPage(_Model, Generic[T]):
    """OpenAI's cursor page: ``after`` of the next call is ``last_id`` (we also accept the Vertex page token)."""

    object: Literal["list"] = "list"
    data: list[T] = Field(default_factory=list)
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False
    next_page_token: str | None = None
