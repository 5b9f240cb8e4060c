"""Router-wide routing settings, in LiteLLM's vocabulary (``router_settings``), as a plain frozen dataclass.

The config package validates the YAML; the lead builds one ``RoutingSettings`` from it. Only fallback maps are
normalised here (LiteLLM's list-of-one-key-dicts shape and a plain dict are both accepted), because the engine
looks them up on every hop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

StrategyName = Literal[
    "simple-shuffle",
    "least-busy",
    "latency-based-routing",
    "usage-based-routing",
    "usage-based-routing-v2",
    "cost-based-routing",
]
STRATEGY_NAMES: tuple[str, ...] = (
    "simple-shuffle",
    "least-busy",
    "latency-based-routing",
    "usage-based-routing",
    "usage-based-routing-v2",
    "cost-based-routing",
)
# Strategies for which rpm/tpm are limits (checked and reserved atomically), not just weights.
LIMITING_STRATEGIES = frozenset(
    {"latency-based-routing", "usage-based-routing", "usage-based-routing-v2", "cost-based-routing"}
)

RETRY_POLICY_KEYS = frozenset(
    {
        "BadRequestErrorRetries",
        "AuthenticationErrorRetries",
        "PermissionDeniedErrorRetries",
        "NotFoundErrorRetries",
        "TimeoutErrorRetries",
        "RateLimitErrorRetries",
        "ContentPolicyViolationErrorRetries",
        "ContextWindowExceededErrorRetries",
        "InternalServerErrorRetries",
        "ServiceUnavailableErrorRetries",
        "APIConnectionErrorRetries",
        "DefaultRetries",
    }
)
ALLOWED_FAILS_POLICY_KEYS = frozenset(
    k.removesuffix("Retries") + "AllowedFails" for k in RETRY_POLICY_KEYS if k != "DefaultRetries"
)

FallbackMap = Mapping[str, tuple[str, ...]]


def normalize_fallbacks(value: Any) -> FallbackMap:
    """``[{a: [b, c]}, {"*": [z]}]`` or ``{a: [b, c]}`` → read-only ``{a: (b, c), "*": (z,)}``."""
    if value is None:
        return MappingProxyType({})
    items: list[tuple[str, Any]] = []
    if isinstance(value, Mapping):
        items.extend(value.items())
    else:
        for entry in value:
            if not isinstance(entry, Mapping):
                raise TypeError(f"fallbacks entries must be mappings, got {type(entry).__name__}")
            items.extend(entry.items())
    out: dict[str, tuple[str, ...]] = {}
    for key, targets in items:
        names = (targets,) if isinstance(targets, str) else tuple(str(t) for t in targets)
        out[str(key)] = out.get(str(key), ()) + names
    return MappingProxyType(out)


def _check_keys(policy: Mapping[str, int], allowed: frozenset[str], what: str) -> Mapping[str, int]:
    unknown = sorted(set(policy) - allowed)
    if unknown:
        raise ValueError(f"unknown {what} keys: {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
    return MappingProxyType(dict(policy))


@dataclass(frozen=True, slots=True)
class RoutingStrategyArgs:
    """``routing_strategy_args``: latency buffer (fraction of the best), sample TTL and window size."""

    lowest_latency_buffer: float = 0.0
    ttl: float = 3600.0
    max_latency_list_size: int = 10


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    """Everything the engine needs from ``router_settings`` (defaults follow LiteLLM unless noted).

    Not in LiteLLM (ours, documented): ``retry_after_cap`` caps an upstream Retry-After both as a cooldown length
    and as a backoff sleep; ``backoff_base``/``backoff_max`` shape the exponential backoff;
    ``allowed_fails_window`` is the window in which counted failures accumulate; ``half_open_window`` is how long
    after a cooldown the deployment stays half-open (one probe decides) before it is simply trusted again;
    ``max_cooldown_wait`` bounds how long a request waits for a cooling group (None: up to its deadline);
    ``timeout`` is the whole request's deadline (retries and fallbacks included).
    """

    routing_strategy: str = "simple-shuffle"
    routing_strategy_args: RoutingStrategyArgs = field(default_factory=RoutingStrategyArgs)
    num_retries: int = 2
    retry_policy: Mapping[str, int] = field(default_factory=dict)
    model_group_retry_policy: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    allowed_fails: int = 3
    allowed_fails_policy: Mapping[str, int] = field(default_factory=dict)
    allowed_fails_window: float = 60.0
    cooldown_time: float = 5.0
    disable_cooldowns: bool = False
    half_open_window: float = 300.0
    retry_after: float = 0.0
    retry_after_cap: float = 60.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    fallbacks: Any = None
    default_fallbacks: Sequence[str] = ()
    context_window_fallbacks: Any = None
    content_policy_fallbacks: Any = None
    max_fallbacks: int = 5
    timeout: float = 600.0
    stream_timeout: float | None = None
    first_token_timeout: float | None = None
    max_cooldown_wait: float | None = None
    model_group_alias: Mapping[str, Any] = field(default_factory=dict)  # {alias: group | {model: group, ...}}
    enable_pre_call_checks: bool = False
    redis_url: str | None = None
    redis_host: str | None = None
    redis_port: int | None = None
    redis_password: str | None = field(default=None, repr=False)
    redis_db: int = 0

    def __post_init__(self) -> None:
        if self.routing_strategy not in STRATEGY_NAMES:
            raise ValueError(f"unknown routing_strategy {self.routing_strategy!r}; valid: {', '.join(STRATEGY_NAMES)}")
        setattr_ = object.__setattr__
        setattr_(self, "fallbacks", normalize_fallbacks(self.fallbacks))
        setattr_(self, "context_window_fallbacks", normalize_fallbacks(self.context_window_fallbacks))
        setattr_(self, "content_policy_fallbacks", normalize_fallbacks(self.content_policy_fallbacks))
        setattr_(self, "default_fallbacks", tuple(self.default_fallbacks))
        setattr_(self, "retry_policy", _check_keys(self.retry_policy, RETRY_POLICY_KEYS, "retry_policy"))
        setattr_(
            self,
            "model_group_retry_policy",
            MappingProxyType(
                {
                    g: _check_keys(p, RETRY_POLICY_KEYS, "model_group_retry_policy")
                    for g, p in self.model_group_retry_policy.items()
                }
            ),
        )
        setattr_(
            self,
            "allowed_fails_policy",
            _check_keys(self.allowed_fails_policy, ALLOWED_FAILS_POLICY_KEYS, "allowed_fails_policy"),
        )
        setattr_(self, "model_group_alias", MappingProxyType(dict(self.model_group_alias)))

    @property
    def enforces_limits(self) -> bool:
        """rpm/tpm act as hard limits (atomic reserve) for the usage/latency/cost strategies or with pre-call
        checks; for simple-shuffle and least-busy they are only weights, as in LiteLLM."""
        return self.enable_pre_call_checks or self.routing_strategy in LIMITING_STRATEGIES

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url or self.redis_host)
