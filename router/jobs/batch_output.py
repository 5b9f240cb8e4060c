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
    line_id = _line_id()
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
    """Prediction file bytes (in any chunking) → OpenAI output lines, one ``bytes`` per line. Embedding rows
    (one per input) are held until every part of their custom_id arrived (Vertex writes rows in any order)."""
    pending = b""
    groups = EmbeddingGroups(model.model)
    async for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                out = _convert_line(line, model, groups)
                if out is not None:
                    yield out
    if pending.strip():
        out = _convert_line(pending, model, groups)
        if out is not None:
            yield out
    for unfinished in groups.incomplete():
        yield orjson.dumps(unfinished) + b"\n"


def _convert_line(line: bytes, model: OutputModel, groups: EmbeddingGroups) -> bytes | None:
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        row = {"status": "unreadable prediction row"}
    if not isinstance(row, dict):
        row = {"status": "unreadable prediction row"}
    if isinstance(row.get("key"), str):
        done = groups.add(row)
        return orjson.dumps(done) + b"\n" if done is not None else None
    return orjson.dumps(convert_row(row, model)) + b"\n"


class EmbeddingGroups:
    """Embedding rows keyed ``i/n:custom_id``, reassembled into one OpenAI embeddings response per custom_id."""

    def __init__(self, model: str) -> None:
        self.model = model
        self._parts: dict[str, dict[int, dict[str, Any]]] = {}
        self._sizes: dict[str, int] = {}

    def add(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        position, _, custom_id = str(row["key"]).partition(":")
        index_text, _, size_text = position.partition("/")
        if not (index_text.isdigit() and size_text.isdigit()):
            return _error_line(_line_id(), str(row["key"]), "vertex_batch_error", "unrecognised embedding row key")
        parts = self._parts.setdefault(custom_id, {})
        parts[int(index_text)] = dict(row)
        self._sizes[custom_id] = int(size_text)
        if len(parts) < int(size_text):
            return None
        del self._parts[custom_id], self._sizes[custom_id]
        return self._line(custom_id, parts)

    def incomplete(self) -> list[dict[str, Any]]:
        out = []
        for custom_id, parts in self._parts.items():
            missing = self._sizes[custom_id] - len(parts)
            out.append(_error_line(_line_id(), custom_id, "vertex_batch_error", f"{missing} input(s) have no result"))
        self._parts.clear()
        return out

    def _line(self, custom_id: str, parts: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
        data, tokens = [], 0
        for index in sorted(parts):
            row = parts[index]
            response = row.get("response")
            values = (response or {}).get("embedding", {}).get("values") if isinstance(response, dict) else None
            if not isinstance(values, list):
                message = str(row.get("status") or "Vertex returned no embedding for this input")
                return _error_line(_line_id(), custom_id, "vertex_batch_error", f"input {index}: {message}")
            data.append({"object": "embedding", "index": index, "embedding": values})
            usage = response.get("usageMetadata") or {} if isinstance(response, dict) else {}
            tokens += int(usage.get("promptTokenCount") or 0)
        body = {"object": "list", "data": data, "model": self.model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}  # fmt: skip
        return {"id": _line_id(), "custom_id": custom_id, "error": None,
                "response": {"status_code": 200, "request_id": None, "body": body}}  # fmt: skip


def _line_id() -> str:
    return f"batch_req_{uuid.uuid4().hex}"
