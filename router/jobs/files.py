"""OpenAI file objects ⇄ Cloud Storage objects: what a caller may pass as ``file``, object names per purpose,
and the GCS object resource → ``FileObject`` mapping (``id`` is the ``gs://`` URI without the generation).

Object names: ``[prefix/]vertex-router-files/publishers/P/models/M/<uuid>`` for batch input (the batch job
reads its model back from the path), ``.../fine-tune/<uuid>-<name>`` for tuning data, ``.../uploads/<uuid>-<name>``
otherwise; batch output lives under ``<input>-output/.../predictions.jsonl``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from router.errors import InvalidRequestError
from router.jobs.batches import PREDICTIONS_FILE
from router.jobs.gcs import rfc3339_to_epoch
from router.jobs.types import FileObject, FilePurpose

FILES_DIR = "vertex-router-files"
FileInput = bytes | str | Path | IO[bytes] | tuple[Any, ...]


def open_input(file: FileInput) -> tuple[str, IO[bytes], bool]:
    """(filename, readable binary stream, whether we opened it) for what the OpenAI SDK accepts as ``file``:
    bytes, a path, a binary file object, or ``(filename, one of those[, content type])``."""
    if isinstance(file, tuple):
        name, content = file[0], file[1]
        inner_name, stream, owned = open_input(content)
        return str(name or inner_name), stream, owned
    if isinstance(file, (bytes, bytearray)):
        return "upload.jsonl", io.BytesIO(bytes(file)), True
    if isinstance(file, (str, Path)):
        path = Path(file)
        return path.name, path.open("rb"), True
    if hasattr(file, "read"):
        return Path(str(getattr(file, "name", "upload.jsonl"))).name, file, False
    raise InvalidRequestError("file must be bytes, a path, a binary file object or (name, content)", param="file")


def safe_name(filename: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:100].strip("._")
    return cleaned or "upload"


def purpose_dir(purpose: str) -> str:
    return "fine-tune" if purpose == "fine-tune" else "uploads"


def purpose_of(name: str) -> FilePurpose:
    if "-output/" in name and name.endswith(f"/{PREDICTIONS_FILE}"):
        return "batch_output"
    if f"{FILES_DIR}/fine-tune/" in name:
        return "fine-tune"
    if f"{FILES_DIR}/uploads/" in name:
        return "user_data"
    return "batch"


def file_object(resource: Mapping[str, Any], purpose: FilePurpose) -> FileObject:
    object_id = str(resource.get("id", ""))
    bucket, name = str(resource.get("bucket", "")), str(resource.get("name", ""))
    generation = str(resource.get("generation", ""))
    if generation and object_id.endswith(f"/{generation}"):
        object_id = object_id[: -len(generation) - 1]
    return FileObject(
        id=f"gs://{object_id}" if object_id else f"gs://{bucket}/{name}",
        bytes=int(resource.get("size") or 0),
        created_at=rfc3339_to_epoch(resource.get("timeCreated")),
        filename=name,
        purpose=purpose,
    )
