"""``/_emulator/...``: control the emulator over HTTP (for the demo, other processes, and curl).

- ``GET /_emulator/health``                      → ``{"status": "ok"}``
- ``GET /_emulator/faults``                      → the active faults
- ``POST /_emulator/faults`` (one rule or a list) → the faults added, with their ids
- ``DELETE /_emulator/faults``                   → remove all; ``DELETE /_emulator/faults/{id}`` → one
- ``GET /_emulator/requests`` (``?location=&model=``) → the request log; ``DELETE`` clears it
- ``POST /_emulator/reset``                      → faults, request log and cached contents forgotten
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson

from router.emulator.errors import Reply, bad_request, json_reply, not_found
from router.emulator.faults import faults_from_json

if TYPE_CHECKING:
    from router.emulator.app import EmulatorApp


def handle_control(app: EmulatorApp, method: str, path: str, body: bytes, query: str = "") -> Reply:
    route = path.removeprefix("/_emulator/").rstrip("/")
    if route == "health":
        return json_reply(200, {"status": "ok"})
    if route == "reset" and method == "POST":
        app.reset()
        return json_reply(200, {"status": "reset"})
    if route == "faults":
        return _faults(app, method, body)
    if route.startswith("faults/") and method == "DELETE":
        fault_id = route.removeprefix("faults/")
        if fault_id.isdigit() and app.faults.remove(int(fault_id)):
            return json_reply(200, {"deleted": int(fault_id)})
        return not_found(f"No fault {fault_id}.")
    if route == "requests":
        return _requests(app, method, query)
    return not_found(f"Unknown control route {path}.")


def _faults(app: EmulatorApp, method: str, body: bytes) -> Reply:
    if method == "GET":
        return json_reply(200, {"faults": [f.to_json() for f in app.faults]})
    if method == "DELETE":
        app.faults.clear()
        return json_reply(200, {"faults": []})
    if method == "POST":
        try:
            added = app.faults.extend(faults_from_json(orjson.loads(body or b"[]")))
        except (ValueError, TypeError) as exc:
            return bad_request(f"Invalid fault rule: {exc}")
        return json_reply(200, {"faults": [f.to_json() for f in added]})
    return not_found(f"Method {method} not supported on /_emulator/faults.")


def _requests(app: EmulatorApp, method: str, query: str) -> Reply:
    if method == "DELETE":
        app.requests.clear()
        return json_reply(200, {"requests": []})
    filters: dict[str, Any] = dict(parse_qsl(query))
    selected = app.requests_to(location=filters.get("location"), model=filters.get("model"))
    return json_reply(200, {"requests": [r.to_json() for r in selected]})
