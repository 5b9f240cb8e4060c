"""Strict pydantic validation of a whole file, with every error turned into a positioned ConfigProblem."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from router.config.schema_walk import known_keys, literal_choices
from router.config.settings_models import ConfigFile
from router.config.source import Path, Source, format_path
from router.errors import ConfigProblem

# Values never echoed back in a message: they may be secrets.
_SECRET_KEYS = frozenset(
    {"master_key", "key", "vertex_credentials", "vertex_ai_credentials", "redis_password", "redis_url"}
)
_HOMES: tuple[tuple[str, Path], ...] = (
    ("router_settings", ("router_settings",)),
    ("litellm_settings", ("litellm_settings",)),
    ("general_settings", ("general_settings",)),
    ("model_list[].litellm_params", ("model_list", 0, "litellm_params")),
    ("model_list[].model_info", ("model_list", 0, "model_info")),
)


def validate_file(source: Source, from_env: set[Path]) -> tuple[ConfigFile | None, list[ConfigProblem]]:
    """Validate ``source.data``; every pydantic error becomes one problem (union alternatives merged)."""
    data = source.data
    if data is None:
        return None, [source.problem((), "the config is empty; it needs at least a model_list", where=(1, 1))]
    if not isinstance(data, dict):
        return None, [source.problem((), f"the top level must be a mapping of sections, not {_kind(data)}")]
    try:
        return ConfigFile.model_validate(data), []
    except ValidationError as exc:
        return None, _problems(source, exc.errors(), from_env)


def _problems(source: Source, errors: list[ErrorDetails], from_env: set[Path]) -> list[ConfigProblem]:
    grouped: dict[tuple[Path, bool], list[ErrorDetails]] = {}
    for error in errors:
        path, complete = _data_path(source.data, error["loc"], missing=error["type"] == "missing")
        grouped.setdefault((path, complete), []).append(error)
    keep = {key: group for key, group in grouped.items() if not _superseded(key, group, grouped)}
    return [_problem(source, path, complete, group, from_env) for (path, complete), group in keep.items()]


def _superseded(
    key: tuple[Path, bool], group: list[ErrorDetails], grouped: dict[tuple[Path, bool], list[ErrorDetails]]
) -> bool:
    """Noise a more precise error explains: a union member's type mismatch when another member got further
    (``{model: a, hiden: true}`` is "not a string" only because it is a mapping with a typo), and a missing
    key whose misspelling is reported as an unknown key next to it."""
    path, complete = key
    if not complete:
        parent, wanted = path[:-1], str(path[-1])
        return any(
            p[:-1] == parent and g[0]["type"] == "extra_forbidden" and wanted in _suggestions(p)
            for (p, _), g in grouped.items()
        )
    if all(str(e["type"]).endswith("_type") for e in group):
        return any(len(p) > len(path) and p[: len(path)] == path for (p, _) in grouped)
    return False


def _suggestions(path: Path) -> list[str]:
    return difflib.get_close_matches(str(path[-1]), known_keys(ConfigFile, path[:-1]), n=1, cutoff=0.6)


def _data_path(data: Any, loc: tuple[int | str, ...], *, missing: bool) -> tuple[Path, bool]:
    """Map pydantic's loc (which includes union member tags) onto keys and indices present in the data.
    ``complete`` is False for a missing key: the path then ends with that key."""
    path: list[str | int] = []
    node = data
    for elem in loc:
        if _has(node, elem):
            path.append(elem)
            node = node[elem]
    if missing and isinstance(loc[-1], str) and isinstance(node, dict) and loc[-1] not in node:
        return (*path, loc[-1]), False
    return tuple(path), True


def _has(node: Any, elem: int | str) -> bool:
    if isinstance(node, dict):
        return elem in node
    return isinstance(node, list) and isinstance(elem, int) and 0 <= elem < len(node)


def _problem(
    source: Source, path: Path, complete: bool, group: list[ErrorDetails], from_env: set[Path]
) -> ConfigProblem:
    first = group[0]
    kind = first["type"]
    if not complete and kind == "missing":
        return source.problem(path[:-1], f"missing required key {path[-1]!r}")
    if kind == "extra_forbidden":
        return source.problem(path, _unknown_key(path), at_key=True)
    messages = list(dict.fromkeys(_message(e) for e in group))
    text = _join(messages)
    hidden = path in from_env or (bool(path) and str(path[-1]) in _SECRET_KEYS)
    if kind == "literal_error" and len(group) == 1:
        return source.problem(path, _bad_choice(first, path, hidden))
    if not hidden and _is_scalar(first.get("input")) and kind != "value_error":
        text += f" (got {first.get('input')!r})"
    if path in from_env:
        text += " (value came from an environment variable)"
    return source.problem(path, text)


def _join(messages: list[str]) -> str:
    if len(messages) == 1:
        return messages[0]
    if all(m.startswith("expected ") for m in messages):
        return "expected " + " or ".join(m.removeprefix("expected ") for m in messages)
    return "; or ".join(messages)


_MESSAGES = {
    "model_type": "expected a mapping (key: value pairs)",
    "model_attributes_type": "expected a mapping (key: value pairs)",
    "dict_type": "expected a mapping (key: value pairs)",
    "list_type": "expected a list",
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
}


def _bad_choice(error: ErrorDetails, path: Path, hidden: bool) -> str:
    value = error.get("input")
    shown = "this value" if hidden else repr(value)
    hint = _did_you_mean(value, literal_choices(ConfigFile, path))
    expected = (error.get("ctx") or {}).get("expected", "")
    return f"{shown} is not allowed here{hint} (expected {expected})"


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    base = _MESSAGES.get(kind)
    if base is None:
        return str(error["msg"])
    value = error.get("input")
    if isinstance(value, list | dict):
        return f"{base}, not {_kind(value)}"
    return base


def _unknown_key(path: Path) -> str:
    key = str(path[-1])
    parent = path[:-1]
    message = f"unknown key {key!r}"
    # A key that exists verbatim in another section was put in the wrong place; say where it belongs.
    home = _other_section(key, parent)
    if home:
        return f"{message}; {key!r} belongs in {home}"
    close = _suggestions(path)
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    return f"{message} in {format_path(parent) or 'the top level'}"


def _other_section(key: str, parent: Path) -> str | None:
    shape = tuple(0 if isinstance(e, int) else e for e in parent)
    for label, probe in _HOMES:
        if probe != shape and key in known_keys(ConfigFile, probe):
            return label
    return None


def _did_you_mean(value: Any, choices: list[str]) -> str:
    if not isinstance(value, str) or not choices:
        return ""
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"
