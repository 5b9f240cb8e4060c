"""``os.environ/NAME`` references, resolved at load time wherever a string value is written.

Lookup order for a name: the process environment, then the file's ``environment_variables`` (which are
defaults: a deploy-time variable overrides what the file ships with). A reference to a variable set in
neither place is an error naming the key and the variable — never an empty string discovered at the first
request. The process environment is read, never written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from router.config.schema_walk import coerce_env_string
from router.config.settings_models import ConfigFile
from router.config.source import Path, Source
from router.errors import ConfigProblem

PREFIX = "os.environ/"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class EnvResolver:
    """Resolves references in one source against one environment."""

    def __init__(self, source: Source, environ: Mapping[str, str]) -> None:
        self.source = source
        self.environ = environ
        self.defaults: dict[str, str] = {}
        self.resolved: set[Path] = set()
        self.problems: list[ConfigProblem] = []

    def lookup(self, name: str) -> str | None:
        if name in self.environ:
            return self.environ[name]
        return self.defaults.get(name)

    def run(self) -> None:
        data = self.source.data
        if not isinstance(data, dict):
            return
        self._collect_defaults(data.get("environment_variables"))
        for key, value in data.items():
            if key != "environment_variables":
                data[key] = self._walk(value, (key,))

    def _collect_defaults(self, section: Any) -> None:
        if not isinstance(section, dict):
            return
        for name, value in section.items():
            path: Path = ("environment_variables", str(name))
            if isinstance(value, str) and value.startswith(PREFIX):
                # A default may itself point at another variable; only the process environment can answer.
                resolved = self._resolve(value, path, self.environ.get)
                if resolved is None:
                    continue
                section[name] = resolved
                value = resolved
            if isinstance(value, bool):
                self.defaults[str(name)] = "true" if value else "false"
            elif isinstance(value, str | int | float):
                self.defaults[str(name)] = str(value)

    def _walk(self, value: Any, path: Path) -> Any:
        if isinstance(value, dict):
            for key in list(value):
                value[key] = self._walk(value[key], (*path, str(key)))
            return value
        if isinstance(value, list):
            return [self._walk(item, (*path, index)) for index, item in enumerate(value)]
        if isinstance(value, str) and value.startswith(PREFIX):
            resolved = self._resolve(value, path, self.lookup)
            if resolved is None:
                return value
            self.resolved.add(path)
            return coerce_env_string(ConfigFile, path, resolved)
        return value

    def _resolve(self, value: str, path: Path, get: Any) -> str | None:
        name = value[len(PREFIX) :].strip()
        if not _NAME.match(name):
            self.problems.append(self.source.problem(path, f"{value!r} does not name an environment variable"))
            return None
        found: str | None = get(name)
        if found is None:
            self.problems.append(
                self.source.problem(
                    path,
                    f"environment variable {name} is not set (referenced as os.environ/{name}); "
                    "export it, or give it a default under environment_variables",
                )
            )
            return None
        return found
