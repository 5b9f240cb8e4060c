"""OpenAI files, batches and fine-tuning on Vertex AI: Cloud Storage, batchPredictionJobs, tuningJobs."""

from router.jobs.api import JobsAPI
from router.jobs.types import Batch, FileDeleted, FileObject, FineTuningJob, ListPage

__all__ = ["Batch", "FileDeleted", "FileObject", "FineTuningJob", "JobsAPI", "ListPage"]
