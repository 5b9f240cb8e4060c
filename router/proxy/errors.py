"""Errors the proxy itself raises (before or around the Router), and how any error becomes an HTTP answer.

Every error leaves the proxy as OpenAI's error JSON ``{"error": {"message", "type", "param", "code"}}``
with the status the error class names; an error that is not a ``RouterError`` becomes a generic 500 so a
stack trace or a prompt never reaches the client.
"""

from __future__ import annotations

import math

import orjson

from router.errors import (
    CredentialsError,
    InvalidRequestError,
    NoDeploymentAvailableError,
    RouterError,
    UpstreamError,
)


class AuthenticationFailed(RouterError):
    status_code = 401
    openai_type = "authentication_error"

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_api_key")


class ModelNotAllowed(RouterError):
    status_code = 403
    openai_type = "permission_denied"

    def __init__(self, model: str) -> None:
        super().__init__(
            f"This API key may not use model {model!r}. Call /v1/models to see the models it may use.",
            param="model",
            code="model_not_allowed",
        )


class KeyRateLimited(RouterError):
    status_code = 429
    openai_type = "rate_limit_error"

    def __init__(self, retry_after: float) -> None:
        super().__init__(
            "This API key exceeded its requests per minute; retry after the time in the Retry-After header.",
            code="rate_limit_exceeded",
        )
        self.retry_after = retry_after


class BodyTooLarge(RouterError):
    status_code = 413
    openai_type = "invalid_request_error"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Request body exceeds the limit of {limit} bytes.", code="request_too_large")


class RouteNotFound(RouterError):
    status_code = 404
    openai_type = "invalid_request_error"

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"Unknown route {method} {path}.", code="unknown_url")


class MethodNotAllowed(RouterError):
    status_code = 405
    openai_type = "invalid_request_error"

    def __init__(self, method: str, path: str, allow: str) -> None:
        super().__init__(f"Method {method} is not allowed on {path}; use {allow}.", code="method_not_allowed")
        self.allow = allow


class NotImplementedByRouter(RouterError):
    status_code = 501
    openai_type = "api_error"

    def __init__(self, message: str) -> None:
        super().__init__(message, code="not_implemented")


class InvalidField(InvalidRequestError):
    """A request field with the wrong type or value; ``param`` names it."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message, param=param, code="invalid_value")


_INTERNAL_BODY = orjson.dumps(
    {
        "error": {
            "message": "Internal server error. The proxy logged the event under this request's x-request-id.",
            "type": "api_error",
            "param": None,
            "code": "internal_error",
        }
    }
)

_CREDENTIALS_BODY = orjson.dumps(
    {
        "error": {
            "message": "The proxy could not obtain upstream credentials. Its operator has the details in the logs.",
            "type": "api_error",
            "param": None,
            "code": "credentials_error",
        }
    }
)


def retry_after_of(exc: BaseException) -> float | None:
    """Seconds the client should wait, for errors that know it (429s, all-deployments-cooling 503s)."""
    if isinstance(exc, KeyRateLimited | UpstreamError | NoDeploymentAvailableError):
        return exc.retry_after
    return None


def error_answer(exc: BaseException) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, extra headers and body for any exception; unknown exceptions become a body-less generic 500."""
    if not isinstance(exc, RouterError):
        return 500, [], _INTERNAL_BODY
    status = int(exc.status_code)
    headers: list[tuple[bytes, bytes]] = []
    retry_after = retry_after_of(exc)
    if retry_after is not None and (status == 429 or status >= 500):
        # Retry-After is delta-seconds, an integer; round up so a client never retries too early.
        headers.append((b"retry-after", str(max(1, math.ceil(retry_after))).encode()))
    if isinstance(exc, MethodNotAllowed):
        headers.append((b"allow", exc.allow.encode()))
    if isinstance(exc, NoDeploymentAvailableError) and exc.attempts:
        headers.append((b"x-router-attempts", str(len(exc.attempts)).encode()))
    if isinstance(exc, CredentialsError):
        # The message names the credential source (a file path, an env var); that is for the logs, not clients.
        return status, headers, _CREDENTIALS_BODY
    return status, headers, orjson.dumps(exc.to_openai())
