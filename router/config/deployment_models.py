"""``model_list[]`` entries as written: ``model_name``, ``litellm_params``, ``model_info``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from router.config.base import (
    ConfigModel,
    NonNegFloat,
    NonNegInt,
    PosFloat,
    PosInt,
    SafetySetting,
    StreamRescue,
    ThinkingConfig,
)
from router.config.router_models import AllowedFailsPolicy

Credentials = str | dict[str, Any]

# litellm_params that say where and how to route; everything else typed below is a default call param.
ROUTING_PARAMS = frozenset(
    {
        "model",
        "vertex_project",
        "vertex_location",
        "vertex_credentials",
        "vertex_ai_project",
        "vertex_ai_location",
        "vertex_ai_credentials",
        "api_base",
        "rpm",
        "tpm",
        "weight",
        "order",
        "timeout",
        "stream_timeout",
        "first_token_timeout",
        "stream_chunk_timeout",
        "connect_timeout",
        "max_retries",
        "num_retries",
        "cooldown_time",
        "drop_params",
        "tags",
        "input_cost_per_token",
        "output_cost_per_token",
        "base_model",
        "region_name",
        "max_parallel_requests",
        "use_in_pass_through",
        "stream_rescue",
    }
)


class LiteLLMParams(ConfigModel):
    """Where one deployment lives, how the router treats it, and default params for every call to it."""

    # identity
    model: str = Field(description="Model string, e.g. 'vertex_ai/gemini-2.5-flash' (decides the model family).")
    vertex_project: str | None = Field(default=None, description="GCP project id of this deployment.")
    vertex_location: str | None = Field(
        default=None, description="Vertex location: a region such as 'us-central1', 'global', or 'us' / 'eu'."
    )
    vertex_credentials: Credentials | None = Field(
        default=None,
        description="Credentials: a JSON file path, a JSON string, a mapping, or os.environ/NAME. Absent: ADC.",
    )
    vertex_ai_project: str | None = Field(default=None, description="LiteLLM alias of vertex_project.")
    vertex_ai_location: str | None = Field(default=None, description="LiteLLM alias of vertex_location.")
    vertex_ai_credentials: Credentials | None = Field(default=None, description="LiteLLM alias of vertex_credentials.")
    api_base: str | None = Field(
        default=None, description="Override of the Vertex host (or full URL when it has a path), e.g. an emulator."
    )
    base_model: str | None = Field(default=None, description="The underlying model of a custom endpoint.")
    region_name: str | None = Field(default=None, description="Region label (informational; defaults to location).")
    # routing
    rpm: NonNegInt | None = Field(default=None, description="Requests per minute this deployment may take.")
    tpm: NonNegInt | None = Field(default=None, description="Tokens per minute this deployment may take.")
    weight: PosFloat | None = Field(default=None, description="Relative pick weight for simple-shuffle.")
    order: PosInt | None = Field(
        default=None, description="Priority tier: 1 is used first; higher tiers only while no lower one is healthy."
    )
    timeout: PosFloat | None = Field(default=None, description="Total seconds for one attempt on this deployment.")
    stream_timeout: PosFloat | None = Field(
        default=None, description="Seconds until the first streamed token (LiteLLM name; see first_token_timeout)."
    )
    first_token_timeout: PosFloat | None = Field(
        default=None, description="Seconds until the first token of a stream; wins over stream_timeout."
    )
    stream_chunk_timeout: PosFloat | None = Field(
        default=None, description="Longest allowed gap in seconds between two chunks of a stream."
    )
    connect_timeout: PosFloat | None = Field(default=None, description="Seconds to establish the connection.")
    max_retries: NonNegInt | None = Field(
        default=None, description="Accepted for LiteLLM compatibility; the router's own retry loop is the only one."
    )
    num_retries: NonNegInt | None = Field(default=None, description="Retries for requests to this deployment.")
    cooldown_time: NonNegFloat | None = Field(
        default=None, description="Seconds this deployment cools down after failing; 0 disables its cooldown."
    )
    drop_params: bool | None = Field(
        default=None, description="Drop request params the model cannot express instead of failing with 400."
    )
    tags: list[str] | None = Field(default=None, description="Free-form tags (reported in logs and /health).")
    input_cost_per_token: NonNegFloat | None = Field(default=None, description="USD per input token (cost routing).")
    output_cost_per_token: NonNegFloat | None = Field(default=None, description="USD per output token (cost routing).")
    max_parallel_requests: PosInt | None = Field(default=None, description="Concurrent requests cap.")
    use_in_pass_through: bool | None = Field(
        default=None, description="Allow these credentials for the /vertex-ai pass-through."
    )
    stream_rescue: StreamRescue | None = Field(
        default=None, description="Override of router_settings.stream_rescue for this deployment."
    )
    # default call params
    temperature: NonNegFloat | None = Field(default=None, description="Default sampling temperature.")
    top_p: NonNegFloat | None = Field(default=None, description="Default nucleus sampling probability.")
    top_k: NonNegInt | None = Field(default=None, description="Default top-k sampling.")
    max_tokens: PosInt | None = Field(default=None, description="Default maximum output tokens.")
    max_completion_tokens: PosInt | None = Field(default=None, description="Default maximum output tokens (new name).")
    n: PosInt | None = Field(default=None, description="Default number of candidates.")
    stop: str | list[str] | None = Field(default=None, description="Default stop sequences.")
    presence_penalty: float | None = Field(default=None, description="Default presence penalty.")
    frequency_penalty: float | None = Field(default=None, description="Default frequency penalty.")
    seed: int | None = Field(default=None, description="Default sampling seed.")
    response_format: dict[str, Any] | None = Field(default=None, description="Default response_format.")
    tools: list[dict[str, Any]] | None = Field(default=None, description="Default tools (OpenAI format).")
    tool_choice: str | dict[str, Any] | None = Field(default=None, description="Default tool_choice.")
    parallel_tool_calls: bool | None = Field(default=None, description="Default parallel_tool_calls.")
    thinking: ThinkingConfig | None = Field(default=None, description="Default extended-thinking setting.")
    reasoning_effort: Literal["none", "disable", "minimal", "low", "medium", "high"] | None = Field(
        default=None, description="Default reasoning effort (mapped to a thinking budget)."
    )
    safety_settings: list[SafetySetting] | None = Field(
        default=None, description="Gemini safety settings for this deployment (wins over vertex_ai_safety_settings)."
    )
    labels: dict[str, str] | None = Field(default=None, description="Vertex request labels (billing breakdown).")
    extra_headers: dict[str, str] | None = Field(default=None, description="Extra HTTP headers sent upstream.")
    modalities: list[str] | None = Field(default=None, description="Default output modalities.")
    audio: dict[str, Any] | None = Field(default=None, description="Default audio output options.")
    dimensions: PosInt | None = Field(default=None, description="Default embedding dimensions.")
    task_type: str | None = Field(default=None, description="Default embedding task type.")
    auto_truncate: bool | None = Field(default=None, description="Embeddings: truncate over-long input.")
    size: str | None = Field(default=None, description="Default image size, e.g. '1024x1024'.")
    voice: str | dict[str, Any] | None = Field(default=None, description="Default text-to-speech voice.")
    use_ssml: bool | None = Field(default=None, description="Text-to-speech: always send input as SSML.")

    @model_validator(mode="after")
    def _fold_aliases(self) -> LiteLLMParams:
        # LiteLLM accepts both spellings; one canonical field keeps consumers simple.
        for alias, canonical in (
            ("vertex_ai_project", "vertex_project"),
            ("vertex_ai_location", "vertex_location"),
            ("vertex_ai_credentials", "vertex_credentials"),
        ):
            value = getattr(self, alias)
            if value is None:
                continue
            if getattr(self, canonical) is not None:
                raise ValueError(f"both {canonical} and its alias {alias} are set; keep one")
            setattr(self, canonical, value)
            setattr(self, alias, None)
        return self

    def call_defaults(self) -> dict[str, Any]:
        """The request params this deployment applies by default (unset ones left out)."""
        return {
            name: getattr(self, name)
            for name in type(self).model_fields
            if name not in ROUTING_PARAMS and getattr(self, name) is not None
        }


class ModelInfo(ConfigModel):
    """Router and proxy metadata of one deployment."""

    id: str | None = Field(default=None, description="Stable deployment id; default: a hash of its identity.")
    mode: (
        Literal["chat", "completion", "embedding", "image_generation", "audio_speech", "audio_transcription", "rerank"]
        | None
    ) = Field(default=None, description="What the deployment serves (chooses the /health probe).")
    base_model: str | None = Field(default=None, description="Underlying model (custom endpoints, pricing).")
    max_tokens: PosInt | None = Field(default=None, description="Maximum output tokens (metadata).")
    max_input_tokens: PosInt | None = Field(default=None, description="Context window used by pre-call checks.")
    max_output_tokens: PosInt | None = Field(default=None, description="Maximum output tokens (metadata).")
    order: PosInt | None = Field(default=None, description="Same as litellm_params.order.")
    allowed_fails: NonNegInt | None = Field(
        default=None, description="Failures tolerated within the window before this deployment cools down."
    )
    allowed_fails_policy: AllowedFailsPolicy | None = Field(
        default=None, description="Allowed failures per error class for this deployment."
    )
    cooldown_time: NonNegFloat | None = Field(default=None, description="Cooldown seconds for this deployment.")
    input_cost_per_token: NonNegFloat | None = Field(default=None, description="USD per input token.")
    output_cost_per_token: NonNegFloat | None = Field(default=None, description="USD per output token.")
    supports_function_calling: bool | None = Field(default=None, description="Capability flag (informational).")
    supports_vision: bool | None = Field(default=None, description="Capability flag (informational).")
    supports_response_schema: bool | None = Field(default=None, description="Capability flag (informational).")
    supports_reasoning: bool | None = Field(default=None, description="Capability flag (informational).")
    description: str | None = Field(default=None, description="Free text shown in /models.")


class ModelEntry(ConfigModel):
    """One deployment of a model group."""

    model_name: str = Field(min_length=1, description="The model group name clients ask for.")
    litellm_params: LiteLLMParams = Field(description="Where the deployment lives and its defaults.")
    model_info: ModelInfo = Field(default_factory=ModelInfo, description="Deployment metadata.")
