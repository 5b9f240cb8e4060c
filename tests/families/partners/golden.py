"""Golden-file runner for the partner families (tests/golden/<family>/<case>.*.json).

``<case>.openai.json``   the call: model string, location, kind, stream, params (+ api_base, options, drop_params)
``<case>.vertex.json``   the exact HTTP request we must send: method, url, body, stream
``<case>.response.json`` the canned upstream answer: ``{"status", "body", "headers"}``, or ``{"events": [...]}``
                         (SSE data payloads; objects are JSON-encoded, strings sent as they are)
``<case>.out.json``      the exact OpenAI-format result (``created`` dropped), a list of chunks for streams, or
                         ``{"error": <class>, "status_code", "retryable", "retry_after", "message"}`` for error cases

``GOLDEN_UPDATE=1 pytest tests/families/partners`` rewrites the vertex/out files; review the diff before committing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import orjson

from router.config.model_string import parse_model_string
from router.errors import UpstreamError
from router.families import get_family
from router.families.base import CallRequest, Target, UpstreamResponse

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
FAMILIES = ("anthropic", "openai_compat", "model_garden", "mistral", "ai21", "palm")
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"


def cases() -> list[Path]:
    found: list[Path] = []
    for family in FAMILIES:
        found.extend(sorted((GOLDEN / family).glob("*.openai.json")))
    return found


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name.removesuffix('.openai.json')}"


def read(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def write(path: Path, value: Any) -> None:
    path.write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def target_for(call: dict[str, Any]) -> Target:
    parsed = parse_model_string(call["model"])
    return Target(
        family=parsed.family,
        model=parsed.model,
        project=call.get("project", "p1"),
        location=call.get("location", "us-central1"),
        deployment_id="d1",
        publisher=parsed.publisher,
        endpoint_id=parsed.endpoint_id,
        api_base=call.get("api_base"),
        drop_params=call.get("drop_params", False),
        options=call.get("options", {}),
    )


def request_for(call: dict[str, Any]) -> CallRequest:
    return CallRequest(kind=call.get("kind", "chat"), params=call["params"], stream=call.get("stream", False))


_GENERATED_ID = re.compile(r"^chatcmpl-[0-9a-f]{32}$")


def dump(obj: Any) -> Any:
    """The result as JSON, minus ``created``; ids we mint ourselves (random) are pinned to their shape."""
    data = obj.model_dump(mode="json")
    data.pop("created", None)
    if isinstance(data.get("id"), str) and _GENERATED_ID.match(data["id"]):
        data["id"] = "chatcmpl-<generated>"
    return data


def run(path: Path) -> tuple[dict[str, Any], Any]:
    """(the request we built, the result we produced) for one case."""
    call = read(path)
    target = target_for(call)
    family = get_family(target.family)
    request = request_for(call)
    prepared = family.build_request(request, target)
    sent = {
        "method": prepared.method,
        "url": prepared.url,
        "body": orjson.loads(prepared.body) if prepared.body else None,
        "stream": prepared.stream,
    }
    response_path = path.with_name(path.name.replace(".openai.json", ".response.json"))
    if not response_path.exists():
        return sent, None
    canned = read(response_path)
    try:
        result = _answer(family, request, target, canned)
    except UpstreamError as exc:
        result = {
            "error": type(exc).__name__,
            "status_code": exc.status_code,
            "retryable": exc.retryable,
            "retry_after": exc.retry_after,
            "message": exc.message,
        }
    return sent, result


def _answer(family: Any, request: CallRequest, target: Target, canned: dict[str, Any]) -> Any:
    if "events" in canned:
        parser = family.stream_parser(request, target)
        chunks: list[Any] = []
        for event in canned["events"]:
            data = event if isinstance(event, str) else orjson.dumps(event).decode()
            chunks.extend(parser.feed(data))
        chunks.extend(parser.finish())
        return {"done": parser.done, "chunks": [dump(c) for c in chunks]}
    status = canned.get("status", 200)
    body = orjson.dumps(canned["body"]) if not isinstance(canned["body"], str) else canned["body"].encode()
    response = UpstreamResponse(status=status, headers=canned.get("headers", {}), body=body)
    if status >= 400:
        raise family.classify_error(response, target)
    if request.stream:  # a route that cannot stream: the whole body is fed to the stream parser
        parser = family.stream_parser(request, target)
        chunks = [*parser.feed(body.decode()), *parser.finish()]
        return {"done": parser.done, "chunks": [dump(c) for c in chunks]}
    return dump(family.parse_response(response, request, target))
