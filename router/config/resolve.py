"""Validated models → resolved deployments and accounts.

Precedence, first match wins (README "Precedence"):

- project:     deployment ``vertex_project`` → ``litellm_settings.vertex_project`` → VERTEXAI_PROJECT /
               VERTEX_PROJECT / GOOGLE_CLOUD_PROJECT → the credential's own ``project_id`` (service account)
               or ``quota_project_id`` (authorized user);
- location:    deployment ``vertex_location`` → ``litellm_settings.vertex_location`` → VERTEXAI_LOCATION /
               VERTEX_LOCATION → ``us-central1``;
- credentials: deployment ``vertex_credentials`` → VERTEXAI_CREDENTIALS / GOOGLE_APPLICATION_CREDENTIALS →
               Application Default Credentials (None).
"""

from __future__ import annotations

import hashlib
from typing import Any

from router.config.base import dump_plain
from router.config.credentials import CredentialFacts, CredentialInspector
from router.config.deployment_models import ModelEntry
from router.config.loaded import Deployment, VertexTarget
from router.config.locations import DEFAULT_LOCATION, check_location
from router.config.model_string import ModelStringError, parse_deployment_model
from router.config.settings_models import ConfigFile, VertexAccount
from router.config.source import Path, Source
from router.config.vertex_env import VertexEnv
from router.errors import ConfigProblem

_ENV_LABEL = "VERTEXAI_CREDENTIALS / GOOGLE_APPLICATION_CREDENTIALS"


