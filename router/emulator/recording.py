"""The request log: every request a Vertex route received, so tests can assert who got what, how often."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RecordedRequest:
    method: str
    path: str
    location: str
    model: str
    body: Any  # parsed JSON (None when empty or not JSON)
    headers: dict[str, str]  # lower-case names; ``authorization`` removed
    time: float
    query: str = ""
    status: int | None = None  # filled in once answered (None: no answer, e.g. reset or silent)
    fault_id: int | None = None  # the fault that acted on this request, if any

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "location": self.location,
            "model": self.model,
            "body": self.body,
            "headers": self.headers,
            "time": self.time,
            "query": self.query,
            "status": self.status,
            "fault_id": self.fault_id,
        }


@dataclass(slots=True)
class RequestLog:
    """A list of ``RecordedRequest`` with a size bound (the oldest half is dropped when full)."""

    limit: int | None = 10_000
    items: list[RecordedRequest] = field(default_factory=list)

    def append(self, item: RecordedRequest) -> None:
        if self.limit is not None and len(self.items) >= self.limit:
            del self.items[: max(1, self.limit // 2)]
        self.items.append(item)
