"""OpenAI fine-tuning lines → Vertex supervised tuning rows, while uploading (``purpose="fine-tune"``).

OpenAI's format is ``{"messages": [{"role": "system"|"user"|"assistant", "content": ...}, ...]}``; Vertex's
Gemini tuning rows are ``{"systemInstruction": {...}, "contents": [{"role": "user"|"model", "parts": [...]}]}``.
Messages are translated by the Gemini family itself (same roles, parts and merging as a live call). Lines
already in the Vertex shape (``contents``) pass unchanged, so either format can be uploaded. Each line must
end with an assistant turn (what the model learns); a bad line raises ``InvalidRequestError`` naming it.
"""

from __future__ import annotations

from typing import IO, Any

import orjson

from router.errors import InvalidRequestError, RouterError
from router.families import get_family
from router.families.base import CallRequest, Target
from router.jobs.jsonl import iter_lines

_TARGET = Target(family="gemini", model="gemini-2.0-flash-001", project="tuning", location="us-central1",
                 deployment_id="tuning")  # fmt: skip


def convert_tuning_file(src: IO[bytes], dst: IO[bytes]) -> int:
    family = get_family("gemini")
    count = 0
    for number, raw in iter_lines(src):
        try:
            line = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise _error(number, f"not valid JSON ({exc})") from None
        if not isinstance(line, dict):
            raise _error(number, "each line must be a JSON object")
        dst.write(orjson.dumps(_row(number, line, family)) + b"\n")
        count += 1
    if count == 0:
        raise InvalidRequestError("the fine-tuning file has no examples", param="file")
    return count


def _row(number: int, line: dict[str, Any], family: Any) -> dict[str, Any]:
    if "contents" in line:
        return line
    messages = line.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _error(number, "expected {'messages': [...]} (OpenAI) or {'contents': [...]} (Vertex)")
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "assistant":
        raise _error(number, "the last message must be the assistant's answer")
    try:
        body = orjson.loads(family.build_request(CallRequest("chat", {"messages": messages}), _TARGET).body or b"{}")
    except RouterError as exc:
        raise _error(number, exc.message) from None
    return {k: body[k] for k in ("systemInstruction", "contents") if k in body}


def _error(number: int, message: str) -> InvalidRequestError:
    return InvalidRequestError(f"fine-tuning file line {number}: {message}", param="file", code="invalid_tuning_line")
