"""Fault injection per (location, model): what the emulator does instead of (or on top of) answering.

A ``Fault`` matches requests by location and model (shell-style patterns, ``"*"`` for any) and optionally by
``route`` (a substring of the path, e.g. ``":streamGenerateContent"``). The first active matching fault wins.
``times=N`` makes it fire for the next N matching calls and then disappear; ``times=None`` keeps it.

Kinds (combine freely; they act in this order):

- ``silent``: never answer (waits until the client goes away);
- ``reset``: close the connection before any header (a reset on a real socket; in-process an exception);
- ``latency_ms``: sleep before answering;
- ``status``: answer that status with Google's error body (``retry_after`` adds a ``Retry-After`` header);
- ``first_byte_ms``: headers at once, the first body byte after this delay;
- streams only: ``error_after`` (a mid-stream error event after N events, spelled per family),
  ``malformed_after`` (an unparseable event after N events), ``stall_after`` (hang after N events for
  ``stall_seconds``), ``cut_after`` (close after N events, no terminal event), ``end_after`` (end the body
  cleanly after N events: a complete HTTP response without the stream's terminal event).

Rules come from Python (``app.faults.add(Fault(...))``), a YAML/JSON file (a list of rules, or
``{"faults": [...]}``) or the control endpoint ``POST /_emulator/faults``.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import orjson
import yaml

FOREVER = 3600.0


@dataclass(slots=True)
class Fault:
    location: str = "*"
    model: str = "*"
    route: str = ""
    status: int | None = None
    message: str | None = None
    retry_after: float | None = None
    latency_ms: float = 0.0
    first_byte_ms: float = 0.0
    stall_after: int | None = None
    stall_seconds: float = FOREVER
    cut_after: int | None = None
    malformed_after: int | None = None
    error_after: int | None = None
    end_after: int | None = None
    reset: bool = False
    silent: bool = False
    times: int | None = None
    id: int = 0
    hits: int = field(default=0)

    def matches(self, location: str, model: str, path: str) -> bool:
        return (
            fnmatch.fnmatchcase(location, self.location)
            and fnmatch.fnmatchcase(model, self.model)
            and (not self.route or self.route in path)
        )

    @property
    def stream_event_limit(self) -> int | None:
        """The earliest event index at which a stream fault acts, or ``None``."""
        kinds = (self.stall_after, self.cut_after, self.malformed_after, self.error_after, self.end_after)
        marks = [n for n in kinds if n is not None]
        return min(marks) if marks else None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_FIELDS = frozenset(f.name for f in fields(Fault)) - {"id", "hits"}


def fault_from_mapping(data: Mapping[str, Any]) -> Fault:
    """A ``Fault`` from a rule mapping; unknown keys are an error (a typo must not silently disable a fault)."""
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValueError(f"unknown fault field(s) {unknown}; expected some of {sorted(_FIELDS)}")
    return Fault(**dict(data))


def faults_from_json(payload: Any) -> list[Fault]:
    """Rules from parsed JSON/YAML: one mapping, a list of mappings, or ``{"faults": [...]}``."""
    if isinstance(payload, Mapping) and "faults" in payload:
        payload = payload["faults"]
    if isinstance(payload, Mapping):
        payload = [payload]
    if not isinstance(payload, list) or not all(isinstance(item, Mapping) for item in payload):
        raise ValueError("faults must be a mapping, a list of mappings, or {'faults': [...]}")
    return [fault_from_mapping(item) for item in payload]


def load_faults_file(path: str | Path) -> list[Fault]:
    text = Path(path).read_text(encoding="utf-8")
    payload = orjson.loads(text) if str(path).endswith(".json") else yaml.safe_load(text)
    return faults_from_json(payload or [])


class FaultTable:
    """The active faults. Thread-safe: tests add faults while the server thread consumes them."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1
        for fault in faults:
            self.add(fault)

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self._faults.append(fault)
        return fault

    def extend(self, faults: Iterable[Fault]) -> list[Fault]:
        return [self.add(fault) for fault in faults]

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def __len__(self) -> int:
        return len(self._faults)

    def __iter__(self) -> Any:
        with self._lock:
            return iter(list(self._faults))

    def take(self, location: str, model: str, path: str) -> Fault | None:
        """The fault for this request, if any; counts the hit and retires a ``times`` fault when used up."""
        if not self._faults:
            return None
        with self._lock:
            for fault in self._faults:
                if fault.matches(location, model, path):
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None
