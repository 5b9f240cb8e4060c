"""LiteLLM keys this project knows but does not implement: never silently accepted.

A key whose absence changes security or correctness (a database of keys, guardrails, a secret manager) is an
error; a key that only adds observability or caching is a warning saying it is ignored. Either way the key is
removed before strict validation, so the user gets this message instead of a generic "unknown key".
"""

from __future__ import annotations

from typing import Any, Literal

from router.config.source import Path, Source
from router.errors import ConfigProblem

Severity = Literal["error", "warning"]
Rule = tuple[Severity, str]

_NO_DB = "vertex-router keeps no database (keys live in general_settings.keys)"
_NO_SAAS = "logging callbacks are not implemented; use the structured logs (--json-logs) and /metrics"
_NO_CACHE = "response caching is not implemented"
_SECRETS = "only os.environ/NAME references are resolved; there is no secret manager integration"
_NOT_ROUTING = "this routing feature is not implemented"

_TOP: dict[str, Rule] = {
    "include": ("error", "'include' is not supported; put everything in one file"),
    "credential_list": ("error", "named credentials are not supported; use vertex_credentials (path or os.environ/)"),
    "guardrails": ("error", "guardrails are not implemented; requests would pass unchecked"),
    "policies": ("error", "policies are not implemented; requests would pass unchecked"),
    "callback_settings": ("warning", _NO_SAAS),
    "assistant_settings": ("warning", "the assistants API is not implemented"),
    "mcp_servers": ("warning", "MCP is not implemented"),
    "mcp_tools": ("warning", "MCP is not implemented"),
    "search_tools": ("warning", "search tools are not implemented"),
    "vector_store_registry": ("warning", "vector stores are not implemented"),
    "pass_through_endpoints": ("warning", "custom pass-through endpoints are not implemented"),
    "prompts": ("warning", "prompt management is not implemented"),
    "agents": ("warning", "agents are not implemented"),
}

_LITELLM: dict[str, Rule] = {
    "success_callback": ("warning", _NO_SAAS),
    "failure_callback": ("warning", _NO_SAAS),
    "callbacks": ("warning", _NO_SAAS),
    "service_callbacks": ("warning", _NO_SAAS),
    "cache": ("warning", _NO_CACHE),
    "cache_params": ("warning", _NO_CACHE),
    "max_budget": ("error", "budgets are not implemented; spending would not be limited"),
    "budget_duration": ("error", "budgets are not implemented; spending would not be limited"),
}

_ROUTER: dict[str, Rule] = {
    "cache_responses": ("warning", _NO_CACHE),
    "caching_groups": ("warning", _NO_CACHE),
    "cache_kwargs": ("warning", _NO_CACHE),
    "client_ttl": ("warning", "clients are shared per process; nothing to expire"),
    "alerting_config": ("warning", _NO_SAAS),
    "set_verbose": ("warning", "use litellm_settings.set_verbose or --log-level"),
    "enable_tag_filtering": ("error", "tag routing is not implemented; tagged requests would go anywhere"),
    "tag_filtering_match_any": ("error", "tag routing is not implemented; tagged requests would go anywhere"),
    "provider_budget_config": ("error", "budgets are not implemented; spending would not be limited"),
    "optional_pre_call_checks": ("warning", _NOT_ROUTING),
    "polling_interval": ("warning", "the priority queue is not implemented"),
    "default_priority": ("warning", "the priority queue is not implemented"),
    "enable_health_check_routing": ("warning", _NOT_ROUTING),
    "enable_weighted_failover": ("warning", "a retry already prefers another healthy deployment of the group"),
    "enable_mid_stream_fallback_continuation": ("warning", "use router_settings.stream_rescue"),
    "background_health_checks": ("error", "this is a general_settings key in LiteLLM, and is not implemented"),
    "health_check_interval": ("error", "this is a general_settings key in LiteLLM, and is not implemented"),
}

_GENERAL: dict[str, Rule] = {
    "database_url": ("error", _NO_DB),
    "database_connection_pool_limit": ("error", _NO_DB),
    "database_connection_timeout": ("error", _NO_DB),
    "store_model_in_db": ("error", _NO_DB),
    "allow_requests_on_db_unavailable": ("error", _NO_DB),
    "custom_auth": ("error", "custom auth hooks are not implemented; use master_key and keys"),
    "enable_jwt_auth": ("error", "JWT auth is not implemented; use master_key and keys"),
    "key_management_system": ("error", _SECRETS),
    "key_management_settings": ("error", _SECRETS),
    "disable_spend_logs": ("warning", "spend logs are not kept"),
    "alerting": ("warning", _NO_SAAS),
    "alerting_threshold": ("warning", _NO_SAAS),
    "background_health_checks": (
        "warning",
        "health checks run on request (/health/readiness), never in the background",
    ),
    "health_check_interval": ("warning", "health checks run on request (/health/readiness), never in the background"),
    "max_parallel_requests": ("warning", "use litellm_params.max_parallel_requests per deployment"),
    "global_max_parallel_requests": ("warning", "use litellm_params.max_parallel_requests per deployment"),
    "forward_client_headers_to_llm_api": ("warning", "client headers are never forwarded upstream"),
    "infer_model_from_keys": ("warning", "not implemented"),
    "completion_model": ("warning", "not implemented"),
    "proxy_batch_write_at": ("warning", _NO_DB),
}

_PARAMS: dict[str, Rule] = {
    "litellm_credential_name": ("error", "named credentials are not supported; use vertex_credentials"),
    "api_key": ("error", "Vertex AI is called with OAuth credentials; use vertex_credentials or ADC"),
    "mock_response": ("error", "mock responses are not supported; point api_base at the emulator instead"),
    "custom_llm_provider": ("error", "the provider is always Vertex AI; use a 'vertex_ai/...' model string"),
}

_INFO: dict[str, Rule] = {
    "team_id": ("warning", "teams are not implemented"),
    "team_public_model_name": ("warning", "teams are not implemented"),
    "access_groups": ("error", "access groups are not implemented; use general_settings.keys[].models"),
    "tier": ("warning", "not implemented"),
    "blocked": ("error", "blocking a deployment is not implemented; remove the entry instead"),
}


def strip_unsupported(source: Source) -> list[ConfigProblem]:
    """Remove known-but-unimplemented keys from ``source.data`` and say why for each."""
    data = source.data
    if not isinstance(data, dict):
        return []
    problems = _strip(source, data, (), _TOP)
    for section, rules in (
        ("litellm_settings", _LITELLM),
        ("router_settings", _ROUTER),
        ("general_settings", _GENERAL),
    ):
        problems += _strip(source, data.get(section), (section,), rules)
    models = data.get("model_list")
    if isinstance(models, list):
        for index, entry in enumerate(models):
            if isinstance(entry, dict):
                problems += _strip(
                    source, entry.get("litellm_params"), ("model_list", index, "litellm_params"), _PARAMS
                )
                problems += _strip(source, entry.get("model_info"), ("model_list", index, "model_info"), _INFO)
    return problems


def _strip(source: Source, section: Any, path: Path, rules: dict[str, Rule]) -> list[ConfigProblem]:
    if not isinstance(section, dict):
        return []
    problems = []
    for key in [k for k in section if k in rules]:
        severity, reason = rules[key]
        section.pop(key)
        suffix = "" if severity == "error" else "; ignored"
        problems.append(
            source.problem((*path, key), f"{key!r} is not supported: {reason}{suffix}", severity=severity, at_key=True)
        )
    return problems
