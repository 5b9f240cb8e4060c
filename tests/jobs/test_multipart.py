"""The streaming multipart reader behind ``POST /v1/files``."""

from __future__ import annotations

from typing import Any

import pytest

from router.errors import InvalidRequestError
from router.jobs.multipart import UploadTooLarge, read_form

BOUNDARY = "----vr-boundary-7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def body(file_bytes: bytes, *, purpose: str = "batch") -> bytes:
    b = BOUNDARY.encode()
    return (
        b"--" + b + b"\r\n"
        b'Content-Disposition: form-data; name="purpose"\r\n\r\n' + purpose.encode() + b"\r\n"
        b"--" + b + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="in.jsonl"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + file_bytes + b"\r\n"
        b"--" + b + b"--\r\n"
    )


def receiver(data: bytes, size: int) -> Any:
    pieces = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    return receive


@pytest.mark.parametrize("size", [1, 7, 64, 100_000])
async def test_fields_and_file_survive_any_chunking(size: int) -> None:
    payload = b'{"a": 1}\r\n--not-the-boundary\r\n' + bytes(range(256)) * 40
    form = await read_form(receiver(body(payload), size), CONTENT_TYPE, 10**6)
    assert form.fields == {"purpose": "batch"}
    name, stream = form.files["file"]
    assert name == "in.jsonl" and stream.read() == payload
    form.close()


async def test_upload_over_the_limit_is_refused() -> None:
    with pytest.raises(UploadTooLarge):
        await read_form(receiver(body(b"x" * 5000), 512), CONTENT_TYPE, 1000)


async def test_truncated_body_is_refused() -> None:
    truncated = body(b"data")[:-20]
    with pytest.raises(InvalidRequestError, match="ended before its closing boundary"):
        await read_form(receiver(truncated, 50), CONTENT_TYPE, 10**6)


async def test_json_body_is_not_an_upload() -> None:
    with pytest.raises(InvalidRequestError, match="multipart/form-data"):
        await read_form(receiver(b"{}", 10), "application/json", 10**6)
