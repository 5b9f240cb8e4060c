"""A large batch file is read and uploaded in bounded chunks (resumable upload), never held whole in memory."""

from __future__ import annotations

import io
import tracemalloc
from typing import Any

import httpx
import orjson

from .conftest import JobsRouter, JobsStack

CHUNK = 256 * 1024


class CountingReader(io.RawIOBase):
    """A binary source that records how much each read asked for."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self.sizes: list[int] = []

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.sizes.append(size)
        return self._inner.read(size)


class FakeStorage:
    """Cloud Storage's resumable protocol, keeping only the sizes of what arrives."""

    def __init__(self) -> None:
        self.chunk_sizes: list[int] = []
        self.ranges: list[str] = []
        self.received = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "uploadType=resumable" in str(request.url):
            return httpx.Response(200, headers={"location": "http://storage.test/upload/session/1"})
        if request.method == "PUT":
            body = request.content
            self.chunk_sizes.append(len(body))
            self.received += len(body)
            content_range = request.headers["content-range"]
            self.ranges.append(content_range)
            if content_range.endswith("/*"):
                return httpx.Response(308, headers={"range": f"bytes=0-{self.received - 1}"})
            resource = {"id": "vr-test-bucket/big/1", "bucket": "vr-test-bucket", "name": "big", "generation": "1",
                        "size": str(self.received), "timeCreated": "2026-01-01T00:00:00.000Z"}  # fmt: skip
            return httpx.Response(200, json=resource)
        return httpx.Response(404, json={"error": {"code": 404, "message": "unexpected"}})


def big_batch(lines: int) -> bytes:
    out = io.BytesIO()
    for i in range(lines):
        body = {"model": "gemini-flash", "messages": [{"role": "user", "content": f"question {i} " + "x" * 900}]}
        out.write(orjson.dumps({"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}))
        out.write(b"\n")
    return out.getvalue()


async def test_large_batch_file_is_read_and_uploaded_in_bounded_chunks(jobs_stack: JobsStack) -> None:
    storage = FakeStorage()
    config = jobs_stack.config()
    router: Any = JobsRouter.from_dict(config, transport=httpx.MockTransport(storage.handle))
    router.upload_chunk_size = CHUNK
    data = big_batch(6_000)
    source = CountingReader(data)
    del data
    await router._vertex_call.__self__._resources().tokens.token(str(jobs_stack.credentials))  # warm the token

    tracemalloc.start()
    created = await router.acreate_file(source, purpose="batch")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    total = sum(storage.chunk_sizes)
    assert created.bytes == total > 5 * 1024 * 1024
    assert len(storage.chunk_sizes) > 20
    assert all(size == CHUNK for size in storage.chunk_sizes[:-1]) and 0 < storage.chunk_sizes[-1] <= CHUNK
    assert storage.ranges[0] == f"bytes 0-{CHUNK - 1}/*" and storage.ranges[-1].endswith(f"/{total}")
    assert max(source.sizes) <= CHUNK  # the source is never read whole
    assert peak < total / 3, f"peak traced memory {peak} for a {total}-byte upload"
    await router.aclose()


async def test_resumable_upload_and_ranged_download_round_trip_against_the_emulator(jobs_stack: JobsStack) -> None:
    router: Any = jobs_stack.router()
    router.upload_chunk_size = CHUNK
    payload = bytes(range(256)) * (3 * CHUNK // 256) + b"tail"  # three full chunks and a little more
    created = await router.acreate_file(("data.bin", io.BytesIO(payload)), purpose="user_data")
    assert created.purpose == "user_data" and created.bytes == len(payload)
    assert "/vertex-router-files/uploads/" in created.id and created.id.endswith("-data.bin")
    chunks = [chunk async for chunk in router.aiter_file_content(created.id)]
    assert b"".join(chunks) == payload
    assert [len(c) for c in chunks] == [CHUNK, CHUNK, CHUNK, 4]
    await router.aclose()
