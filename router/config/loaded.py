"""The loaded config: what the router, the proxy and the CLI consume, with everything resolved."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from router.config.deployment_models import LiteLLMParams, ModelInfo
from router.config.model_string import ParsedModel
from router.config.router_models import AliasTarget, RouterSettings
from router.config.settings_models import GeneralSettings, LiteLLMSettings
from router.errors import ConfigProblem

Credentials = str | dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Deployment:
    """One ``model_list`` entry, resolved.

    ``project`` / ``location`` / ``credentials`` follow the precedence deployment → litellm_settings →
    environment → the credential's own project (README, "Precedence"). ``credentials`` is an absolute file
    path, a parsed mapping, or None for Application Default Credentials. ``call_defaults`` are request params
    applied under the caller's own.
    """

    model_name: str
    litellm_params: LiteLLMParams
    model_info: ModelInfo
    parsed: ParsedModel
    id: str
    project: str
    location: str
    credentials: Credentials
    call_defaults: Mapping[str, Any]
    drop_params: bool
    position: tuple[int, int]
    index: int

    @property
    def api_base(self) -> str | None:
        return self.litellm_params.api_base

    @property
    def order(self) -> int | None:
        return self.litellm_params.order or self.model_info.order


@dataclass(frozen=True, slots=True)
class VertexTarget:
    """Project, location and credentials of ``default_vertex_config`` or one files / fine-tuning account."""

    project: str
    location: str
    credentials: Credentials
    gcs_bucket_name: str | None = None
    position: tuple[int, int] = (0, 0)
    api_base: str | None = None


@dataclass(frozen=True)
class Config:
    """A loaded, valid config. ``router_settings`` already has litellm_settings' fallbacks, retries, allowed
    fails and request_timeout folded in where router_settings left them unset."""

    source: str
    model_list: list[Deployment]
    litellm_settings: LiteLLMSettings
    router_settings: RouterSettings
    general_settings: GeneralSettings
    environment_variables: dict[str, str] = field(default_factory=dict)
    default_vertex_config: VertexTarget | None = None
    finetune_settings: list[VertexTarget] = field(default_factory=list)
    files_settings: list[VertexTarget] = field(default_factory=list)
    warnings: list[ConfigProblem] = field(default_factory=list)

    def group_names(self) -> list[str]:
        """Model group names in the order they first appear."""
        return list(dict.fromkeys(d.model_name for d in self.model_list))

    def deployments(self, group: str) -> list[Deployment]:
        """Deployments of a group (or of the group an alias points at)."""
        name = self.resolve_group(group)
        return [d for d in self.model_list if d.model_name == name]

    @property
    def aliases(self) -> dict[str, AliasTarget]:
        raw = self.router_settings.model_group_alias or {}
        return {k: v if isinstance(v, AliasTarget) else AliasTarget(model=v) for k, v in raw.items()}

    def resolve_group(self, name: str) -> str | None:
        """The group a name means: itself when it is a group, the alias target, else None."""
        if any(d.model_name == name for d in self.model_list):
            return name
        alias = self.aliases.get(name)
        return alias.model if alias else None

    def env(self, name: str, environ: Mapping[str, str] | None = None) -> str | None:
        """An environment variable as this config sees it: the process environment, else the file's
        ``environment_variables`` default (the loader never writes os.environ)."""
        found = (os.environ if environ is None else environ).get(name)
        return found if found is not None else self.environment_variables.get(name)

    def regions(self) -> list[str]:
        return sorted({d.location for d in self.model_list})

    def summary(self) -> str:
        groups, count, regions = len(self.group_names()), len(self.model_list), self.regions()
        return (
            f"{groups} model group{'s' if groups != 1 else ''}, {count} deployment{'s' if count != 1 else ''}, "
            f"regions: {', '.join(regions)}"
        )
