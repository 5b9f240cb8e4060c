"""Which project, location, credentials and bucket the files, batch and tuning calls use.

Precedence, first hit wins:
- per call: ``vertex_project``, ``vertex_location``, ``vertex_credentials``, ``gcs_bucket_name`` / ``bucket_name``,
  ``api_base`` (Vertex) and ``storage_api_base`` (Cloud Storage) keyword arguments;
- files and batches: ``files_settings[0]``, then ``default_vertex_config``; tuning: ``finetune_settings[0]``, then
  ``files_settings[0]``, then ``default_vertex_config``;
- the environment (process over the config's ``environment_variables``): ``VERTEXAI_PROJECT`` /
  ``VERTEXAI_LOCATION`` / ``GOOGLE_APPLICATION_CREDENTIALS``; the bucket from ``GCS_BATCH_BUCKET_NAME`` then
  ``GCS_BUCKET_NAME``; Cloud Storage credentials from ``GCS_PATH_SERVICE_ACCOUNT``; ``VERTEXAI_API_BASE`` and
  ``STORAGE_EMULATOR_HOST`` (the name Google's own storage clients read) point both APIs elsewhere (an emulator).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from router.config import Config
from router.config.vertex_env import VertexEnv
from router.errors import ConfigError, ConfigProblem
from router.jobs.gcs import BucketSetting, storage_base

DEFAULT_LOCATION = "us-central1"


@dataclass(frozen=True, slots=True)
class JobsAccount:
    project: str
    location: str
    credentials: Any
    storage_credentials: Any
    bucket: BucketSetting | None
    vertex_base: str | None
    storage_base: str
    setting: str  # the config key the account came from, named in errors

    def require_bucket(self, config: Config) -> BucketSetting:
        if self.bucket is None:
            raise _config_error(
                config,
                f"{self.setting}.gcs_bucket_name",
                "no Cloud Storage bucket for files and batches: set gcs_bucket_name in files_settings "
                "(or export GCS_BUCKET_NAME)",
            )
        return self.bucket


def environment(config: Config) -> dict[str, str]:
    return {**config.environment_variables, **os.environ}


def files_account(config: Config, kwargs: Mapping[str, Any]) -> JobsAccount:
    return _account(config, kwargs, ("files_settings",))


def tuning_account(config: Config, kwargs: Mapping[str, Any]) -> JobsAccount:
    return _account(config, kwargs, ("finetune_settings", "files_settings"))


def _account(config: Config, kwargs: Mapping[str, Any], sections: tuple[str, ...]) -> JobsAccount:
    env = environment(config)
    vertex_env = VertexEnv.from_environ(env)
    setting, target = _configured(config, sections)
    project = kwargs.get("vertex_project") or (target.project if target else None) or vertex_env.project
    location = kwargs.get("vertex_location") or (target.location if target else None) or vertex_env.location
    if not project:
        raise _config_error(
            config,
            sections[0],
            f"no Vertex project for {sections[0]}: add a {sections[0]} entry with vertex_project, "
            "or export VERTEXAI_PROJECT",
        )
    credentials = kwargs.get("vertex_credentials") or (target.credentials if target else vertex_env.credentials)
    bucket_value = (
        kwargs.get("gcs_bucket_name")
        or kwargs.get("bucket_name")
        or (target.gcs_bucket_name if target else None)
        or env.get("GCS_BATCH_BUCKET_NAME")
        or env.get("GCS_BUCKET_NAME")
    )
    bucket = BucketSetting.parse(bucket_value, setting=f"{setting}.gcs_bucket_name") if bucket_value else None
    storage_credentials = credentials if target or kwargs.get("vertex_credentials") else None
    storage_credentials = storage_credentials or env.get("GCS_PATH_SERVICE_ACCOUNT") or credentials
    return JobsAccount(
        project=str(project),
        location=str(location or DEFAULT_LOCATION),
        credentials=credentials,
        storage_credentials=storage_credentials,
        bucket=bucket,
        vertex_base=kwargs.get("api_base") or getattr(target, "api_base", None) or env.get("VERTEXAI_API_BASE"),
        storage_base=storage_base(kwargs.get("storage_api_base") or _emulator_host(env)),
        setting=setting,
    )


def _configured(config: Config, sections: tuple[str, ...]) -> tuple[str, Any]:
    for section in sections:
        entries = getattr(config, section)
        if entries:
            return f"{section}[0]", entries[0]
    if config.default_vertex_config is not None:
        return "default_vertex_config", config.default_vertex_config
    return sections[0], None


def _emulator_host(env: Mapping[str, str]) -> str | None:
    host = env.get("STORAGE_EMULATOR_HOST")
    if not host:
        return None
    return host if "://" in host else f"http://{host}"


def _config_error(config: Config, key_path: str, message: str) -> ConfigError:
    return ConfigError([ConfigProblem(config.source or "<config>", 0, 0, key_path, message)])
