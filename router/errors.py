"""Every exception vertex-router raises.

    RouterError
    ├── ConfigError                    the YAML is wrong (file, line, column, key path; all problems at once)
    ├── UnknownModelError              404: no model group / deployment by that name
    ├── InvalidRequestError            400: the caller's request is wrong before anything was sent
    │   └── UnsupportedParamError      400: a param the family cannot express (and drop_params is off)
    ├── JSONSchemaValidationError      the model's JSON does not match the requested schema (enforce_validation)
    ├── CredentialsError               credentials unusable or token endpoint failing (never cools a deployment)
    ├── UpstreamError                  one failed attempt against one deployment
    │   ├── APIConnectionError         connection refused / reset / DNS (retryable, counts toward allowed_fails)
    │   ├── UpstreamTimeoutError       connect, first-token, chunk-gap or total deadline (retryable, counts)
    │   ├── BadRequestError            400 (not retried, not a reason to fall back)
    │   │   ├── ContextWindowExceededError   400: input too long (context_window_fallbacks)
    │   │   └── ContentPolicyError           400: blocked by safety (content_policy_fallbacks)
    │   ├── AuthenticationError        401 (after one re-auth)
    │   ├── PermissionDeniedError      403
    │   ├── NotFoundError              404
    │   ├── RateLimitError             429 (cools at once, for Retry-After when given)
    │   ├── InternalServerError        500 and other 5xx (retryable, counts)
    │   │   └── ServiceUnavailableError      503 / 529 overloaded (retryable, counts)
    │   └── MidStreamError             the stream failed after content reached the caller
    └── NoDeploymentAvailableError     every attempt failed or every deployment is cooling; carries the attempts

Code decides by type (and the class attributes below), never by message text. Message patterns live only in
a family's ``classify_error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

CooldownKind = Literal["now", "count", "never"]


class RouterError(Exception):
    """Base of everything vertex-router raises."""

    status_code: ClassVar[int] = 500
    openai_type: ClassVar[str] = "api_error"
    retryable: ClassVar[bool] = False
    cooldown: ClassVar[CooldownKind] = "never"
    default_code: ClassVar[str | None] = None  # OpenAI's ``error.code`` for this class

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code or self.default_code

    def to_openai(self) -> dict[str, Any]:
        """OpenAI's error JSON body for this error."""
        return {
            "error": {
                "message": self.message,
                "type": self.openai_type,
                "param": self.param,
                "code": self.code,
            }
        }


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem found in a config file, with its position."""

    file: str
    line: int
    column: int
    key_path: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        key = f" {self.key_path}:" if self.key_path else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}:{key} {prefix}{self.message}"


class ConfigError(RouterError):
    status_code = 500
    openai_type = "invalid_config"

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid config")


class UnknownModelError(RouterError):
    status_code = 404
    openai_type = "invalid_request_error"

    def __init__(self, model: str, known: Sequence[str] = ()) -> None:
        hint = f" Known model groups: {', '.join(sorted(known))}." if known else ""
        super().__init__(f"Unknown model {model!r}.{hint}", param="model", code="model_not_found")
        self.model = model


class InvalidRequestError(RouterError):
    status_code = 400
    openai_type = "invalid_request_error"


class UnsupportedParamError(InvalidRequestError):
    def __init__(self, param: str, family: str, hint: str = "") -> None:
        extra = f" {hint}" if hint else ""
        super().__init__(
            f"Parameter {param!r} is not supported by {family} models.{extra} "
            "Remove it, or set drop_params: true to drop unsupported parameters.",
            param=param,
            code="unsupported_parameter",
        )


class JSONSchemaValidationError(RouterError):
    status_code = 502
    openai_type = "api_error"

    def __init__(self, message: str, *, raw_response: str, schema: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, code="json_schema_validation_failed")
        self.raw_response = raw_response
        self.schema = schema


class CredentialsError(RouterError):
    """Credentials could not be loaded or exchanged for a token. Names the source, never the secret."""

    status_code = 500
    openai_type = "api_error"

    def __init__(self, message: str, *, source: str) -> None:
        super().__init__(f"{message} (credentials: {source})", code="credentials_error")
        self.source = source


class UpstreamError(RouterError):
    """One failed attempt against one deployment."""

    status_code = 502
    openai_type = "api_error"

    def __init__(
        self,
        message: str,
        *,
        upstream_status: int | None = None,
        retry_after: float | None = None,
        deployment_id: str | None = None,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, param=param, code=code)
        self.upstream_status = upstream_status
        self.retry_after = retry_after
        self.deployment_id = deployment_id


class APIConnectionError(UpstreamError):
    status_code = 502
    retryable = True
    cooldown = "count"


class UpstreamTimeoutError(UpstreamError):
    status_code = 408
    openai_type = "timeout"
    retryable = True
    cooldown = "count"


class BadRequestError(UpstreamError):
    status_code = 400
    openai_type = "invalid_request_error"


class ContextWindowExceededError(BadRequestError):
    default_code = "context_length_exceeded"


class ContentPolicyError(BadRequestError):
    default_code = "content_policy_violation"


class AuthenticationError(UpstreamError):
    status_code = 401
    openai_type = "authentication_error"


class PermissionDeniedError(UpstreamError):
    status_code = 403
    openai_type = "permission_denied"


class NotFoundError(UpstreamError):
    status_code = 404
    openai_type = "not_found_error"


class RateLimitError(UpstreamError):
    status_code = 429
    openai_type = "rate_limit_error"
    retryable = True
    cooldown = "now"
    default_code = "rate_limit_exceeded"


class InternalServerError(UpstreamError):
    status_code = 500
    retryable = True
    cooldown = "count"


class ServiceUnavailableError(InternalServerError):
    status_code = 503


class MidStreamError(UpstreamError):
    """The stream failed after content had reached the caller. ``received`` is the text delivered so far."""

    status_code = 502

    def __init__(self, message: str, *, received: str = "", cause: BaseException | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.received = received
        self.cause = cause


class NoDeploymentAvailableError(RouterError):
    """Every attempt failed, or every deployment of the group is cooling down."""

    status_code = 503
    openai_type = "api_error"

    def __init__(
        self,
        message: str,
        *,
        model: str,
        attempts: Sequence[UpstreamError] = (),
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code="no_deployment_available")
        self.model = model
        self.attempts = list(attempts)
        self.retry_after = retry_after
        if self.attempts and all(isinstance(a, RateLimitError) for a in self.attempts):
            self.status_code = 429  # type: ignore[misc]


_STATUS_TABLE: dict[int, type[UpstreamError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: UpstreamTimeoutError,
    413: ContextWindowExceededError,
    429: RateLimitError,
    500: InternalServerError,
    502: InternalServerError,
    503: ServiceUnavailableError,
    504: UpstreamTimeoutError,
    529: ServiceUnavailableError,
}


def error_class_for_status(status: int) -> type[UpstreamError]:
    """The exception class for an upstream HTTP status (the default table every family starts from)."""
    if status in _STATUS_TABLE:
        return _STATUS_TABLE[status]
    if status >= 500:
        return InternalServerError
    return BadRequestError


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent or unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import time
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