class Resolver:
    """Resolves every deployment and account of one validated file; problems are collected, not raised."""

    def __init__(self, source: Source, file: ConfigFile, env: VertexEnv, inspector: CredentialInspector) -> None:
        self.source = source
        self.file = file
        self.env = env
        self.inspector = inspector
        self.problems: list[ConfigProblem] = []
        self._checked_locations: set[Path] = set()

    def deployments(self) -> list[Deployment]:
        out = []
        for index, entry in enumerate(self.file.model_list):
            deployment = self._deployment(index, entry)
            if deployment is not None:
                out.append(deployment)
        return out

    def _deployment(self, index: int, entry: ModelEntry) -> Deployment | None:
        base: Path = ("model_list", index)
        params, info = entry.litellm_params, entry.model_info
        try:
            parsed = parse_deployment_model(
                params.model, base_model=info.base_model or params.base_model, mode=info.mode
            )
        except ModelStringError as exc:
            self._error((*base, "litellm_params", "model"), str(exc))
            parsed = None
        creds_path = self._written(base, "credentials")
        facts = self._credentials(params.vertex_credentials, creds_path)
        project = self._project(params.vertex_project, facts, base)
        location = self._location(params.vertex_location, self._written(base, "location"))
        if parsed is None or facts is None or project is None or location is None:
            return None
        return Deployment(
            model_name=entry.model_name,
            litellm_params=params,
            model_info=info,
            parsed=parsed,
            id=info.id or deployment_hash(entry.model_name, params.model, project, location, params.api_base),
            project=project,
            location=location,
            credentials=facts.value,
            call_defaults=self._call_defaults(entry, parsed.family),
            drop_params=params.drop_params
            if params.drop_params is not None
            else self.file.litellm_settings.drop_params,
            position=self.source.value_pos(base),
            index=index,
        )

    def accounts(self, section: str, accounts: list[VertexAccount]) -> list[VertexTarget]:
        out = []
        for index, account in enumerate(accounts):
            target = self.account((section, index), account)
            if target is not None:
                out.append(target)
        return out

    def account(self, path: Path, account: VertexAccount, *, default_env: bool = False) -> VertexTarget | None:
        """default_vertex_config also reads the DEFAULT_* variables before the general ones."""
        raw_creds = account.vertex_credentials
        project, location = account.vertex_project, account.vertex_location
        if default_env:
            raw_creds = raw_creds or self.env.default_credentials
            project = project or self.env.default_project
            location = location or self.env.default_location
        facts = self._credentials(raw_creds, (*path, "vertex_credentials"))
        project = self._project(project, facts, path)
        location = self._location(location, (*path, "vertex_location"))
        if facts is None or project is None or location is None:
            return None
        bucket = account.gcs_bucket_name or self.env.gcs_bucket_name
        return VertexTarget(project, location, facts.value, bucket, self.source.value_pos(path), account.api_base)

    def _written(self, base: Path, what: str) -> Path:
        """The path of the key the user actually wrote (LiteLLM spelling or ours)."""
        params = (*base, "litellm_params")
        for key in (f"vertex_{what}", f"vertex_ai_{what}"):
            if (*params, key) in self.source.keys:
                return (*params, key)
        return (*params, f"vertex_{what}")

    def _credentials(self, raw: str | dict[str, Any] | None, path: Path) -> CredentialFacts | None:
        if raw is not None:
            return self.inspector.inspect(raw, path)
        if self.env.credentials:
            return self.inspector.inspect(self.env.credentials, path[:-1], label=f"{_ENV_LABEL}:")
        return CredentialFacts(None)

    def _project(self, own: str | None, facts: CredentialFacts | None, base: Path) -> str | None:
        project = own or self.file.litellm_settings.vertex_project or self.env.project
        if project is None and facts is not None:
            project = facts.project_id
        if project is None and facts is not None and facts.value is None:
            # Application Default Credentials (a metadata server on Cloud Run / GKE / GCE) name their project
            # only when asked; the Router asks once at start-up.
            self._warning(
                base,
                "no Vertex project configured: it will be taken from Application Default Credentials at "
                "start-up (set vertex_project or VERTEXAI_PROJECT to be explicit)",
            )
            return ""
        if project is None and facts is not None:
            self._error(
                base,
                "no Vertex project: set vertex_project here or in litellm_settings, export VERTEXAI_PROJECT, "
                "or use credentials that name their project",
            )
        return project

    def _location(self, own: str | None, own_path: Path) -> str | None:
        candidates: list[tuple[str | None, Path, str]] = [
            (own, own_path, ""),
            (self.file.litellm_settings.vertex_location, ("litellm_settings", "vertex_location"), ""),
            (self.env.location, own_path[:-1], " (from VERTEXAI_LOCATION / VERTEX_LOCATION)"),
        ]
        for value, path, origin in candidates:
            if value:
                return value if self._location_ok(value, path, origin) else None
        return DEFAULT_LOCATION

    def _location_ok(self, value: str, path: Path, origin: str) -> bool:
        verdict = check_location(value)
        if verdict is None:
            return True
        severity, message = verdict
        key = path if not origin else ("<env>",)
        if key not in self._checked_locations:
            self._checked_locations.add(key)
            self.problems.append(self.source.problem(path, message + origin, severity=severity))
        return severity != "error"

    def _call_defaults(self, entry: ModelEntry, family: str) -> dict[str, Any]:
        defaults = {k: dump_plain(v) for k, v in entry.litellm_params.call_defaults().items()}
        shared = self.file.litellm_settings.vertex_ai_safety_settings
        if family == "gemini" and shared is not None and "safety_settings" not in defaults:
            defaults["safety_settings"] = dump_plain(shared)
        return defaults

    def _error(self, path: Path, message: str) -> None:
        self.problems.append(self.source.problem(path, message))

    def _warning(self, path: Path, message: str) -> None:
        self.problems.append(self.source.problem(path, message, severity="warning"))


def deployment_hash(model_name: str, model: str, project: str, location: str, api_base: str | None) -> str:
    """A stable id from the deployment's identity only, so every process agrees and an unrelated edit (a
    weight, a timeout) keeps the deployment's cooldown and usage state."""
    identity = "\x1f".join((model_name, model, project, location, api_base or ""))
    return hashlib.sha256(identity.encode()).hexdigest()[:16]
