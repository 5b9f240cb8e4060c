"""The YAML config: strict pydantic models, the loader, and the resolved ``Config`` the router consumes."""

from router.config.deployment_models import LiteLLMParams, ModelEntry, ModelInfo
from router.config.loaded import Config, Deployment, VertexTarget
from router.config.loader import load_config, load_config_dict
from router.config.model_string import ParsedModel, parse_deployment_model, parse_model_string
from router.config.router_models import AliasTarget, AllowedFailsPolicy, RetryPolicy, RouterSettings
from router.config.settings_models import (
    ApiKey,
    ConfigFile,
    GeneralSettings,
    LiteLLMSettings,
    VertexAccount,
    config_json_schema,
)

__all__ = [
    "AliasTarget",
    "AllowedFailsPolicy",
    "ApiKey",
    "Config",
    "ConfigFile",
    "Deployment",
    "GeneralSettings",
    "LiteLLMParams",
    "LiteLLMSettings",
    "ModelEntry",
    "ModelInfo",
    "ParsedModel",
    "RetryPolicy",
    "RouterSettings",
    "VertexAccount",
    "VertexTarget",
    "config_json_schema",
    "load_config",
    "load_config_dict",
    "parse_deployment_model",
    "parse_model_string",
]
