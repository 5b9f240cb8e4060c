"""A parsed config source: the plain data plus where every node was written.

YAML is composed once into nodes; the node tree gives 1-based (line, column) for every key and value, and the
same nodes are constructed into plain Python data. Duplicate keys are found here because YAML itself would
silently keep the last one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from router.errors import ConfigProblem

PathElem = str | int
Path = tuple[PathElem, ...]
Position = tuple[int, int]
UNKNOWN: Position = (0, 0)


def format_path(path: Path) -> str:
    """``('model_list', 0, 'litellm_params')`` → ``model_list[0].litellm_params``."""
    out = ""
    for elem in path:
        if isinstance(elem, int):
            out += f"[{elem}]"
        else:
            out += f".{elem}" if out else str(elem)
    return out


@dataclass
class Source:
    """Data and positions of one config source. ``keys`` holds where a mapping key was written, ``values``
    where the value (or the list item) starts."""

    name: str
    data: Any
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def value_pos(self, path: Path) -> Position:
        """Where the value at ``path`` is, else the nearest written ancestor."""
        return self._nearest(self.values, path)

    def key_pos(self, path: Path) -> Position:
        """Where the key of ``path`` is written (falls back to the value's position)."""
        if path in self.keys:
            return self.keys[path]
        return self.value_pos(path)

    def _nearest(self, table: Mapping[Path, Position], path: Path) -> Position:
        for cut in range(len(path), -1, -1):
            found = table.get(path[:cut])
            if found is not None:
                return found
        return UNKNOWN

    def problem(
        self, path: Path, message: str, *, severity: str = "error", at_key: bool = False, where: Position | None = None
    ) -> ConfigProblem:
        line, column = where or (self.key_pos(path) if at_key else self.value_pos(path))
        return ConfigProblem(
            file=self.name,
            line=line,
            column=column,
            key_path=format_path(path),
            message=message,
            severity="warning" if severity == "warning" else "error",
        )


def _pos(node: yaml.Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Walker:
    """Records positions for every node and reports duplicate keys."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[ConfigProblem] = []

    def walk(self, node: yaml.Node, path: Path) -> None:
        self.source.values[path] = _pos(node)
        if isinstance(node, yaml.MappingNode):
            self._mapping(node, path)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.walk(item, (*path, index))

    def _mapping(self, node: yaml.MappingNode, path: Path) -> None:
        seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                line, _ = seen[key]
                self.problems.append(
                    self.source.problem(
                        child,
                        f"duplicate key {key!r} (first written at line {line}); YAML would silently keep only the last",
                        where=_pos(key_node),
                    )
                )
                continue
            seen[key] = _pos(key_node)
            self.source.keys[child] = _pos(key_node)
            self.walk(value_node, child)


def parse_yaml(text: str, name: str) -> tuple[Source, list[ConfigProblem]]:
    """Parse YAML text. Syntax errors come back as problems with the position YAML reports."""
    source = Source(name=name, data=None)
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return source, []
            walker = _Walker(source)
            walker.walk(node, ())
            source.data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        return source, [_syntax_problem(exc, name)]
    except yaml.YAMLError as exc:
        return source, [ConfigProblem(name, 1, 1, "", f"YAML error: {exc}")]
    return source, walker.problems


def _syntax_problem(exc: yaml.MarkedYAMLError, name: str) -> ConfigProblem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    parts = [p for p in (exc.context, exc.problem) if p]
    return ConfigProblem(name, line, column, "", "YAML syntax error: " + ", ".join(parts))


def from_mapping(data: Any, name: str) -> Source:
    """A source for data that never was YAML: no positions (problems say line 0, column 0)."""
    return Source(name=name, data=data)
