"""From a loaded ``Config`` to what the Router runs: one runtime per deployment and the routing engine.

Everything that can be decided once (family, URL target, defaults, deadlines) is decided here, at start-up,
so the request path only looks things up.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from router.auth import load_credentials_and_project
from router.config import Config, Deployment
from router.errors import CredentialsError
from router.families import get_family
from router.families.base import Family, Target
from router.routing import AttemptInfo, DeploymentSpec, RoutingEngine, RoutingSettings, RoutingStrategyArgs
from router.vertex.client import Deadlines

# ``model_info.mode`` turns a bare endpoint id (``vertex_ai/<id>``) into the family that serves that mode.
_ENDPOINT_MODES = {"embedding": "embeddings", "image_generation": "imagen", "chat": "model_garden"}


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Per-deployment phase limits; the engine's per-attempt budget caps them further."""

    connect: float
    first_token: float | None
    chunk_gap: float | None

    def for_attempt(self, info: AttemptInfo) -> Deadlines:
        # Comparisons rather than min()/max() and positional fields: this runs once per attempt.
        total = info.timeout if info.timeout > 0.001 else 0.001
        first = info.first_token_timeout if info.stream and info.first_token_timeout else total
        if self.first_token is not None and self.first_token < first:
            first = self.first_token
        if first > total:
            first = total
        connect = self.connect if self.connect < total else total
        return Deadlines(connect, first, self.chunk_gap if self.chunk_gap is not None else first, total)


@dataclass(frozen=True, slots=True)
class DeploymentRuntime:
    deployment: Deployment
    target: Target
    family: Family
    credentials: Any
    credential_key: str
    defaults: dict[str, Any]
    timeouts: Timeouts
    stream_rescue: str


def build_runtimes(config: Config) -> dict[str, DeploymentRuntime]:
    settings = config.router_settings
    runtimes: dict[str, DeploymentRuntime] = {}
    adc_project = _AdcProject()
    for deployment in config.model_list:
        params = deployment.litellm_params
        family_name = _family_name(deployment)
        target = Target(
            family=family_name,
            model=deployment.parsed.model,
            project=deployment.project or adc_project(),
            location=deployment.location,
            deployment_id=deployment.id,
            publisher=deployment.parsed.publisher,
            endpoint_id=deployment.parsed.endpoint_id,
            api_base=params.api_base,
            model_name=deployment.model_name,
            drop_params=deployment.drop_params,
            options={"base_model": params.base_model or deployment.model_info.base_model},
        )
        runtimes[deployment.id] = DeploymentRuntime(
            deployment=deployment,
            target=target,
            family=get_family(family_name),
            credentials=deployment.credentials,
            credential_key=_credential_key(deployment.credentials),
            defaults=dict(deployment.call_defaults),
            timeouts=Timeouts(
                connect=params.connect_timeout or settings.connect_timeout or 10.0,
                first_token=params.first_token_timeout,
                chunk_gap=params.stream_chunk_timeout or settings.stream_chunk_timeout,
            ),
            stream_rescue=params.stream_rescue or settings.stream_rescue,
        )
    return runtimes


class _AdcProject:
    """The project Application Default Credentials name (asked once, only when a deployment left it unset:
    on Cloud Run the metadata server answers)."""

    def __init__(self) -> None:
        self._project: str | None = None

    def __call__(self) -> str:
        if self._project is None:
            _, project = load_credentials_and_project(None)
            if not project:
                raise CredentialsError(
                    "no Vertex project: none configured and Application Default Credentials name none; set "
                    "vertex_project or VERTEXAI_PROJECT",
                    source="ADC",
                )
            self._project = project
        return self._project


def _family_name(deployment: Deployment) -> str:
    family: str = deployment.parsed.family
    mode = deployment.model_info.mode
    if family == "model_garden" and mode in _ENDPOINT_MODES:
        return _ENDPOINT_MODES[mode]
    return family


def _credential_key(credentials: Any) -> str:
    if credentials is None or isinstance(credentials, str):
        return str(credentials)
    return orjson.dumps(credentials, option=orjson.OPT_SORT_KEYS).decode()


def build_engine(
    config: Config,
    runtimes: dict[str, DeploymentRuntime],
    *,
    clock: Callable[[], float] | None = None,
    sleep: Any = None,
    rng: random.Random | None = None,
) -> RoutingEngine:
    specs = [_spec(runtime) for runtime in runtimes.values()]
    kwargs: dict[str, Any] = {"clock": clock, "rng": rng}
    if sleep is not None:
        kwargs["sleep"] = sleep
    return RoutingEngine(specs, routing_settings(config), **kwargs)


def _spec(runtime: DeploymentRuntime) -> DeploymentSpec:
    d = runtime.deployment
    params, info = d.litellm_params, d.model_info
    policy = info.allowed_fails_policy.model_dump(exclude_none=True) if info.allowed_fails_policy else {}
    return DeploymentSpec(
        model_name=d.model_name,
        model=params.model,
        project=d.project,
        location=d.location,
        api_base=params.api_base,
        id=d.id,
        rpm=params.rpm,
        tpm=params.tpm,
        weight=params.weight,
        order=d.order,
        input_cost_per_token=params.input_cost_per_token or info.input_cost_per_token,
        output_cost_per_token=params.output_cost_per_token or info.output_cost_per_token,
        num_retries=params.num_retries,
        timeout=params.timeout,
        stream_timeout=params.stream_timeout,
        first_token_timeout=params.first_token_timeout,
        cooldown_time=params.cooldown_time if params.cooldown_time is not None else info.cooldown_time,
        allowed_fails=info.allowed_fails,
        allowed_fails_policy=policy,
        payload=runtime,
    )


def routing_settings(config: Config) -> RoutingSettings:
    s = config.router_settings
    args = s.routing_strategy_args
    aliases = {name: target.model for name, target in config.aliases.items()}
    return RoutingSettings(
        routing_strategy=s.routing_strategy,
        routing_strategy_args=RoutingStrategyArgs(
            lowest_latency_buffer=args.lowest_latency_buffer or 0.0,
            ttl=args.ttl or 3600.0,
            max_latency_list_size=args.max_latency_list_size or 10,
        ),
        num_retries=s.num_retries,
        retry_policy=s.retry_policy.model_dump(exclude_none=True) if s.retry_policy else {},
        model_group_retry_policy={
            g: p.model_dump(exclude_none=True) for g, p in (s.model_group_retry_policy or {}).items()
        },
        allowed_fails=s.allowed_fails,
        allowed_fails_policy=s.allowed_fails_policy.model_dump(exclude_none=True) if s.allowed_fails_policy else {},
        cooldown_time=s.cooldown_time,
        disable_cooldowns=s.disable_cooldowns,
        retry_after=s.retry_after,
        fallbacks=s.fallbacks,
        default_fallbacks=s.default_fallbacks,
        context_window_fallbacks=s.context_window_fallbacks,
        content_policy_fallbacks=s.content_policy_fallbacks,
        max_fallbacks=s.max_fallbacks,
        timeout=s.timeout,
        stream_timeout=s.stream_timeout,
        first_token_timeout=s.first_token_timeout,
        model_group_alias=aliases,
        enable_pre_call_checks=s.enable_pre_call_checks,
        redis_url=s.redis_url,
        redis_host=s.redis_host,
        redis_port=s.redis_port,
        redis_password=s.redis_password,
        redis_db=s.redis_db or 0,
    )
