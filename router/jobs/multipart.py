"""A streaming ``multipart/form-data`` reader (for the proxy's ``POST /v1/files``): file parts go to a spooled
temporary file, never whole into memory.

Only what ``POST /v1/files`` needs: fields (small, kept in memory) and file parts (spooled to disk past a few
MiB). The body is consumed from the ASGI ``receive`` channel one message at a time.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import IO, Any

from router.errors import InvalidRequestError

Receive = Callable[[], Awaitable[Any]]
SPOOL_BYTES = 4 * 1024 * 1024
MAX_FIELD_BYTES = 64 * 1024
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_DISPOSITION = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


class UploadTooLarge(InvalidRequestError):
    status_code = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"Upload exceeds the limit of {limit} bytes.", param="file", code="request_too_large")


@dataclass
class FormData:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, IO[bytes]]] = field(default_factory=dict)

    def close(self) -> None:
        for _, stream in self.files.values():
            stream.close()


def boundary_of(content_type: str) -> bytes:
    if not content_type.lower().startswith("multipart/form-data"):
        raise InvalidRequestError("expected a multipart/form-data upload (file and purpose fields)", param="file")
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise InvalidRequestError("multipart/form-data without a boundary", param="file")
    return match.group(1).encode("latin-1")


class _Parser:
    def __init__(self, boundary: bytes, limit: int) -> None:
        self.delimiter = b"\r\n--" + boundary
        self.buffer = b"\r\n"  # so the first delimiter matches like every later one
        self.state = "preamble"
        self.form = FormData()
        self.limit = limit
        self.size = 0
        self.name = ""
        self.sink: IO[bytes] | None = None
        self.field_bytes = bytearray()

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise UploadTooLarge(self.limit)
        self.buffer += chunk
        while self._step():
            pass

    def _step(self) -> bool:
        if self.state == "preamble":
            at = self.buffer.find(self.delimiter)
            if at < 0:
                self.buffer = self.buffer[-len(self.delimiter) :]
                return False
            self.buffer = self.buffer[at + len(self.delimiter) :]
            self.state = "after_delimiter"
            return True
        if self.state == "after_delimiter":
            if len(self.buffer) < 2:
                return False
            if self.buffer.startswith(b"--"):
                self.state = "done"
                return False
            self.buffer = self.buffer[2:]  # CRLF
            self.state = "headers"
            return True
        if self.state == "headers":
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_FIELD_BYTES:
                    raise InvalidRequestError("multipart part headers too long", param="file")
                return False
            self._start_part(self.buffer[:end].decode("utf-8", "replace"))
            self.buffer = self.buffer[end + 4 :]
            self.state = "body"
            return True
        if self.state == "body":
            at = self.buffer.find(self.delimiter)
            if at < 0:
                keep = len(self.delimiter)
                self._write(self.buffer[:-keep])
                self.buffer = self.buffer[-keep:]
                return False
            self._write(self.buffer[:at])
            self._end_part()
            self.buffer = self.buffer[at + len(self.delimiter) :]
            self.state = "after_delimiter"
            return True
        return False

    def _start_part(self, headers: str) -> None:
        disposition = ""
        for line in headers.split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                disposition = value
        params = dict(_DISPOSITION.findall(disposition))
        self.name = params.get("name", "")
        if "filename" in params:
            self.sink = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by FormData)
            self.form.files[self.name] = (params["filename"] or "upload", self.sink)
        else:
            self.sink = None
            self.field_bytes = bytearray()

    def _write(self, data: bytes) -> None:
        if not data:
            return
        if self.sink is not None:
            self.sink.write(data)
            return
        self.field_bytes.extend(data)
        if len(self.field_bytes) > MAX_FIELD_BYTES:
            raise InvalidRequestError(f"form field {self.name!r} is too long", param=self.name)

    def _end_part(self) -> None:
        if self.sink is not None:
            self.sink.seek(0)
        else:
            self.form.fields[self.name] = self.field_bytes.decode("utf-8", "replace")


async def read_form(receive: Receive, content_type: str, limit: int) -> FormData:
    parser = _Parser(boundary_of(content_type), limit)
    try:
        while True:
            message: Any = await receive()
            if message["type"] == "http.disconnect":
                break
            parser.feed(message.get("body", b""))
            if not message.get("more_body", False):
                break
    except BaseException:
        parser.form.close()
        raise
    if parser.state != "done":
        parser.form.close()
        raise InvalidRequestError("the multipart body ended before its closing boundary", param="file")
    return parser.form
