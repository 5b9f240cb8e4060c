"""Per-error-class policy: retries, allowed fails, cooldown kind and length; store selection."""

from __future__ import annotations

from router.errors import (
    AuthenticationError,
    BadRequestError,
    ContentPolicyError,
    CredentialsError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamTimeoutError,
)
from router.routing import DeploymentSpec, MemoryStore, ResilientStore, RoutingSettings, store_from_settings
from router.routing.policy import allowed_fails, cooldown_kind, cooldown_seconds, policy_stems, retries_allowed


def spec(**kw: object) -> DeploymentSpec:
    return DeploymentSpec(model_name="g", model="m", id="d", **kw)  # type: ignore[arg-type]


def test_policy_stems_walk_the_class_hierarchy() -> None:
    assert policy_stems(ServiceUnavailableError("x")) == ["ServiceUnavailableError", "InternalServerError"]
    assert policy_stems(ContentPolicyError("x")) == ["ContentPolicyViolationError", "BadRequestError"]
    assert policy_stems(UpstreamTimeoutError("x")) == ["TimeoutError"]


def test_retries_precedence_request_group_router_deployment_default() -> None:
    s = RoutingSettings(
        num_retries=2,
        retry_policy={"RateLimitErrorRetries": 4},
        model_group_retry_policy={"g": {"RateLimitErrorRetries": 1}},
    )
    err = RateLimitError("q")
    assert retries_allowed(err, "g", spec(), s, override=None) == 1
    assert retries_allowed(err, "other", spec(), s, override=None) == 4
    assert retries_allowed(err, "g", spec(), s, override=0) == 0
    assert retries_allowed(InternalServerError("x"), "g", spec(num_retries=5), s, None) == 5
    assert retries_allowed(InternalServerError("x"), "g", spec(), s, None) == 2
    assert retries_allowed(BadRequestError("x"), "g", spec(), s, None) == 0
    assert retries_allowed(NotFoundError("x"), "g", spec(), s, None) == 2, "another deployment may have the model"


def test_allowed_fails_deployment_policy_then_router_policy_then_counts() -> None:
    s = RoutingSettings(allowed_fails=3, allowed_fails_policy={"InternalServerErrorAllowedFails": 1})
    assert allowed_fails(ServiceUnavailableError("x"), spec(), s) == 1
    assert allowed_fails(UpstreamTimeoutError("x"), spec(), s) == 3
    assert allowed_fails(UpstreamTimeoutError("x"), spec(allowed_fails=0), s) == 0
    own = spec(allowed_fails_policy={"InternalServerErrorAllowedFails": 9})
    assert allowed_fails(InternalServerError("x"), own, s) == 9


def test_cooldown_kind_by_class() -> None:
    s = RoutingSettings()
    assert cooldown_kind(RateLimitError("q"), spec(), s) == "now"
    assert cooldown_kind(InternalServerError("x"), spec(), s) == "count"
    assert cooldown_kind(BadRequestError("x"), spec(), s) == "never"
    assert cooldown_kind(CredentialsError("x", source="adc"), spec(), s) == "never"
    assert cooldown_kind(AuthenticationError("x"), spec(), s) == "never"
    named = RoutingSettings(allowed_fails_policy={"AuthenticationErrorAllowedFails": 2})
    assert cooldown_kind(AuthenticationError("x"), spec(), named) == "count", "explicitly named: it counts"


def test_cooldown_seconds_retry_after_capped_else_deployment_else_router() -> None:
    s = RoutingSettings(cooldown_time=5, retry_after_cap=60)
    assert cooldown_seconds(RateLimitError("q", retry_after=7), spec(), s) == 7
    assert cooldown_seconds(RateLimitError("q", retry_after=700), spec(), s) == 60
    assert cooldown_seconds(RateLimitError("q"), spec(cooldown_time=12), s) == 12
    assert cooldown_seconds(InternalServerError("x"), spec(), s) == 5


def test_store_is_memory_unless_redis_is_configured() -> None:
    assert isinstance(store_from_settings(RoutingSettings()), MemoryStore)
    assert isinstance(store_from_settings(RoutingSettings(redis_url="redis://127.0.0.1:1/0")), ResilientStore)
    assert isinstance(store_from_settings(RoutingSettings(redis_host="127.0.0.1", redis_port=1)), ResilientStore)


def test_limits_apply_to_usage_latency_cost_and_pre_call_checks_only() -> None:
    assert not RoutingSettings().enforces_limits
    assert not RoutingSettings(routing_strategy="least-busy").enforces_limits
    assert RoutingSettings(routing_strategy="usage-based-routing").enforces_limits
    assert RoutingSettings(enable_pre_call_checks=True).enforces_limits
