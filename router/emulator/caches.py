"""``cachedContents``: create / get / list / patch / delete, regional, with expiry on the app's clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from router.emulator.call import Call
from router.emulator.contents import pick, request_contents, token_details
from router.emulator.discovery import load_discovery
from router.emulator.errors import Reply, bad_request, google_error, json_reply, not_found
from router.emulator.synth import parse_duration, parse_rfc3339, rfc3339

DEFAULT_TTL = 3600.0
_PAGE_SIZE = 100


@dataclass(slots=True)
class CachedEntry:
    name: str
    location: str
    model: str
    display_name: str
    body: dict[str, Any]  # contents, systemInstruction, tools, toolConfig as sent
    tokens: int
    create_time: float
    update_time: float
    expire_time: float

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "model": self.model,
            "displayName": self.display_name,
            "createTime": rfc3339(self.create_time),
            "updateTime": rfc3339(self.update_time),
            "expireTime": rfc3339(self.expire_time),
            "usageMetadata": {"totalTokenCount": self.tokens, "textCount": self.tokens},
        }


class CacheStore:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._entries: dict[str, CachedEntry] = {}
        self._lock = threading.Lock()
        self._next_id = 1000000000000000000

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def lookup(self, name: str) -> CachedEntry | None:
        """The live entry called ``name`` (expired entries are gone, as on Vertex)."""
        entry = self._entries.get(name)
        if entry is None or entry.expire_time <= self._clock():
            return None
        return entry

    def create(self, prefix: str, location: str, body: dict[str, Any], tokens: int) -> CachedEntry:
        now = self._clock()
        with self._lock:
            name = f"{prefix}/cachedContents/{self._next_id}"
            self._next_id += 1
            entry = CachedEntry(
                name=name,
                location=location,
                model=str(body.get("model", "")),
                display_name=str(pick(body, "displayName", "")),
                body=body,
                tokens=tokens,
                create_time=now,
                update_time=now,
                expire_time=_expiry(body, now) or now + DEFAULT_TTL,
            )
            self._entries[name] = entry
        return entry

    def live(self, prefix: str) -> list[CachedEntry]:
        now = self._clock()
        return [e for n, e in sorted(self._entries.items()) if n.startswith(prefix + "/") and e.expire_time > now]

    def delete(self, name: str) -> bool:
        with self._lock:
            return self._entries.pop(name, None) is not None


def _expiry(body: Mapping[str, Any], now: float) -> float | None:
    ttl = parse_duration(body.get("ttl"))
    if ttl is not None:
        return now + ttl
    return parse_rfc3339(pick(body, "expireTime"))


def handle_cached_contents(call: Call, method: str) -> Reply:
    route = call.route
    prefix = f"projects/{route.project}/locations/{route.location}"
    name = f"{prefix}/cachedContents/{route.resource_id}"
    if not route.resource_id:
        if method == "POST":
            return _create(call, prefix)
        if method == "GET":
            return _list(call, prefix)
        return google_error(405, "Method not allowed.", status="UNIMPLEMENTED")
    entry = call.caches.lookup(name)
    if entry is None:
        return not_found(f"Not found: cached content metadata for {route.resource_id}.")
    if method == "GET":
        return json_reply(200, entry.to_json())
    if method == "DELETE":
        call.caches.delete(name)
        return json_reply(200, {})
    if method == "PATCH":
        return _patch(call, entry)
    return google_error(405, "Method not allowed.", status="UNIMPLEMENTED")


def _create(call: Call, prefix: str) -> Reply:
    body = call.body
    if not isinstance(body, dict):
        return bad_request("Invalid JSON payload received.")
    doc = load_discovery(call.route.version) if call.settings.validate else None
    violations = doc.validate(body, "CachedContent") if doc else []
    if violations:
        return bad_request("\n".join(v.description for v in violations), [(v.field, v.description) for v in violations])
    model = str(body.get("model", ""))
    if "/publishers/google/models/" not in model and not model.startswith("publishers/"):
        return bad_request("CachedContent.model must be a publisher model resource name.", [("model", "bad model")])
    if model.startswith("projects/") and f"/locations/{call.route.location}/" not in model:
        return bad_request(f"Cached content model {model} is not in location {call.route.location}.")
    tokens = sum(token_details(request_contents(body)).values())
    if tokens < call.settings.min_cache_tokens:
        return bad_request(
            f"The cached content is of {tokens} tokens. The minimum token count to start caching is "
            f"{call.settings.min_cache_tokens}."
        )
    entry = call.caches.create(prefix, call.route.location, body, tokens)
    return json_reply(200, entry.to_json())


def _list(call: Call, prefix: str) -> Reply:
    entries = call.caches.live(prefix)
    size = int(call.query.get("pageSize") or _PAGE_SIZE)
    start = int(call.query.get("pageToken") or 0)
    page = entries[start : start + size]
    payload: dict[str, Any] = {"cachedContents": [e.to_json() for e in page]}
    if start + size < len(entries):
        payload["nextPageToken"] = str(start + size)
    return json_reply(200, payload)


def _patch(call: Call, entry: CachedEntry) -> Reply:
    body = call.body if isinstance(call.body, dict) else {}
    now = call.clock()
    expiry = _expiry(body, now)
    if expiry is None:
        return bad_request("Only ttl or expireTime can be updated.", [("update_mask", "ttl or expire_time")])
    entry.expire_time = expiry
    entry.update_time = now
    return json_reply(200, entry.to_json())
