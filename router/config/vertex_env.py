"""Vertex defaults from the environment (the third level of the precedence; README "Precedence").

The environment here is the process environment over the file's ``environment_variables`` (see
``env_refs``); it is passed in as a mapping so loading never depends on hidden global state. Within one
setting, the variables are tried in the order the ``AliasChoices`` list them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class VertexEnv(BaseSettings):
    """Defaults for project, location and credentials, read from environment variable names."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True)

    project: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "VERTEXAI_PROJECT", "VERTEX_PROJECT", "VERTEX_AI_PROJECT", "GOOGLE_CLOUD_PROJECT"
        ),
        description="Project for deployments that name none.",
    )
    location: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VERTEXAI_LOCATION", "VERTEX_LOCATION", "VERTEX_AI_LOCATION"),
        description="Location for deployments that name none.",
    )
    credentials: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VERTEXAI_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"),
        description="Credentials file (or JSON) for deployments that name none.",
    )
    gcs_bucket_name: str | None = Field(
        default=None, validation_alias="GCS_BUCKET_NAME", description="Bucket for files and batches."
    )
    default_project: str | None = Field(
        default=None, validation_alias="DEFAULT_VERTEXAI_PROJECT", description="default_vertex_config project."
    )
    default_location: str | None = Field(
        default=None, validation_alias="DEFAULT_VERTEXAI_LOCATION", description="default_vertex_config location."
    )
    default_credentials: str | None = Field(
        default=None,
        validation_alias="DEFAULT_GOOGLE_APPLICATION_CREDENTIALS",
        description="default_vertex_config credentials.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only the mapping given to from_environ: the loader has already merged process env and file defaults.
        return (init_settings,)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> VertexEnv:
        names = {name for f in cls.model_fields.values() for name in _alias_names(f.validation_alias)}
        values: dict[str, Any] = {k: v for k, v in environ.items() if k in names and v.strip()}
        return cls(**values)


def _alias_names(alias: Any) -> list[str]:
    if isinstance(alias, str):
        return [alias]
    if isinstance(alias, AliasChoices):
        return [c for c in alias.choices if isinstance(c, str)]
    return []
