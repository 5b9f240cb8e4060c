"""The config reference as Markdown tables, generated from the models (``vertex-router schema --format markdown``).

The README's reference section is this output; a test fails when they drift, so the docs cannot lie.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from router.config.base import SafetySetting, ThinkingConfig
from router.config.deployment_models import LiteLLMParams, ModelEntry, ModelInfo
from router.config.router_models import (
    AliasTarget,
    AllowedFailsPolicy,
    RetryPolicy,
    RouterSettings,
    RoutingStrategyArgs,
)
from router.config.settings_models import ApiKey, ConfigFile, GeneralSettings, LiteLLMSettings, VertexAccount

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Top level", ConfigFile),
    ("`model_list[]`", ModelEntry),
    ("`model_list[].litellm_params`", LiteLLMParams),
    ("`model_list[].model_info`", ModelInfo),
    ("`litellm_settings`", LiteLLMSettings),
    ("`router_settings`", RouterSettings),
    ("`router_settings.routing_strategy_args`", RoutingStrategyArgs),
    ("`router_settings.retry_policy` (also `model_group_retry_policy.<group>`)", RetryPolicy),
    ("`router_settings.allowed_fails_policy` (also `model_info.allowed_fails_policy`)", AllowedFailsPolicy),
    ("`router_settings.model_group_alias.<alias>` (long form)", AliasTarget),
    ("`general_settings`", GeneralSettings),
    ("`general_settings.keys[]`", ApiKey),
    ("`default_vertex_config`, `finetune_settings[]`, `files_settings[]`", VertexAccount),
    ("`safety_settings[]`, `vertex_ai_safety_settings[]`", SafetySetting),
    ("`thinking`", ThinkingConfig),
]

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Annotated:
        return type_name(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return " \\| ".join(type_name(a) for a in get_args(annotation) if a is not type(None))
    if origin is Literal:
        return " \\| ".join(f"`{v}`" for v in get_args(annotation))
    if origin is list:
        return f"list of {type_name(get_args(annotation)[0])}"
    if origin is dict:
        return f"mapping to {type_name(get_args(annotation)[1])}"
    if annotation is Any:
        return "any"
    if isinstance(annotation, type):
        return _SCALARS.get(annotation, "mapping")
    return str(annotation)


def _default(field: Any) -> str:
    if field.default_factory is not None:
        return "`[]`" if field.default_factory is list else ""
    if field.default is PydanticUndefined:
        return "required"
    if field.default is None:
        return ""
    if isinstance(field.default, bool):
        return f"`{str(field.default).lower()}`"
    return f"`{field.default}`"


def markdown_reference() -> str:
    out: list[str] = []
    for title, model in SECTIONS:
        out += [f"#### {title}", "", "| key | type | default | meaning |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            out.append(f"| `{name}` | {type_name(field.annotation)} | {_default(field)} | {field.description} |")
        out.append("")
    return "\n".join(out)
