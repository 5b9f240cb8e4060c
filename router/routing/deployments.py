"""Deployments, their stable ids, and the groups they form (``model_name``), with aliases and id lookup."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from router.errors import UnknownModelError


@dataclass(frozen=True, slots=True)
class DeploymentSpec:
    """One ``model_list`` entry as the engine sees it. Names mirror LiteLLM's keys.

    ``id`` is ``model_info.id`` when given; otherwise it is derived from the identity (model, project, location,
    api_base) so that every process computes the same id and an unrelated edit (rpm, weight, timeout) keeps the
    deployment's shared state. ``payload`` is opaque to the engine (the lead hangs its runtime objects there).
    """

    model_name: str
    model: str
    project: str | None = None
    location: str | None = None
    api_base: str | None = None
    id: str = ""
    rpm: int | None = None
    tpm: int | None = None
    weight: float | None = None
    order: int | None = None
    input_cost_per_token: float | None = None
    output_cost_per_token: float | None = None
    num_retries: int | None = None
    timeout: float | None = None
    stream_timeout: float | None = None
    first_token_timeout: float | None = None
    cooldown_time: float | None = None
    allowed_fails: int | None = None
    allowed_fails_policy: Mapping[str, int] = field(default_factory=dict)
    payload: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", deployment_id(self.model, self.project, self.location, self.api_base))

    def __hash__(self) -> int:
        # The policy mapping is not hashable; the id is what identifies a deployment anyway.
        return hash(self.id)


def deployment_id(model: str, project: str | None, location: str | None, api_base: str | None) -> str:
    """A short, deterministic id from what makes a deployment a different upstream (16 hex chars of SHA-256)."""
    identity = orjson.dumps([model, project or "", location or "", api_base or ""])
    return hashlib.sha256(identity).hexdigest()[:16]


class DeploymentTable:
    """Groups by ``model_name``, ``model_group_alias`` and lookup by deployment id. Immutable after build."""

    def __init__(self, deployments: Iterable[DeploymentSpec], aliases: Mapping[str, Any] | None = None) -> None:
        self._groups: dict[str, tuple[DeploymentSpec, ...]] = {}
        self._by_id: dict[str, DeploymentSpec] = {}
        grouped: dict[str, list[DeploymentSpec]] = {}
        for spec in _dedupe_ids(deployments):
            grouped.setdefault(spec.model_name, []).append(spec)
            self._by_id.setdefault(spec.id, spec)
        self._groups = {name: tuple(members) for name, members in grouped.items()}
        # LiteLLM accepts ``{alias: group}`` and ``{alias: {model: group, hidden: true}}``; hiding is the
        # caller's concern (model listings), routing only needs the target.
        self._aliases = {
            alias: str(target["model"]) if isinstance(target, Mapping) else str(target)
            for alias, target in (aliases or {}).items()
        }
        for alias, target in self._aliases.items():
            if target not in self._groups:
                raise ValueError(f"model_group_alias {alias!r} points at unknown group {target!r}")

    def group_names(self) -> list[str]:
        return list(self._groups)

    def group_name(self, model: str) -> str | None:
        """The group a name refers to (a group, or an alias of one); None for anything else."""
        if model in self._groups:
            return model
        target = self._aliases.get(model)
        return target if target in self._groups else None

    def members(self, group: str) -> tuple[DeploymentSpec, ...]:
        return self._groups.get(group, ())

    def by_id(self, deployment_id: str) -> DeploymentSpec | None:
        return self._by_id.get(deployment_id)

    def all(self) -> list[DeploymentSpec]:
        return list(self._by_id.values())

    def resolve(self, model: str) -> tuple[str, tuple[DeploymentSpec, ...]]:
        """Group name / alias / deployment id → (group name, members). A deployment id pins that one deployment;
        its group name is the deployment's ``model_name`` (so its fallbacks still apply)."""
        members = self._groups.get(model)
        if members is not None:  # a group name (nearly every call): one lookup
            return model, members
        group = self.group_name(model)
        if group is not None:
            return group, self._groups[group]
        spec = self._by_id.get(model)
        if spec is not None:
            return spec.model_name, (spec,)
        # As in LiteLLM, a deployment's own model string (``vertex_ai/gemini-2.5-flash``) names the deployments
        # that serve it; their group's fallbacks apply.
        serving = tuple(s for s in self._by_id.values() if s.model == model)
        if serving:
            return serving[0].model_name, serving
        raise UnknownModelError(model, known=[*self._groups, *self._aliases])


def _dedupe_ids(deployments: Iterable[DeploymentSpec]) -> Sequence[DeploymentSpec]:
    """Identical identities in one group (duplicated entries) get ``-2``, ``-3``… in config order, which every
    process agrees on. The same identity in different groups keeps one id: one upstream, one health record."""
    seen: dict[tuple[str, str], int] = {}
    out: list[DeploymentSpec] = []
    for spec in deployments:
        key = (spec.model_name, spec.id)
        count = seen.get(key, 0) + 1
        seen[key] = count
        out.append(spec if count == 1 else dataclasses.replace(spec, id=f"{spec.id}-{count}"))
    return out
