"""Error bodies as Google (and, on rawPredict, Anthropic) send them, and the emulator's reply types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

DEFAULT_MESSAGES = {
    400: "Request contains an invalid argument.",
    403: "Permission denied on resource (or it may not exist).",
    404: "Requested entity was not found.",
    429: (
        "Resource exhausted. Please try again later. Please refer to "
        "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details."
    ),
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}

LEARN_MORE = "Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini"

Headers = list[tuple[bytes, bytes]]
JSON_HEADERS: Headers = [(b"content-type", b"application/json; charset=UTF-8")]


@dataclass(slots=True)
class Reply:
    """A complete (non-streaming) HTTP answer."""

    status: int
    body: bytes
    headers: Headers = field(default_factory=lambda: list(JSON_HEADERS))


@dataclass(slots=True)
class StreamReply:
    """A streaming answer: each event is written (and flushed) on its own, so faults can act between events.

    ``flavor`` says how a mid-stream error event is spelled: ``"gemini"``, ``"anthropic"`` or ``"openai"``.
    """

    events: list[bytes]
    content_type: bytes = b"text/event-stream"
    flavor: str = "gemini"
    status: int = 200


def json_reply(status: int, payload: Any, headers: Headers | None = None) -> Reply:
    return Reply(status, orjson.dumps(payload), [*JSON_HEADERS, *(headers or [])])


def google_error_body(
    code: int, message: str | None = None, *, status: str | None = None, details: Sequence[Any] = ()
) -> dict[str, Any]:
    """Google's error JSON: ``{"error": {"code", "message", "status", "details"?}}``."""
    error: dict[str, Any] = {
        "code": code,
        "message": message or DEFAULT_MESSAGES.get(code, "Unknown error."),
        "status": status or GOOGLE_STATUS.get(code, "UNKNOWN"),
    }
    if details:
        error["details"] = list(details)
    return {"error": error}


def google_error(
    code: int,
    message: str | None = None,
    *,
    status: str | None = None,
    details: Sequence[Any] = (),
    headers: Headers | None = None,
) -> Reply:
    return json_reply(code, google_error_body(code, message, status=status, details=details), headers)


def bad_request(message: str, field_violations: Sequence[tuple[str, str]] = ()) -> Reply:
    details: list[dict[str, Any]] = []
    if field_violations:
        violations = [{"field": f, "description": d} if f else {"description": d} for f, d in field_violations]
        details.append({"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations})
    return google_error(400, message, details=details)


def unable_to_submit(reason: str) -> Reply:
    """Vertex's wording for Gemini request problems found after parsing."""
    return bad_request(f"Unable to submit request because {reason} {LEARN_MORE}")


def not_found(message: str) -> Reply:
    return google_error(404, message)


ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def anthropic_error_body(code: int, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": ANTHROPIC_TYPES.get(code, "api_error"), "message": message}}


def anthropic_error(code: int, message: str) -> Reply:
    """What Claude itself answers on Vertex for a request it rejects (Vertex passes its body through)."""
    return json_reply(code, anthropic_error_body(code, message))
