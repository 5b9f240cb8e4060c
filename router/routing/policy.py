"""Per-error-class policy: retries allowed, failures allowed before cooldown, and cooldown length.

Decided by class (walking the MRO) and class attributes, never by message text. Policy keys are LiteLLM's
(``RateLimitErrorRetries``, ``TimeoutErrorAllowedFails`` …).
"""

from __future__ import annotations

from collections.abc import Mapping

from router.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    ContextWindowExceededError,
    CredentialsError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RouterError,
    ServiceUnavailableError,
    UpstreamTimeoutError,
)
from router.routing.deployments import DeploymentSpec
from router.routing.settings import RoutingSettings

# Our class → LiteLLM's policy stem. A subclass not listed inherits its parent's entry through the MRO walk.
_POLICY_STEM: Mapping[type[BaseException], str] = {
    RateLimitError: "RateLimitError",
    UpstreamTimeoutError: "TimeoutError",
    ServiceUnavailableError: "ServiceUnavailableError",
    InternalServerError: "InternalServerError",
    APIConnectionError: "APIConnectionError",
    ContentPolicyError: "ContentPolicyViolationError",
    ContextWindowExceededError: "ContextWindowExceededError",
    BadRequestError: "BadRequestError",
    AuthenticationError: "AuthenticationError",
    CredentialsError: "AuthenticationError",
    PermissionDeniedError: "PermissionDeniedError",
    NotFoundError: "NotFoundError",
}


def policy_stems(error: BaseException) -> list[str]:
    """Most specific first: ServiceUnavailableError → [ServiceUnavailableError, InternalServerError]."""
    return [_POLICY_STEM[cls] for cls in type(error).__mro__ if cls in _POLICY_STEM]


def _lookup(policy: Mapping[str, int], error: BaseException, suffix: str) -> int | None:
    for stem in policy_stems(error):
        value = policy.get(stem + suffix)
        if value is not None:
            return value
    return None


def explicit_retries(error: BaseException, group: str, settings: RoutingSettings) -> int | None:
    """A ``retry_policy`` entry for this class (group policy first), or None when the policy says nothing."""
    group_policy = settings.model_group_retry_policy.get(group)
    if group_policy is not None:
        value = _lookup(group_policy, error, "Retries")
        if value is not None:
            return value
    return _lookup(settings.retry_policy, error, "Retries")


def retries_allowed(
    error: BaseException, group: str, spec: DeploymentSpec, settings: RoutingSettings, override: int | None
) -> int:
    """How many retries this request may spend after ``error``. Precedence: per-request ``num_retries``, the
    group's ``retry_policy``, the router's ``retry_policy`` (its ``DefaultRetries`` too), the deployment's
    ``num_retries``, the router's ``num_retries``. Non-retryable classes get 0 unless a policy names them."""
    if override is not None:
        return override if _is_retryable(error) else 0
    explicit = explicit_retries(error, group, settings)
    if explicit is not None:
        return explicit
    if not _is_retryable(error):
        return 0
    default = settings.model_group_retry_policy.get(group, {}).get("DefaultRetries")
    if default is None:
        default = settings.retry_policy.get("DefaultRetries")
    if default is not None:
        return default
    return spec.num_retries if spec.num_retries is not None else settings.num_retries


def _is_retryable(error: BaseException) -> bool:
    # 401/403/404 and credential failures are deployment-specific: another deployment may well answer, so they
    # are retried elsewhere (never on the same deployment, see plan.py). 400s are the caller's: never retried.
    if isinstance(error, BadRequestError):
        return False
    if isinstance(error, AuthenticationError | PermissionDeniedError | NotFoundError | CredentialsError):
        return True
    return isinstance(error, RouterError) and error.retryable


def same_deployment_retry_ok(error: BaseException) -> bool:
    """Only transient failures (class ``retryable``) may hit the same deployment again."""
    return isinstance(error, RouterError) and error.retryable and not isinstance(error, CredentialsError)


def allowed_fails(error: BaseException, spec: DeploymentSpec, settings: RoutingSettings) -> int:
    """Failures of this class tolerated within the window; the next one cools (deployment policy first)."""
    for policy in (spec.allowed_fails_policy, settings.allowed_fails_policy):
        value = _lookup(policy, error, "AllowedFails")
        if value is not None:
            return value
    return spec.allowed_fails if spec.allowed_fails is not None else settings.allowed_fails


def counter_key(error: BaseException, spec: DeploymentSpec, settings: RoutingSettings) -> str:
    """Failures named by an ``allowed_fails_policy`` entry count separately; all others share ``generic``."""
    for policy in (spec.allowed_fails_policy, settings.allowed_fails_policy):
        for stem in policy_stems(error):
            if stem + "AllowedFails" in policy:
                return stem
    return "generic"


def cooldown_kind(error: BaseException, spec: DeploymentSpec, settings: RoutingSettings) -> str:
    """ "now", "count" or "never". An ``allowed_fails_policy`` entry naming 401/403/404 makes them count (a
    deployment with broken credentials can be benched on request); 400s and credential errors never cool."""
    if isinstance(error, CredentialsError | BadRequestError) or not isinstance(error, RouterError):
        return "never"
    kind: str = error.cooldown
    if kind == "never" and counter_key(error, spec, settings) != "generic":
        return "count"
    return kind


def cooldown_seconds(error: BaseException, spec: DeploymentSpec, settings: RoutingSettings) -> float:
    """Retry-After when the upstream gave one (capped at ``retry_after_cap``), else the deployment's
    ``cooldown_time``, else the router's."""
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int | float) and retry_after > 0:
        return float(min(retry_after, settings.retry_after_cap))
    return spec.cooldown_time if spec.cooldown_time is not None else settings.cooldown_time


def all_counter_keys() -> list[str]:
    """Every failure-counter suffix ``counter_key`` can return (so a probe's success can clear them all)."""
    return ["generic", *sorted(set(_POLICY_STEM.values()))]
