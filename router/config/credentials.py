"""Checks of ``vertex_credentials`` at load time: a file path, a JSON string, or a mapping.

Only the shape is checked here (readable, JSON, a known ``type``, the fields that type needs); exchanging
credentials for tokens is ``router.auth``'s job. Messages name the file, never its contents.
"""

from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass
from typing import Any

import orjson

from router.config.source import Path, Source
from router.errors import ConfigProblem

KNOWN_TYPES = {
    "service_account": ("client_email", "private_key"),
    "authorized_user": ("client_id", "client_secret", "refresh_token"),
    "external_account": ("audience", "subject_token_type"),
}


@dataclass(frozen=True, slots=True)
class CredentialFacts:
    """``value`` is what the auth layer gets: an absolute file path, a parsed mapping, or None for ADC."""

    value: str | dict[str, Any] | None
    project_id: str | None = None


class CredentialInspector:
    """Inspects credentials of one config; each file is read once however many deployments share it."""

    def __init__(self, source: Source, base_dir: pathlib.Path) -> None:
        self.source = source
        self.base_dir = base_dir
        self.problems: list[ConfigProblem] = []
        self._files: dict[str, CredentialFacts | None] = {}

    def inspect(self, raw: str | dict[str, Any] | None, path: Path, *, label: str = "") -> CredentialFacts | None:
        """Facts about ``raw`` (written at ``path``); None when it is unusable (a problem was recorded)."""
        if raw is None:
            return CredentialFacts(None)
        if isinstance(raw, dict):
            return self._mapping(raw, path, "the credentials mapping")
        if raw.lstrip().startswith("{"):
            return self._json_text(raw, path)
        return self._file(raw, path, label)

    def _json_text(self, raw: str, path: Path) -> CredentialFacts | None:
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            self._error(path, f"the credentials JSON string is not valid JSON ({exc})")
            return None
        if not isinstance(parsed, dict):
            self._error(path, "the credentials JSON string must be an object")
            return None
        return self._mapping(parsed, path, "the credentials JSON string")

    def _file(self, raw: str, path: Path, label: str) -> CredentialFacts | None:
        file = pathlib.Path(os.path.expanduser(raw.strip()))
        if not file.is_absolute():
            file = pathlib.Path(os.path.normpath(self.base_dir / file))
        key = str(file)
        if key not in self._files:
            self._files[key] = self._read_file(file, path, label)
        return self._files[key]

    def _read_file(self, file: pathlib.Path, path: Path, label: str) -> CredentialFacts | None:
        where = f"{label} " if label else ""
        if not file.exists():
            self.problems.append(
                self.source.problem(
                    path,
                    f"{where}credentials file {file} does not exist (an error with --strict)",
                    severity="warning",
                )
            )
            return CredentialFacts(str(file))
        try:
            text = file.read_bytes()
        except OSError as exc:
            self._error(path, f"{where}credentials file {file} cannot be read: {exc.strerror or exc}")
            return None
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            self._error(path, f"{where}credentials file {file} is not valid JSON ({exc})")
            return None
        if not isinstance(parsed, dict):
            self._error(path, f"{where}credentials file {file} must hold a JSON object")
            return None
        facts = self._mapping(parsed, path, f"{where}credentials file {file}")
        return CredentialFacts(str(file), facts.project_id) if facts else None

    def _mapping(self, data: dict[str, Any], path: Path, what: str) -> CredentialFacts | None:
        kind = data.get("type")
        if kind not in KNOWN_TYPES:
            known = ", ".join(KNOWN_TYPES)
            shown = f"type {kind!r}" if isinstance(kind, str) else "no 'type'"
            self._error(path, f"{what} has {shown}; expected one of {known}")
            return None
        missing = [name for name in KNOWN_TYPES[kind] if not isinstance(data.get(name), str) or not data[name]]
        if missing:
            self._error(path, f"{what} ({kind}) lacks {', '.join(repr(m) for m in missing)}")
            return None
        project = data.get("project_id") or data.get("quota_project_id")
        return CredentialFacts(data, project if isinstance(project, str) and project else None)

    def _error(self, path: Path, message: str) -> None:
        self.problems.append(self.source.problem(path, message))
