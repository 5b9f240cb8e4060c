"""``litellm_settings``, ``general_settings``, the Vertex account sections, and the whole file."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from router.config.base import ConfigModel, FallbackList, NonNegInt, PosFloat, PosInt, SafetySetting
from router.config.deployment_models import Credentials, ModelEntry
from router.config.router_models import RouterSettings


class LiteLLMSettings(ConfigModel):
    """Process-wide defaults (LiteLLM's ``litellm_settings`` names); deployments and router_settings win."""

    drop_params: bool = Field(default=False, description="Drop unsupported request params for every deployment.")
    num_retries: NonNegInt | None = Field(default=None, description="Used when router_settings.num_retries is unset.")
    request_timeout: PosFloat | None = Field(
        default=None, description="Used when router_settings.timeout is unset (seconds)."
    )
    allowed_fails: NonNegInt | None = Field(
        default=None, description="Used when router_settings.allowed_fails is unset."
    )
    fallbacks: FallbackList | None = Field(default=None, description="Used when router_settings.fallbacks is unset.")
    default_fallbacks: list[str] | None = Field(
        default=None, description="Used when router_settings.default_fallbacks is unset."
    )
    context_window_fallbacks: FallbackList | None = Field(
        default=None, description="Used when router_settings.context_window_fallbacks is unset."
    )
    content_policy_fallbacks: FallbackList | None = Field(
        default=None, description="Used when router_settings.content_policy_fallbacks is unset."
    )
    vertex_project: str | None = Field(default=None, description="Project for deployments that name none.")
    vertex_location: str | None = Field(default=None, description="Location for deployments that name none.")
    vertex_ai_safety_settings: list[SafetySetting] | None = Field(
        default=None, description="Safety settings for every Gemini deployment without its own safety_settings."
    )
    set_verbose: bool = Field(default=False, description="Debug logging (same as --log-level debug).")
    json_logs: bool = Field(default=False, description="Log JSON lines instead of console text.")
    turn_off_message_logging: bool = Field(
        default=False, description="Accepted for compatibility; prompts and answers are never logged anyway."
    )
    redact_user_api_key_info: bool = Field(
        default=False, description="Accepted for compatibility; keys are never logged anyway."
    )
    force_ipv4: bool = Field(default=False, description="Connect to upstreams over IPv4 only.")
    modify_params: bool = Field(
        default=False, description="Let families repair requests the model would reject (e.g. empty turns)."
    )
    enable_json_schema_validation: bool = Field(
        default=False, description="Validate JSON answers against the requested response schema."
    )


class ApiKey(ConfigModel):
    """A named key for the proxy, limited to some model groups."""

    name: str = Field(min_length=1, description="Name shown in logs and metrics (never the key itself).")
    key: str = Field(min_length=1, description="The secret clients send as Bearer token (use os.environ/NAME).")
    models: list[str] | None = Field(
        default=None, description="Model groups (or aliases) this key may use; absent: all groups."
    )
    rpm: PosInt | None = Field(default=None, description="Requests per minute allowed for this key.")
    tpm: PosInt | None = Field(default=None, description="Tokens per minute allowed for this key.")


class GeneralSettings(ConfigModel):
    """Proxy server settings."""

    master_key: str | None = Field(
        default=None, description="Admin key with access to every model group (use os.environ/NAME)."
    )
    keys: list[ApiKey] | None = Field(default=None, description="Named API keys with per-key model lists and rates.")
    max_request_size_mb: PosFloat | None = Field(default=None, description="Largest accepted request body in MB.")


class VertexAccount(ConfigModel):
    """Project, location and credentials for calls outside model_list (pass-through, files, fine-tuning)."""

    custom_llm_provider: Literal["vertex_ai"] | None = Field(
        default=None, description="Provider (only 'vertex_ai' is served)."
    )
    vertex_project: str | None = Field(default=None, description="GCP project id.")
    vertex_location: str | None = Field(default=None, description="Vertex location.")
    vertex_credentials: Credentials | None = Field(
        default=None, description="Credentials: a JSON file path, a JSON string, a mapping, or os.environ/NAME."
    )
    gcs_bucket_name: str | None = Field(
        default=None, description="Cloud Storage bucket (optionally bucket/prefix) for files and batches."
    )
    api_base: str | None = Field(
        default=None,
        description="Send these calls to this base URL instead of Google's (a private endpoint, the emulator).",
    )


class ConfigFile(ConfigModel):
    """A vertex-router config file (LiteLLM vocabulary)."""

    model_list: list[ModelEntry] = Field(
        default_factory=list,
        description="Deployments; entries sharing model_name form a model group (may be empty for a "
        "pass-through-only proxy with default_vertex_config).",
    )
    litellm_settings: LiteLLMSettings = Field(default_factory=LiteLLMSettings, description="Process-wide defaults.")
    router_settings: RouterSettings = Field(default_factory=RouterSettings, description="Routing engine settings.")
    general_settings: GeneralSettings = Field(default_factory=GeneralSettings, description="Proxy server settings.")
    environment_variables: dict[str, str | int | float | bool] | None = Field(
        default=None, description="Defaults for environment variables (the process environment wins)."
    )
    default_vertex_config: VertexAccount | None = Field(
        default=None, description="Project, location and credentials of the /vertex-ai pass-through."
    )
    finetune_settings: list[VertexAccount] | None = Field(default=None, description="Accounts for fine-tuning jobs.")
    files_settings: list[VertexAccount] | None = Field(default=None, description="Accounts for files and batches.")


_ENV_REF = {"type": "string", "pattern": "^os\\.environ/[A-Za-z_][A-Za-z0-9_]*$"}


class _EnvRefSchema(GenerateJsonSchema):
    """Numbers and booleans may also be written as ``os.environ/NAME`` (converted at load), so editors must
    not flag those; strings already accept it."""

    def int_schema(self, schema: core_schema.IntSchema) -> JsonSchemaValue:
        return {"anyOf": [super().int_schema(schema), _ENV_REF]}

    def float_schema(self, schema: core_schema.FloatSchema) -> JsonSchemaValue:
        return {"anyOf": [super().float_schema(schema), _ENV_REF]}

    def bool_schema(self, schema: core_schema.BoolSchema) -> JsonSchemaValue:
        return {"anyOf": [super().bool_schema(schema), _ENV_REF]}


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of a config file (what ``vertex-router schema`` prints)."""
    schema = ConfigFile.model_json_schema(schema_generator=_EnvRefSchema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
