"""Google's error JSON (``{"error": {"code", "message", "status", "details"}}``) → the typed error tree.

The status word decides first (``RESOURCE_EXHAUSTED`` is a rate limit whatever the HTTP code, as it is when it
arrives inside a 200 stream), then the HTTP status; two message patterns refine a 400: input too long →
ContextWindowExceeded, blocked by safety → ContentPolicy. Every pattern has a golden test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from router.errors import (
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    ContextWindowExceededError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamError,
    UpstreamTimeoutError,
    error_class_for_status,
    parse_retry_after,
)

_BY_STATUS_WORD: dict[str, type[UpstreamError]] = {
    "RESOURCE_EXHAUSTED": RateLimitError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "UNAUTHENTICATED": AuthenticationError,
    "NOT_FOUND": NotFoundError,
    "UNAVAILABLE": ServiceUnavailableError,
    "DEADLINE_EXCEEDED": UpstreamTimeoutError,
}
_CONTEXT_WINDOW = re.compile(
    r"input token count .* exceeds|exceeds the maximum number of tokens|too many tokens|"
    r"request payload size exceeds|context (?:length|window)|prompt is too long|input (?:is )?too long",
    re.IGNORECASE,
)
_SAFETY = re.compile(
    r"blocked by (?:the )?(?:safety|content)|response was blocked|safety (?:filter|settings|reasons)|"
    r"prohibited content|content filtering policy",
    re.IGNORECASE,
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def parse_error_body(body: bytes | Mapping[str, Any]) -> dict[str, Any]:
    """The ``error`` object of a Google error body (a list of them, as streams send, gives the first)."""
    payload: Any = body
    if isinstance(body, bytes | bytearray):
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            text = bytes(body)[:500].decode("utf-8", "replace").strip()
            return {"message": text or "(empty body)"}
    if isinstance(payload, list) and payload:
        payload = payload[0]
    if isinstance(payload, Mapping):
        err = payload.get("error", payload)
        if isinstance(err, Mapping):
            return dict(err)
        return {"message": str(err)}
    return {"message": str(payload)}


def classify(status: int, error: Mapping[str, Any], headers: Mapping[str, str], *, deployment_id: str) -> UpstreamError:
    message = str(error.get("message") or "")
    word = str(error.get("status") or "")
    code = error.get("code")
    http = status if status >= 400 else (code if isinstance(code, int) and code >= 400 else 500)
    cls = _error_class(http, word, message)
    retry_after = parse_retry_after(_header(headers, "retry-after"))
    if retry_after is None and cls is RateLimitError:
        retry_after = retry_delay(error)
    text = f"gemini {http} {word}: {message}" if word else f"gemini {http}: {message}"
    return cls(text, upstream_status=http, retry_after=retry_after, deployment_id=deployment_id)


def _error_class(http: int, word: str, message: str) -> type[UpstreamError]:
    if word in _BY_STATUS_WORD:
        return _BY_STATUS_WORD[word]
    if http == 429:
        return RateLimitError
    cls = error_class_for_status(http)
    if http == 413:
        return ContextWindowExceededError
    if cls is BadRequestError:
        if _CONTEXT_WINDOW.search(message):
            return ContextWindowExceededError
        if _SAFETY.search(message):
            return ContentPolicyError
        return BadRequestError
    return cls


def retry_delay(error: Mapping[str, Any]) -> float | None:
    """``google.rpc.RetryInfo.retryDelay`` ("30s", "1.5s") from the error details, in seconds."""
    for detail in error.get("details") or ():
        if not isinstance(detail, Mapping) or not str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            continue
        delay = detail.get("retryDelay")
        if isinstance(delay, Mapping):  # {"seconds": 30, "nanos": 0}
            return float(delay.get("seconds", 0)) + float(delay.get("nanos", 0)) / 1e9
        match = _DURATION.match(str(delay or ""))
        if match:
            return float(match.group(1))
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value
