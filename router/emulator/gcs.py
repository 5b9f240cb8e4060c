"""A Cloud Storage JSON API in memory: simple and resumable uploads, metadata, ranged download, delete, list.

Paths (Google's): ``POST /upload/storage/v1/b/{bucket}/o?uploadType=media|resumable&name=...``,
``PUT`` to the resumable session URI with ``Content-Range`` (308 until the last chunk), ``GET /storage/v1/b/
{bucket}/o/{object}`` (``?alt=media`` for the bytes, honouring ``Range``), ``DELETE`` the same path, and
``GET /storage/v1/b/{bucket}/o?prefix=`` to list. Object names in paths are percent-encoded.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import orjson

from router.emulator.errors import Reply, bad_request, google_error, json_reply, not_found
from router.emulator.synth import rfc3339

_CONTENT_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")
_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


@dataclass(slots=True)
class StoredObject:
    bucket: str
    name: str
    data: bytes
    content_type: str
    generation: int
    created: float

    def resource(self) -> dict[str, Any]:
        return {
            "kind": "storage#object",
            "id": f"{self.bucket}/{self.name}/{self.generation}",
            "selfLink": f"https://www.googleapis.com/storage/v1/b/{self.bucket}/o/{quote(self.name, safe='')}",
            "name": self.name,
            "bucket": self.bucket,
            "generation": str(self.generation),
            "contentType": self.content_type,
            "size": str(len(self.data)),
            "timeCreated": rfc3339(self.created),
            "updated": rfc3339(self.created),
        }


@dataclass(slots=True)
class _Session:
    bucket: str
    name: str
    content_type: str
    data: bytearray = field(default_factory=bytearray)


class GcsStore:
    """Buckets exist on first write. Thread-safe: tests read and write it from outside the server thread."""

    def __init__(self) -> None:
        self._objects: dict[tuple[str, str], StoredObject] = {}
        self._sessions: dict[str, _Session] = {}
        self._ids = itertools.count(1_700_000_000_000_001)
        self._lock = threading.Lock()

    def put(self, bucket: str, name: str, data: bytes, content_type: str, now: float) -> StoredObject:
        with self._lock:
            stored = StoredObject(bucket, name, bytes(data), content_type, next(self._ids), now)
            self._objects[(bucket, name)] = stored
            return stored

    def get(self, bucket: str, name: str) -> StoredObject | None:
        with self._lock:
            return self._objects.get((bucket, name))

    def remove(self, bucket: str, name: str) -> bool:
        with self._lock:
            return self._objects.pop((bucket, name), None) is not None

    def listing(self, bucket: str, prefix: str) -> list[StoredObject]:
        with self._lock:
            return sorted(
                (o for (b, n), o in self._objects.items() if b == bucket and n.startswith(prefix)), key=lambda o: o.name
            )

    def clear(self) -> None:
        with self._lock:
            self._objects.clear()
            self._sessions.clear()

    # ------------------------------------------------------------------------------------------ HTTP

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, now: float) -> Reply:
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if path.startswith("/upload/storage/v1/b/"):
            bucket, rest = _split_bucket(path.removeprefix("/upload/storage/v1/b/"))
            if rest != "o":
                return not_found(f"No such upload path {path}.")
            return self._upload(method, bucket, params, headers, body, now)
        if path.startswith("/storage/v1/b/"):
            bucket, rest = _split_bucket(path.removeprefix("/storage/v1/b/"))
            if rest == "o" and method == "GET":
                return self._list(bucket, params.get("prefix", ""))
            if rest.startswith("o/"):
                return self._object(method, bucket, unquote(rest[2:]), params, headers)
        return not_found(f"No such storage path {path}.")

    def _upload(
        self, method: str, bucket: str, params: dict[str, str], headers: dict[str, str], body: bytes, now: float
    ) -> Reply:
        kind = params.get("uploadType")
        if method == "PUT" and kind == "resumable" and "upload_id" in params:
            return self._chunk(params["upload_id"], headers, body, now)
        if method != "POST":
            return google_error(405, f"Method {method} not allowed on the upload path.")
        name = params.get("name", "")
        if not name:
            return bad_request("Required parameter: name")
        if kind == "media":
            content_type = headers.get("content-type", "application/octet-stream")
            return json_reply(200, self.put(bucket, name, body, content_type, now).resource())
        if kind == "resumable":
            upload_id = f"vr{next(self._ids)}"
            content_type = headers.get("x-upload-content-type", "application/octet-stream")
            with self._lock:
                self._sessions[upload_id] = _Session(bucket, name, content_type)
            host = headers.get("host", "127.0.0.1")
            location = f"http://{host}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id={upload_id}"
            return Reply(200, b"", [(b"location", location.encode()), (b"content-type", b"text/plain")])
        return bad_request(f"Unsupported uploadType {kind!r}.")

    def _chunk(self, upload_id: str, headers: dict[str, str], body: bytes, now: float) -> Reply:
        with self._lock:
            session = self._sessions.get(upload_id)
        if session is None:
            return not_found("No such upload session.")
        match = _CONTENT_RANGE.match(headers.get("content-range", ""))
        if match is None:
            return bad_request("Content-Range is required and must be 'bytes a-b/total' or 'bytes */total'.")
        start, _end, total = match.groups()
        if start is not None and int(start) != len(session.data):
            return bad_request(f"Chunk starts at {start}, expected {len(session.data)}.")
        session.data.extend(body)
        if total != "*" and len(session.data) >= int(total):
            with self._lock:
                self._sessions.pop(upload_id, None)
            stored = self.put(session.bucket, session.name, bytes(session.data), session.content_type, now)
            return json_reply(200, stored.resource())
        received = f"bytes=0-{len(session.data) - 1}".encode()
        return Reply(308, b"", [(b"range", received), (b"content-type", b"text/plain")])

    def _object(self, method: str, bucket: str, name: str, params: dict[str, str], headers: dict[str, str]) -> Reply:
        stored = self.get(bucket, name)
        if stored is None:
            return not_found(f"No such object: {bucket}/{name}")
        if method == "DELETE":
            self.remove(bucket, name)
            return Reply(204, b"", [])
        if method != "GET":
            return google_error(405, f"Method {method} not allowed on objects.")
        if params.get("alt") != "media":
            return json_reply(200, stored.resource())
        return _media(stored, headers.get("range"))

    def _list(self, bucket: str, prefix: str) -> Reply:
        items = [o.resource() for o in self.listing(bucket, prefix)]
        return json_reply(200, {"kind": "storage#objects", "items": items})


def _split_bucket(rest: str) -> tuple[str, str]:
    bucket, _, tail = rest.partition("/")
    return unquote(bucket), tail


def _media(stored: StoredObject, range_header: str | None) -> Reply:
    content_type = [(b"content-type", stored.content_type.encode())]
    size = len(stored.data)
    match = _RANGE.match(range_header or "")
    if match is None:
        return Reply(200, stored.data, content_type)
    start = int(match.group(1))
    end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
    if start >= size:
        return Reply(
            416,
            orjson.dumps({"error": {"code": 416, "message": "Requested range not satisfiable"}}),
            [(b"content-range", f"bytes */{size}".encode())],
        )
    headers = [*content_type, (b"content-range", f"bytes {start}-{end}/{size}".encode())]
    return Reply(206, stored.data[start : end + 1], headers)
