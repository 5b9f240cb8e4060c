"""Cross-reference checks: names that must exist, fallbacks without cycles, no deployment twice."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from router.config.base import FallbackList
from router.config.deployment_models import LiteLLMParams, ModelEntry
from router.config.loaded import Deployment
from router.config.router_models import RouterSettings
from router.config.settings_models import ConfigFile, GeneralSettings, LiteLLMSettings
from router.config.source import Path, Source
from router.errors import ConfigProblem

_FALLBACK_KINDS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")


class Checker:
    """``partial``: the file did not validate as a whole; check only names, from the sections that did."""

    def __init__(
        self, source: Source, file: ConfigFile, deployments: list[Deployment], *, partial: bool = False
    ) -> None:
        self.source = source
        self.file = file
        self.deployments = deployments
        self.partial = partial
        self.groups = list(dict.fromkeys(e.model_name for e in file.model_list))
        self.aliases = dict(self._alias_targets())
        self.problems: list[ConfigProblem] = []

    def run(self) -> list[ConfigProblem]:
        if not self.file.model_list and not self.partial and self.file.default_vertex_config is None:
            self._error(
                ("model_list",),
                "model_list is empty and there is no default_vertex_config; the router would have nothing to serve",
            )
        self._check_aliases()
        for section in ("router_settings", "litellm_settings"):
            for kind in _FALLBACK_KINDS:
                entries = getattr(getattr(self.file, section), kind)
                if entries:
                    self._check_fallbacks(section, kind, entries)
            defaults = getattr(self.file, section).default_fallbacks or []
            for index, name in enumerate(defaults):
                self._check_name((section, "default_fallbacks", index), name, "default fallback")
        self._check_retry_policies()
        self._check_keys()
        if not self.partial:
            self._check_duplicates()
            self._check_orders()
        return self.problems

    # names ---------------------------------------------------------------------------------------------

    def _alias_targets(self) -> Iterator[tuple[str, str]]:
        for alias, target in (self.file.router_settings.model_group_alias or {}).items():
            yield alias, target if isinstance(target, str) else target.model

    def _check_name(self, path: Path, name: str, what: str, *, at_key: bool = False) -> bool:
        if name in self.groups or name in self.aliases:
            return True
        known = self.groups + list(self.aliases)
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; model groups are: {', '.join(self.groups)}"
        self._error(path, f"{what} {name!r} is not a model group{hint}", at_key=at_key)
        return False

    def _check_aliases(self) -> None:
        raw = self.file.router_settings.model_group_alias or {}
        for alias, target in self.aliases.items():
            path: Path = ("router_settings", "model_group_alias", alias)
            if alias in self.groups:
                self._error(
                    path, f"alias {alias!r} has the same name as a model group; one would hide the other", at_key=True
                )
                continue
            if target not in self.groups:
                value_path = path if isinstance(raw[alias], str) else (*path, "model")
                self._check_name(value_path, target, "alias target")

    def _check_retry_policies(self) -> None:
        for group in self.file.router_settings.model_group_retry_policy or {}:
            path: Path = ("router_settings", "model_group_retry_policy", group)
            self._check_name(path, group, "retry policy group", at_key=True)

    # fallbacks -----------------------------------------------------------------------------------------

    def _check_fallbacks(self, section: str, kind: str, entries: FallbackList) -> None:
        edges: dict[str, list[str]] = {}
        first_at: dict[str, Path] = {}
        for index, entry in enumerate(entries):
            for source_group, targets in entry.items():
                path: Path = (section, kind, index, source_group)
                if source_group != "*" and not self._check_name(path, source_group, "fallback source", at_key=True):
                    continue
                if source_group in first_at:
                    self._error(
                        path, f"{source_group!r} already has {kind} (entry {first_at[source_group][2]})", at_key=True
                    )
                    continue
                first_at[source_group] = path
                edges[source_group] = []
                for pos, target in enumerate(targets):
                    if self._check_name((*path, pos), target, "fallback target"):
                        edges[source_group].append(self.aliases.get(target, target))
        self._check_cycles(kind, edges, first_at)

    def _check_cycles(self, kind: str, edges: dict[str, list[str]], first_at: dict[str, Path]) -> None:
        reported: set[frozenset[str]] = set()
        for start in edges:
            cycle = _find_cycle(start, edges)
            if cycle and frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                message = f"{kind} form a cycle: {' → '.join([*cycle, cycle[0]])}"
                self._error(first_at[start], message, at_key=True)

    # keys, duplicates, order -----------------------------------------------------------------------------

    def _check_keys(self) -> None:
        settings = self.file.general_settings
        seen_names: dict[str, int] = {}
        seen_keys: dict[str, int] = {}
        for index, key in enumerate(settings.keys or []):
            base: Path = ("general_settings", "keys", index)
            if key.name in seen_names:
                self._error((*base, "name"), f"key name {key.name!r} repeated (first in keys[{seen_names[key.name]}])")
            seen_names.setdefault(key.name, index)
            if key.key in seen_keys or key.key == settings.master_key:
                self._error((*base, "key"), "this key's secret is used twice (another key or the master_key)")
            seen_keys.setdefault(key.key, index)
            for pos, model in enumerate(key.models or []):
                self._check_name((*base, "models", pos), model, "model group")

    def _check_duplicates(self) -> None:
        seen: dict[str, Deployment] = {}
        for deployment in self.deployments:
            first = seen.get(deployment.id)
            if first is None:
                seen[deployment.id] = deployment
                continue
            line = first.position[0]
            if deployment.model_info.id:
                path: Path = ("model_list", deployment.index, "model_info", "id")
                self._error(
                    path, f"model_info.id {deployment.id!r} repeated (first at model_list[{first.index}], line {line})"
                )
            else:
                self._error(
                    ("model_list", deployment.index),
                    f"duplicate deployment: same model_name, model, project, location and api_base as "
                    f"model_list[{first.index}] (line {line}); use weight instead, or give each a model_info.id",
                )

    def _check_orders(self) -> None:
        for index, entry in enumerate(self.file.model_list):
            own, info = entry.litellm_params.order, entry.model_info.order
            if own is not None and info is not None and own != info:
                self._error(("model_list", index, "model_info", "order"), f"differs from litellm_params.order ({own})")

    def _error(self, path: Path, message: str, *, at_key: bool = False) -> None:
        self.problems.append(self.source.problem(path, message, at_key=at_key))


def _find_cycle(start: str, edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle through ``start`` (depth-first), as the list of groups on it."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, trail = stack.pop()
        for nxt in edges.get(node, []):
            if nxt == start:
                return trail
            if nxt not in trail:
                stack.append((nxt, [*trail, nxt]))
    return None


def partial_file(data: Any) -> ConfigFile | None:
    """What can be checked for names when the file as a whole is invalid: the group names written in
    model_list and each settings section that is valid on its own (invalid ones were reported already)."""
    if not isinstance(data, dict) or not isinstance(data.get("model_list"), list):
        return None
    names = [
        e["model_name"] for e in data["model_list"] if isinstance(e, dict) and isinstance(e.get("model_name"), str)
    ]
    if not names:
        return None
    entries = [
        ModelEntry.model_construct(model_name=n, litellm_params=LiteLLMParams.model_construct(model="")) for n in names
    ]
    sections: dict[str, Any] = {"model_list": entries}
    for key, model in (
        ("router_settings", RouterSettings),
        ("litellm_settings", LiteLLMSettings),
        ("general_settings", GeneralSettings),
    ):
        sections[key] = _valid_or_default(model, data.get(key))
    return ConfigFile.model_construct(**sections)


def _valid_or_default(model: type[BaseModel], raw: Any) -> Any:
    """The section without its invalid keys (those were reported already), so the rest can still be checked."""
    data = dict(raw) if isinstance(raw, dict) else {}
    for _ in range(3):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            bad = {e["loc"][0] for e in exc.errors() if e["loc"]}
            if not bad:
                break
            for key in bad:
                data.pop(key, None)
    return model()
