"""Routing engine: deployments and groups, strategies, cooldowns, one attempt plan per request (retries and
fallbacks sharing one budget and deadline), and shared state (memory or Redis)."""

from router.routing.backoff import backoff_delay
from router.routing.clock import Clock, Sleep, system_clock
from router.routing.deployments import DeploymentSpec, DeploymentTable, deployment_id
from router.routing.engine import RoutingEngine
from router.routing.outcomes import EventCallback
from router.routing.redis_store import RedisStore
from router.routing.report import AttemptInfo, AttemptRecord, ExecutionReport
from router.routing.settings import STRATEGY_NAMES, RoutingSettings, RoutingStrategyArgs, normalize_fallbacks
from router.routing.state import DeploymentState, MemoryStore, StateStore
from router.routing.store_factory import ResilientStore, store_from_settings

__all__ = [
    "STRATEGY_NAMES",
    "AttemptInfo",
    "AttemptRecord",
    "Clock",
    "DeploymentSpec",
    "DeploymentState",
    "DeploymentTable",
    "EventCallback",
    "ExecutionReport",
    "MemoryStore",
    "RedisStore",
    "ResilientStore",
    "RoutingEngine",
    "RoutingSettings",
    "RoutingStrategyArgs",
    "Sleep",
    "StateStore",
    "backoff_delay",
    "deployment_id",
    "normalize_fallbacks",
    "store_from_settings",
    "system_clock",
]
