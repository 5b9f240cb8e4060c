"""Questions about the config models at a data path: which keys are known there, which scalar type is expected.

Used for "did you mean" hints and to convert ``os.environ/`` strings to the number or boolean a field expects.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from router.config.source import Path


def _members(annotation: Any) -> list[Any]:
    """Flatten Annotated / Optional / Union into the member types."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in get_args(annotation):
            out += _members(arg)
        return out
    return [annotation]


def _step(annotation: Any, elem: str | int) -> list[Any]:
    found: list[Any] = []
    for member in _members(annotation):
        origin = get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel) and isinstance(elem, str):
            field = member.model_fields.get(elem)
            if field is not None:
                found.append(field.annotation)
        elif origin is list and isinstance(elem, int):
            found.append(get_args(member)[0])
        elif origin is dict and isinstance(elem, str):
            found.append(get_args(member)[1])
    return found


def annotations_at(root: type[BaseModel], path: Path) -> list[Any]:
    """Member types that may sit at ``path`` (empty when the path leaves the models)."""
    current: list[Any] = [root]
    for elem in path:
        nxt: list[Any] = []
        for annotation in current:
            nxt += _step(annotation, elem)
        current = nxt
    out: list[Any] = []
    for annotation in current:
        out += _members(annotation)
    return out


def known_keys(root: type[BaseModel], path: Path) -> list[str]:
    """Keys a mapping at ``path`` may have (model fields)."""
    keys: list[str] = []
    for member in annotations_at(root, path):
        if isinstance(member, type) and issubclass(member, BaseModel):
            keys += list(member.model_fields)
    return keys


def literal_choices(root: type[BaseModel], path: Path) -> list[str]:
    """The allowed strings when ``path`` is a Literal field."""
    out: list[str] = []
    for member in annotations_at(root, path):
        if get_origin(member) is Literal:
            out += [str(v) for v in get_args(member)]
    return out


def coerce_env_string(root: type[BaseModel], path: Path, text: str) -> Any:
    """An ``os.environ/`` value converted to the scalar type the field expects, when it expects no string."""
    members = annotations_at(root, path)
    if not members or str in members or any(get_origin(m) is Literal for m in members):
        return text
    lowered = text.strip().lower()
    if bool in members and lowered in ("true", "false", "1", "0", "yes", "no"):
        return lowered in ("true", "1", "yes")
    for kind in (int, float):
        if kind in members:
            try:
                return kind(text.strip())
            except ValueError:
                continue
    return text
