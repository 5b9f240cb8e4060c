"""Runs one golden case: ``<case>.openai.json`` (target + OpenAI params) → split → ``<case>.vertex.json`` (every
request sent) → ``<case>.response.json`` (canned Vertex answers) → ``<case>.out.json`` (the OpenAI result or error).

Shared by the embeddings, imagen and tts golden tests. Only the test modules import it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from router.errors import RouterError
from router.families import get_family
from router.families.base import CallRequest, Family, PreparedRequest, Target, UpstreamResponse
from router.types import SpeechResponse

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
KINDS = {"embeddings": "embedding", "imagen": "image", "tts": "speech"}


def cases(family: str) -> list[Path]:
    return sorted((GOLDEN / family).glob("*.openai.json"))


def case_id(path: Path) -> str:
    return path.name.removesuffix(".openai.json")


def load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def sibling(path: Path, suffix: str) -> Path:
    return path.with_name(f"{case_id(path)}.{suffix}.json")


def target_for(family: str, spec: dict[str, Any]) -> Target:
    fields = {"project": "p1", "location": "us-central1", "deployment_id": "d1", **spec}
    return Target(family=family, **fields)


@dataclass
class Outcome:
    requests: list[dict[str, Any]]
    output: dict[str, Any]


def run(path: Path) -> Outcome:
    family_name = path.parent.name
    case = load(path)
    family = get_family(family_name)
    target = target_for(family_name, case["target"])
    request = CallRequest(kind=KINDS[family_name], params=case["params"])  # type: ignore[arg-type]
    requests: list[dict[str, Any]] = []
    try:
        parts = family.split(request, target) or [request]
        prepared = [family.build_request(part, target) for part in parts]
        requests = [describe(p) for p in prepared]
        responses = load(sibling(path, "response"))["responses"]
        assert len(responses) == len(parts), f"{len(parts)} requests but {len(responses)} canned responses"
        parsed = [parse_or_raise(family, r, part, target) for r, part in zip(responses, parts, strict=True)]
        result = parsed[0] if len(parsed) == 1 and len(parts) == 1 else family.merge(parsed, request, target)
    except RouterError as exc:
        error = {"class": type(exc).__name__, "param": exc.param, "message": exc.message}
        if getattr(exc, "retry_after", None) is not None:
            error["retry_after"] = exc.retry_after  # type: ignore[attr-defined]
        return Outcome(requests, {"error": error})
    return Outcome(requests, dump(result))


def parse_or_raise(family: Family, canned: dict[str, Any], request: CallRequest, target: Target) -> Any:
    response = UpstreamResponse(
        status=canned.get("status", 200), headers=canned.get("headers", {}), body=orjson.dumps(canned["body"])
    )
    if response.status >= 400:
        raise family.classify_error(response, target)
    return family.parse_response(response, request, target)


def describe(prepared: PreparedRequest) -> dict[str, Any]:
    assert prepared.body is not None
    return {
        "method": prepared.method,
        "url": prepared.url,
        "headers": prepared.headers,
        "body": orjson.loads(prepared.body),
    }


def dump(result: Any) -> dict[str, Any]:
    if isinstance(result, SpeechResponse):
        out: dict[str, Any] = {
            "content_b64": base64.b64encode(result.content).decode(),
            "content_type": result.content_type,
            "model": result.model,
        }
    else:
        out = result.model_dump(exclude={"created"})
    out["_hidden_params"] = result._hidden_params
    return out
