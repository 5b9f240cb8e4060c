"""Cloud Storage operations over the Router's authenticated sender: streamed upload, ranged download, delete.

Memory stays bounded by the chunk size whatever the object's size: an upload reads its source one chunk at a
time (one request if it fits, else a resumable session), a download asks for one byte range at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import IO, Any

import orjson

from router.errors import UpstreamError, error_class_for_status
from router.families.base import PreparedRequest, UpstreamResponse, error_message
from router.jobs import gcs
from router.jobs.gcs import GcsUri

Send = Callable[[PreparedRequest], Awaitable[UpstreamResponse]]


class Storage:
    def __init__(self, send: Send, base: str, *, chunk_size: int = gcs.DEFAULT_CHUNK) -> None:
        if chunk_size % gcs.CHUNK_GRANULE:
            raise ValueError("chunk_size must be a multiple of 256 KiB")
        self._send = send
        self._base = base
        self.chunk_size = chunk_size

    async def upload(self, uri: GcsUri, src: IO[bytes], content_type: str) -> dict[str, Any]:
        """Upload ``src`` (read from its current position) to ``uri``; the object resource comes back."""
        first = src.read(self.chunk_size)
        if len(first) < self.chunk_size:
            response = await self._send(gcs.upload_media(self._base, uri, first, content_type))
            return _json(_checked(response, f"upload of {uri}"))
        started = _checked(await self._send(gcs.upload_session(self._base, uri, content_type)), f"upload of {uri}")
        session = started.headers.get("location") or started.headers.get("Location")
        if not session:
            raise UpstreamError(f"upload of {uri}: Cloud Storage returned no session URI", upstream_status=200)
        return await self._upload_chunks(session, uri, first, src)

    async def _upload_chunks(self, session: str, uri: GcsUri, first: bytes, src: IO[bytes]) -> dict[str, Any]:
        offset, current = 0, first
        while True:
            following = src.read(self.chunk_size)
            total = None if following else offset + len(current)
            response = await self._send(gcs.upload_chunk(session, current, offset, total))
            if total is not None:
                return _json(_checked(response, f"upload of {uri}"))
            if response.status != 308:
                _checked(response, f"upload of {uri}")
                raise UpstreamError(f"upload of {uri}: unexpected status {response.status} mid-upload")
            offset += len(current)
            current = following

    async def metadata(self, uri: GcsUri) -> dict[str, Any]:
        return _json(_checked(await self._send(gcs.get_metadata(self._base, uri)), f"metadata of {uri}"))

    async def delete(self, uri: GcsUri) -> None:
        _checked(await self._send(gcs.delete(self._base, uri)), f"delete of {uri}")

    async def chunks(self, uri: GcsUri) -> AsyncIterator[bytes]:
        """The object's bytes, one ranged request of ``chunk_size`` at a time."""
        start = 0
        while True:
            end = start + self.chunk_size - 1
            response = await self._send(gcs.download(self._base, uri, start, end))
            if response.status == 416:  # empty object, or a size that is an exact multiple of the chunk
                return
            _checked(response, f"download of {uri}")
            if response.body:
                yield response.body
            total = _total_size(response)
            if response.status == 200 or total is None or end + 1 >= total or not response.body:
                return
            start = end + 1

    async def read_all(self, uri: GcsUri) -> bytes:
        return b"".join([chunk async for chunk in self.chunks(uri)])


def _total_size(response: UpstreamResponse) -> int | None:
    value = response.headers.get("content-range") or response.headers.get("Content-Range") or ""
    _, _, total = value.rpartition("/")
    return int(total) if total.isdigit() else None


def _checked(response: UpstreamResponse, what: str) -> UpstreamResponse:
    if response.status < 400:
        return response
    message, status_word = error_message(response.body)
    cls = error_class_for_status(response.status)
    raise cls(
        f"Cloud Storage {what}: {response.status} {status_word} {message}".strip(), upstream_status=response.status
    )


def _json(response: UpstreamResponse) -> dict[str, Any]:
    try:
        payload = orjson.loads(response.body)
    except orjson.JSONDecodeError as exc:
        raise UpstreamError(
            "Cloud Storage answered with a body that is not JSON", upstream_status=response.status
        ) from exc
    return payload if isinstance(payload, dict) else {}
