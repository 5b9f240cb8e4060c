"""Golden cases for the Gemini translator: tests/golden/gemini/<case>.{openai,vertex,response,out}.json.

- ``<case>.openai.json``: the OpenAI-format call as a user writes it (``model`` is the model string), plus an
  optional ``"_target"`` object of deployment settings (``drop_params``, ``api_base``, ``location``, ``model_name``);
- ``<case>.vertex.json``: ``{"url": ..., "body": ...}``, the exact request sent;
- ``<case>.response.json``: the canned Vertex answer (a list of SSE event payloads when the call streams);
- ``<case>.out.json``: the exact OpenAI result (``model_dump()`` with ``created`` removed and generated tool-call
  ids replaced by ``call_<n>``; a list of chunks for streams; ``{"raises": ...}`` for an error).

``GOLDEN_UPDATE=1 pytest tests/families/gemini`` rewrites vertex/out files; review the diff before committing.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # lets tests import the shared tests/vertex_schema.py helper
    sys.path.insert(0, str(ROOT))

from router.config.model_string import parse_model_string  # noqa: E402
from router.errors import RouterError  # noqa: E402
from router.families.base import CallRequest, Target, UpstreamResponse  # noqa: E402
from router.families.gemini import FAMILY  # noqa: E402

GOLDEN = ROOT / "tests" / "golden" / "gemini"
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"
_GENERATED_ID = re.compile(r"^call_[0-9a-f]{24}$")
_GENERATED_RESPONSE_ID = re.compile(r"^chatcmpl-[0-9a-f]{24}$")
_GENERATED_AUDIO_ID = re.compile(r"^audio_[0-9a-f]{16}$")


def cases() -> list[str]:
    return sorted(p.name.removesuffix(".openai.json") for p in GOLDEN.glob("*.openai.json"))


def error_cases() -> list[str]:
    return sorted(p.name.removesuffix(".error.json") for p in GOLDEN.glob("*.error.json"))


def load(name: str, kind: str) -> Any:
    return orjson.loads((GOLDEN / f"{name}.{kind}.json").read_bytes())


def exists(name: str, kind: str) -> bool:
    return (GOLDEN / f"{name}.{kind}.json").exists()


def save(name: str, kind: str, value: Any) -> None:
    (GOLDEN / f"{name}.{kind}.json").write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")


def target_for(call: dict[str, Any]) -> Target:
    parsed = parse_model_string(call["model"])
    settings = call.get("_target", {})
    return Target(
        family="gemini",
        model=parsed.model,
        project="test-project",
        location=settings.get("location", "us-central1"),
        deployment_id="gemini-test",
        publisher=parsed.publisher,
        endpoint_id=parsed.endpoint_id,
        api_base=settings.get("api_base"),
        model_name=settings.get("model_name", ""),
        drop_params=settings.get("drop_params", False),
    )


def request_for(call: dict[str, Any]) -> CallRequest:
    params = {k: v for k, v in call.items() if k not in ("model", "_target", "stream")}
    return CallRequest("chat", params, stream=bool(call.get("stream")))


def normalize(dumped: Any, ids: dict[str, str] | None = None) -> Any:
    """Drop ``created``; replace generated ids by stable placeholders (same id → same placeholder)."""
    ids = {} if ids is None else ids
    if isinstance(dumped, dict):
        out = {}
        for key, value in dumped.items():
            if key == "created":
                continue
            if key == "id" and isinstance(value, str) and _GENERATED_ID.match(value):
                value = ids.setdefault(value, f"call_{len(ids)}")
            elif key == "id" and isinstance(value, str) and _GENERATED_RESPONSE_ID.match(value):
                value = "chatcmpl-generated"
            elif key == "id" and isinstance(value, str) and _GENERATED_AUDIO_ID.match(value):
                value = "audio_generated"
            out[key] = normalize(value, ids)
        return out
    if isinstance(dumped, list):
        return [normalize(v, ids) for v in dumped]
    return dumped


def raised(exc: RouterError) -> dict[str, Any]:
    out: dict[str, Any] = {"raises": type(exc).__name__, "message": exc.message}
    for attr in ("raw_response", "param", "upstream_status", "retry_after"):
        if getattr(exc, attr, None) is not None:
            out[attr] = getattr(exc, attr)
    return out


def parse(name: str, call: dict[str, Any]) -> Any:
    """The OpenAI result of feeding the canned response to the parser (stream or not)."""
    request, target = request_for(call), target_for(call)
    response = load(name, "response")
    try:
        if request.stream:
            parser = FAMILY.stream_parser(request, target)
            chunks: list[Any] = []
            for event in response:
                chunks.extend(parser.feed(orjson.dumps(event).decode()))
            chunks.extend(parser.finish())
            ids: dict[str, str] = {}
            return {"done": parser.done, "chunks": [normalize(c.model_dump(), ids) for c in chunks]}
        result = FAMILY.parse_response(UpstreamResponse(200, {}, orjson.dumps(response)), request, target)
    except RouterError as exc:
        return raised(exc)
    out = normalize(result.model_dump())
    if result._hidden_params:
        out["_hidden_params"] = result._hidden_params
    return out
