"""``router_settings``: how groups are balanced, retried, cooled down and failed over (DESIGN.md §4)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from router.config.base import ConfigModel, FallbackList, NonNegFloat, NonNegInt, PosFloat, PosInt, StreamRescue

RoutingStrategy = Literal[
    "simple-shuffle",
    "least-busy",
    "latency-based-routing",
    "usage-based-routing",
    "usage-based-routing-v2",
    "cost-based-routing",
]


class RetryPolicy(ConfigModel):
    """Retries per error class (LiteLLM's ``RetryPolicy`` names); unset classes use num_retries."""

    BadRequestErrorRetries: NonNegInt | None = Field(default=None, description="Retries after a 400.")
    AuthenticationErrorRetries: NonNegInt | None = Field(default=None, description="Retries after a 401.")
    TimeoutErrorRetries: NonNegInt | None = Field(default=None, description="Retries after a timeout.")
    RateLimitErrorRetries: NonNegInt | None = Field(default=None, description="Retries after a 429.")
    ContentPolicyViolationErrorRetries: NonNegInt | None = Field(
        default=None, description="Retries after a content-policy block."
    )
    InternalServerErrorRetries: NonNegInt | None = Field(default=None, description="Retries after a 5xx.")
    ServiceUnavailableErrorRetries: NonNegInt | None = Field(default=None, description="Retries after a 503.")
    NotFoundErrorRetries: NonNegInt | None = Field(default=None, description="Retries after a 404.")
    DefaultRetries: NonNegInt | None = Field(default=None, description="Retries for any other error class.")


class AllowedFailsPolicy(ConfigModel):
    """Failures tolerated per error class before a deployment cools down."""

    BadRequestErrorAllowedFails: NonNegInt | None = Field(default=None, description="400s tolerated.")
    AuthenticationErrorAllowedFails: NonNegInt | None = Field(default=None, description="401s tolerated.")
    TimeoutErrorAllowedFails: NonNegInt | None = Field(default=None, description="Timeouts tolerated.")
    RateLimitErrorAllowedFails: NonNegInt | None = Field(default=None, description="429s tolerated.")
    ContentPolicyViolationErrorAllowedFails: NonNegInt | None = Field(
        default=None, description="Content-policy blocks tolerated."
    )
    InternalServerErrorAllowedFails: NonNegInt | None = Field(default=None, description="5xx tolerated.")
    ServiceUnavailableErrorAllowedFails: NonNegInt | None = Field(default=None, description="503s tolerated.")
    NotFoundErrorAllowedFails: NonNegInt | None = Field(default=None, description="404s tolerated.")


class RoutingStrategyArgs(ConfigModel):
    """Tuning of the latency and usage strategies."""

    ttl: PosFloat | None = Field(default=None, description="Seconds a latency or usage sample is kept.")
    lowest_latency_buffer: NonNegFloat | None = Field(
        default=None, description="Latency strategy: pick randomly among deployments within this fraction of the best."
    )
    max_latency_list_size: PosInt | None = Field(default=None, description="Latency samples kept per deployment.")


class AliasTarget(ConfigModel):
    """An alias that may be hidden from /models."""

    model: str = Field(description="The model group the alias points at.")
    hidden: bool = Field(default=False, description="Leave the alias out of /models.")


class RouterSettings(ConfigModel):
    """Settings of the routing engine (LiteLLM's ``router_settings`` names)."""

    routing_strategy: RoutingStrategy = Field(default="simple-shuffle", description="How a deployment is picked.")
    routing_strategy_args: RoutingStrategyArgs = Field(
        default_factory=RoutingStrategyArgs, description="Strategy tuning."
    )
    num_retries: NonNegInt = Field(
        default=2, description="Retries per request (shared with fallback hops); else litellm_settings.num_retries."
    )
    retry_after: NonNegFloat = Field(default=0.0, description="Minimum backoff in seconds before a retry.")
    retry_policy: RetryPolicy | None = Field(default=None, description="Retries per error class.")
    model_group_retry_policy: dict[str, RetryPolicy] | None = Field(
        default=None, description="Retry policy per model group."
    )
    allowed_fails: NonNegInt = Field(
        default=3, description="Failures within the window before a deployment cools down."
    )
    allowed_fails_policy: AllowedFailsPolicy | None = Field(
        default=None, description="Allowed failures per error class."
    )
    cooldown_time: NonNegFloat = Field(default=5.0, description="Seconds a failing deployment is skipped.")
    disable_cooldowns: bool = Field(default=False, description="Never cool deployments down.")
    fallbacks: FallbackList = Field(default_factory=list, description="[{group: [fallback groups]}] tried in order.")
    default_fallbacks: list[str] = Field(
        default_factory=list, description="Fallback groups for every group without its own entry."
    )
    context_window_fallbacks: FallbackList = Field(
        default_factory=list, description="Fallbacks used when the input is too long for the group."
    )
    content_policy_fallbacks: FallbackList = Field(
        default_factory=list, description="Fallbacks used when the group's answer is blocked by safety filters."
    )
    max_fallbacks: NonNegInt = Field(default=5, description="Most fallback hops per request.")
    timeout: PosFloat = Field(
        default=600.0, description="Total seconds per request, all attempts included; else request_timeout."
    )
    stream_timeout: PosFloat | None = Field(default=None, description="Seconds until the first streamed token.")
    first_token_timeout: PosFloat | None = Field(
        default=None, description="Seconds until the first token of a stream; wins over stream_timeout."
    )
    stream_chunk_timeout: PosFloat | None = Field(
        default=None, description="Longest allowed gap in seconds between two chunks of a stream."
    )
    connect_timeout: PosFloat | None = Field(default=None, description="Seconds to establish a connection.")
    stream_rescue: StreamRescue = Field(
        default="off", description="Finish a stream that broke mid-way on another deployment: off, prefill, replay."
    )
    model_group_alias: dict[str, str | AliasTarget] | None = Field(
        default=None, description="{alias: group} or {alias: {model: group, hidden: true}}."
    )
    enable_pre_call_checks: bool = Field(
        default=False, description="Skip deployments whose context window is too small for the request."
    )
    default_max_parallel_requests: PosInt | None = Field(
        default=None, description="Concurrent requests cap for deployments without their own."
    )
    redis_url: str | None = Field(default=None, description="Redis URL for state shared between processes.")
    redis_host: str | None = Field(default=None, description="Redis host (instead of redis_url).")
    redis_port: PosInt | None = Field(default=None, description="Redis port (with redis_host).")
    redis_password: str | None = Field(default=None, description="Redis password (with redis_host).")
    redis_db: NonNegInt | None = Field(default=None, description="Redis database number.")
