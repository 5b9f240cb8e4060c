"""The strict base every config model derives from, and value types shared by several sections."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

NonNegInt = Annotated[int, Field(ge=0)]
PosInt = Annotated[int, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
PosFloat = Annotated[float, Field(gt=0)]

# One {group: [targets]} entry per list item, exactly as LiteLLM writes fallbacks.
FallbackList = list[dict[str, list[str]]]

StreamRescue = Literal["off", "prefill", "replay"]

HarmCategory = Literal[
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_CIVIC_INTEGRITY",
    "HARM_CATEGORY_UNSPECIFIED",
]
HarmThreshold = Literal[
    "BLOCK_NONE",
    "BLOCK_ONLY_HIGH",
    "BLOCK_MEDIUM_AND_ABOVE",
    "BLOCK_LOW_AND_ABOVE",
    "HARM_BLOCK_THRESHOLD_UNSPECIFIED",
    "OFF",
]


class ConfigModel(BaseModel):
    """Strict: unknown keys are errors, and a quoted ``"3"`` is not an integer.

    Values that came from ``os.environ/NAME`` are strings by nature; the loader converts those before
    validation, so strictness only ever judges what the user typed into the YAML.
    """

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=False, populate_by_name=False)


class SafetySetting(ConfigModel):
    """One Gemini safety setting (Vertex ``SafetySetting``)."""

    category: HarmCategory = Field(description="Harm category this setting applies to.")
    threshold: HarmThreshold = Field(description="Blocking threshold for the category.")
    method: Literal["SEVERITY", "PROBABILITY", "HARM_BLOCK_METHOD_UNSPECIFIED"] | None = Field(
        default=None, description="Whether the threshold applies to probability or severity scores."
    )


class ThinkingConfig(ConfigModel):
    """Extended thinking, in the OpenAI-extension shape LiteLLM uses (``{type, budget_tokens}``)."""

    type: Literal["enabled", "disabled"] = Field(description="Turn extended thinking on or off.")
    budget_tokens: NonNegInt | None = Field(default=None, description="Token budget for thinking.")


def dump_plain(value: Any) -> Any:
    """A model (or list of models) as plain JSON-ready data, without unset optional fields."""
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=True)
    if isinstance(value, list):
        return [dump_plain(v) for v in value]
    return value
