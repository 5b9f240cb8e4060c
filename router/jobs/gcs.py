"""Cloud Storage JSON API requests (upload, metadata, download, delete) and ``gs://`` URIs.

Pure builders: every function returns a ``PreparedRequest`` the Router sends with its token. Uploads up to
one chunk go in one ``uploadType=media`` request; bigger ones use a resumable session (``uploadType=resumable``)
fed one chunk at a time, so a file of any size is never held whole in memory. Downloads read byte ranges of
the ``alt=media`` URL for the same reason.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from router.errors import InvalidRequestError
from router.families.base import PreparedRequest

STORAGE_BASE = "https://storage.googleapis.com"
CHUNK_GRANULE = 256 * 1024  # resumable chunks must be multiples of 256 KiB (all but the last)
DEFAULT_CHUNK = 32 * CHUNK_GRANULE  # 8 MiB
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")


@dataclass(frozen=True, slots=True)
class GcsUri:
    bucket: str
    name: str

    @classmethod
    def parse(cls, uri: str, *, param: str = "file_id") -> GcsUri:
        if not isinstance(uri, str) or not uri.startswith("gs://"):
            raise InvalidRequestError(f"{param} must be a gs:// URI, got {uri!r}", param=param)
        bucket, _, name = uri[5:].partition("/")
        if not _BUCKET.match(bucket) or not name:
            raise InvalidRequestError(f"{param} {uri!r} is not gs://<bucket>/<object>", param=param)
        return cls(bucket, name)

    def __str__(self) -> str:
        return f"gs://{self.bucket}/{self.name}"

    @property
    def parent(self) -> str:
        """The URI of the 'directory' holding this object (up to its last '/')."""
        head = self.name.rsplit("/", 1)[0] if "/" in self.name else ""
        return f"gs://{self.bucket}/{head}" if head else f"gs://{self.bucket}"


@dataclass(frozen=True, slots=True)
class BucketSetting:
    """``gcs_bucket_name`` as written: ``bucket`` or ``bucket/prefix``."""

    bucket: str
    prefix: str = ""

    @classmethod
    def parse(cls, value: str, *, setting: str) -> BucketSetting:
        text = value.strip().strip("/")
        if "://" in text or "?" in text or "#" in text:
            raise InvalidRequestError(f"{setting} must be 'bucket' or 'bucket/prefix', without a scheme or query")
        bucket, _, prefix = text.partition("/")
        if not _BUCKET.match(bucket):
            raise InvalidRequestError(f"{setting}: {bucket!r} is not a valid Cloud Storage bucket name")
        return cls(bucket, prefix.strip("/"))

    def object_name(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name


def storage_base(api_base: str | None) -> str:
    base = (api_base or STORAGE_BASE).rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequestError("the Cloud Storage api_base must be an absolute http(s) URL", param="api_base")
    return base


def _object_path(uri: GcsUri) -> str:
    return f"/storage/v1/b/{quote(uri.bucket, safe='')}/o/{quote(uri.name, safe='')}"


def upload_media(base: str, uri: GcsUri, body: bytes, content_type: str) -> PreparedRequest:
    url = f"{base}/upload/storage/v1/b/{quote(uri.bucket, safe='')}/o?uploadType=media&name={quote(uri.name, safe='')}"
    return PreparedRequest("POST", url, body, {"content-type": content_type})


def upload_session(base: str, uri: GcsUri, content_type: str) -> PreparedRequest:
    """Start a resumable upload; the answer's ``Location`` header is the session URI."""
    url = (
        f"{base}/upload/storage/v1/b/{quote(uri.bucket, safe='')}/o"
        f"?uploadType=resumable&name={quote(uri.name, safe='')}"
    )
    return PreparedRequest(
        "POST", url, b"{}", {"content-type": "application/json; charset=UTF-8", "x-upload-content-type": content_type}
    )


def upload_chunk(session_url: str, chunk: bytes, offset: int, total: int | None) -> PreparedRequest:
    """One chunk of a resumable upload; ``total`` is known only with the last chunk (``*`` before)."""
    size = "*" if total is None else str(total)
    content_range = f"bytes {offset}-{offset + len(chunk) - 1}/{size}" if chunk else f"bytes */{size}"
    return PreparedRequest("PUT", session_url, chunk, {"content-range": content_range})


def get_metadata(base: str, uri: GcsUri) -> PreparedRequest:
    return PreparedRequest("GET", f"{base}{_object_path(uri)}", None, {})


def download(base: str, uri: GcsUri, start: int | None = None, end: int | None = None) -> PreparedRequest:
    """``alt=media``; with ``start``/``end`` (inclusive) one byte range of it."""
    headers = {} if start is None else {"range": f"bytes={start}-{'' if end is None else end}"}
    return PreparedRequest("GET", f"{base}{_object_path(uri)}?alt=media", None, headers)


def delete(base: str, uri: GcsUri) -> PreparedRequest:
    return PreparedRequest("DELETE", f"{base}{_object_path(uri)}", None, {})


def list_objects(base: str, bucket: str, prefix: str) -> PreparedRequest:
    url = f"{base}/storage/v1/b/{quote(bucket, safe='')}/o?prefix={quote(prefix, safe='')}"
    return PreparedRequest("GET", url, None, {})


def rfc3339_to_epoch(value: str | None) -> int:
    """``2024-12-05T09:47:06.123Z`` → seconds since the epoch (fraction dropped); 0 when absent."""
    if not value:
        return 0
    head = value.split(".", 1)[0].rstrip("Z")
    if "+" in head[10:]:
        head = head[: 10 + head[10:].index("+")]
    try:
        return calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return 0
