"""Vertex batch prediction rows → OpenAI batch output lines, matched back to each input's ``custom_id``.

A Gemini row is ``{"status", "processed_time", "request", "response"}`` (the request echoed, labels included);
a Claude row carries ``custom_id`` itself. A row with a response becomes
``{"id", "custom_id", "response": {"status_code": 200, "request_id", "body": <chat.completion>}, "error": null}``
(the body is mapped by the same family code as a live call); a row with a non-empty ``status`` and no response
becomes ``{"response": null, "error": {"code", "message"}}``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from router.errors import RouterError
from router.families import get_family
from router.families.base import CallRequest, Target, UpstreamResponse
from router.jobs.jsonl import decode_custom_id


@dataclass(frozen=True, slots=True)
class OutputModel:
    """Publisher and model read from the output object's path (``.../publishers/P/models/M/...``)."""

    publisher: str
    model: str

    @classmethod
    def from_object_name(cls, name: str) -> OutputModel:
        parts = name.split("/")
        for i in range(len(parts) - 3):
            if parts[i] == "publishers" and parts[i + 2] == "models":
                return cls(parts[i + 1], parts[i + 3])
        return cls("google", "")

    @property
    def family(self) -> str:
        return "anthropic" if self.publisher == "anthropic" else "gemini"


def convert_row(row: Mapping[str, Any], model: OutputModel) -> dict[str, Any]:
    custom_id = _custom_id(row)
    line_id = f"batch_req_{uuid.uuid4().hex}"
    response = row.get("response")
    status = row.get("status")
    if not isinstance(response, dict) or (isinstance(status, str) and status and not response):
        message = status if isinstance(status, str) and status else "Vertex returned no response for this request"
        return _error_line(line_id, custom_id, "vertex_batch_error", message)
    target = Target(
        family=model.family,
        model=model.model,
        project="",
        location="",
        deployment_id="batch",
        publisher=model.publisher,
    )
    family = get_family(model.family)
    request = CallRequest("chat", {"messages": []})
    try:
        completion = family.parse_response(UpstreamResponse(200, {}, orjson.dumps(response)), request, target)
    except RouterError as exc:
        return _error_line(line_id, custom_id, exc.code or type(exc).__name__, exc.message)
    body = completion.model_dump()
    return {
        "id": line_id,
        "custom_id": custom_id,
        "response": {"status_code": 200, "request_id": body.get("id"), "body": body},
        "error": None,
    }


def _custom_id(row: Mapping[str, Any]) -> str | None:
    own = row.get("custom_id")
    if isinstance(own, str):
        return own
    request = row.get("request")
    return decode_custom_id(request.get("labels")) if isinstance(request, Mapping) else None


def _error_line(line_id: str, custom_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"id": line_id, "custom_id": custom_id, "response": None, "error": {"code": code, "message": message}}


async def convert_stream(chunks: AsyncIterator[bytes], model: OutputModel) -> AsyncIterator[bytes]:
    """Prediction file bytes (in any chunking) → OpenAI output lines, one ``bytes`` per line."""
    pending = b""
    async for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                yield _convert_line(line, model)
    if pending.strip():
        yield _convert_line(pending, model)


def _convert_line(line: bytes, model: OutputModel) -> bytes:
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        row = {"status": "unreadable prediction row"}
    if not isinstance(row, dict):
        row = {"status": "unreadable prediction row"}
    return orjson.dumps(convert_row(row, model)) + b"\n"
