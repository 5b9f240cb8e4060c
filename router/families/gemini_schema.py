"""JSON Schema (as OpenAI tools and ``response_format`` carry it) → the OpenAPI-subset ``Schema`` Vertex accepts.

Vertex's ``Schema`` has no ``$ref``/``$defs`` resolution across a function's parameters, no ``oneOf``/``allOf``,
no ``const``, no ``additionalProperties`` on older models, types as the enum ``STRING``/``OBJECT``/..., and
``nullable`` instead of a ``null`` type. So:

- ``$ref`` is inlined from ``$defs``/``definitions`` (any depth); a reference back into a definition that is
  already being expanded (a cycle) becomes a plain ``{"type": "OBJECT"}`` instead of recursing forever;
- ``type: [T, "null"]`` and ``anyOf``/``oneOf`` with a ``null`` branch → ``nullable: true``; other multi-type
  unions → ``anyOf``; ``allOf`` is merged; ``const`` → a one-member ``enum``;
- enums survive only on strings (Vertex rejects others), keywords Vertex does not know are dropped.

Only schema *keywords* are filtered: a property that happens to be called ``strict`` or ``additionalProperties``
is a name inside ``properties`` and survives with its ``required`` entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.errors import InvalidRequestError

_TYPES = {
    "string": "STRING",
    "number": "NUMBER",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "array": "ARRAY",
    "object": "OBJECT",
    "null": "NULL",
}
_FORMATS = {
    "STRING": frozenset({"enum", "date-time"}),
    "INTEGER": frozenset({"int32", "int64"}),
    "NUMBER": frozenset({"float", "double"}),
}
# Keywords copied through unchanged (after their values were checked to be plain data).
_PLAIN = (
    "title",
    "description",
    "default",
    "example",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minProperties",
    "maxProperties",
    "pattern",
)
_MAX_DEPTH = 100


def to_vertex_schema(schema: Mapping[str, Any], *, property_ordering: bool = False) -> dict[str, Any]:
    """Convert one JSON Schema document (its root ``$defs`` included) to a Vertex ``Schema`` object.

    ``property_ordering`` adds ``propertyOrdering`` (the properties' declared order) to every object, which
    response schemas need: without it Vertex orders generated keys alphabetically.
    """
    converter = _Converter(_collect_defs(schema), property_ordering)
    return converter.convert(schema, (), 0)


def _collect_defs(schema: Mapping[str, Any]) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        value = schema.get(key)
        if isinstance(value, Mapping):
            for name, sub in value.items():
                defs[name] = sub
                if isinstance(sub, Mapping):
                    for inner_name, inner in _collect_defs(sub).items():
                        defs.setdefault(inner_name, inner)
    return defs


class _Converter:
    __slots__ = ("_defs", "_ordering", "_root")

    def __init__(self, defs: dict[str, Any], ordering: bool) -> None:
        self._defs = defs
        self._ordering = ordering
        self._root: Mapping[str, Any] | None = None

    def convert(self, node: Any, expanding: tuple[str, ...], depth: int) -> dict[str, Any]:
        if depth > _MAX_DEPTH:
            raise InvalidRequestError(f"JSON schema nests deeper than {_MAX_DEPTH} levels", param="tools")
        if self._root is None and isinstance(node, Mapping):
            self._root = node
        if not isinstance(node, Mapping):
            return {"type": "OBJECT"} if node is True or node is None else {}
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self._inline_ref(ref, node, expanding, depth)
        for union_key in ("anyOf", "oneOf"):
            branches = node.get(union_key)
            if isinstance(branches, list) and branches:
                return self._union(node, branches, expanding, depth)
        all_of = node.get("allOf")
        if isinstance(all_of, list) and all_of:
            return self.convert(_merge_all_of(node, self._deref(all_of, expanding)), expanding, depth + 1)
        raw_type = node.get("type")
        if isinstance(raw_type, list):
            return self._type_list(node, raw_type, expanding, depth)
        return self._plain(node, raw_type, expanding, depth)

    def _deref(self, branches: list[Any], expanding: tuple[str, ...]) -> list[Any]:
        """allOf branches that are plain ``$ref``s → the referenced definition, so their properties merge."""
        out = []
        for branch in branches:
            ref = branch.get("$ref") if isinstance(branch, Mapping) else None
            name = ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None
            usable = name is not None and name in self._defs and name not in expanding and len(branch) == 1
            out.append(self._defs[name] if usable and name is not None else branch)
        return out

    def _inline_ref(self, ref: str, node: Mapping[str, Any], expanding: tuple[str, ...], depth: int) -> dict[str, Any]:
        name = ref.rsplit("/", 1)[-1] if ref != "#" else "#"
        target = self._root if name == "#" else self._defs.get(name)
        if name in expanding or target is None:
            # A cycle (or a reference we cannot resolve): stop here with the loosest object Vertex accepts.
            out: dict[str, Any] = {"type": "OBJECT"}
            if isinstance(node.get("description"), str):
                out["description"] = node["description"]
            return out
        resolved = self.convert(target, (*expanding, name), depth + 1)
        for key in ("description", "title"):
            if isinstance(node.get(key), str):
                resolved[key] = node[key]
        return resolved

    def _union(
        self, node: Mapping[str, Any], branches: list[Any], expanding: tuple[str, ...], depth: int
    ) -> dict[str, Any]:
        non_null = [b for b in branches if not (isinstance(b, Mapping) and b.get("type") == "null")]
        nullable = len(non_null) < len(branches)
        converted = [self.convert(b, expanding, depth + 1) for b in non_null] or [{"type": "NULL"}]
        extra = {k: node[k] for k in ("title", "description") if isinstance(node.get(k), str)}
        if len(converted) == 1:
            single = converted[0]
            for key, value in extra.items():
                single.setdefault(key, value)
            if nullable:
                single["nullable"] = True
            return single
        # Vertex wants anyOf without siblings: spread title/description/nullable into every branch.
        for branch in converted:
            for key, value in extra.items():
                branch.setdefault(key, value)
            if nullable:
                branch["nullable"] = True
        return {"anyOf": converted}

    def _type_list(
        self, node: Mapping[str, Any], types: list[Any], expanding: tuple[str, ...], depth: int
    ) -> dict[str, Any]:
        concrete = [t for t in types if t != "null"]
        nullable = len(concrete) < len(types)
        if len(concrete) <= 1:
            out = self._plain(node, concrete[0] if concrete else "null", expanding, depth)
        else:
            out = self._union(node, [{**node, "type": t} for t in concrete], expanding, depth)
        if nullable:
            for branch in out.get("anyOf", [out]):
                branch["nullable"] = True
        return out

    def _plain(self, node: Mapping[str, Any], raw_type: Any, expanding: tuple[str, ...], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        vtype = _TYPES.get(raw_type) if isinstance(raw_type, str) else None
        if vtype is None:
            vtype = "OBJECT" if ("properties" in node or not _has_value_keywords(node)) else _guess_type(node)
        out["type"] = vtype
        for key in _PLAIN:
            if key in node and node[key] is not None:
                out[key] = node[key]
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt in _FORMATS.get(vtype, ()):
            out["format"] = fmt
        if node.get("nullable") is True:
            out["nullable"] = True
        self._enum(node, vtype, out)
        if vtype == "OBJECT":
            self._object(node, out, expanding, depth)
        elif vtype == "ARRAY":
            items = node.get("items")
            if isinstance(items, list):  # tuple validation: Vertex has no equivalent, take the first shape
                items = items[0] if items else None
            fallback = {"type": "OBJECT"}
            out["items"] = self.convert(items, expanding, depth + 1) if isinstance(items, Mapping) else fallback
        return out

    @staticmethod
    def _enum(node: Mapping[str, Any], vtype: str, out: dict[str, Any]) -> None:
        values = node.get("enum")
        if "const" in node:
            values = [node["const"]]
        if not isinstance(values, list) or vtype != "STRING":
            return
        kept = [v for v in values if isinstance(v, str) and v != ""]
        if kept:
            out["enum"] = kept
            out.setdefault("format", "enum")
        if len(kept) < len(values) and None in values:
            out["nullable"] = True

    def _object(self, node: Mapping[str, Any], out: dict[str, Any], expanding: tuple[str, ...], depth: int) -> None:
        props = node.get("properties")
        if not isinstance(props, Mapping) or not props:
            return
        out["properties"] = {name: self.convert(sub, expanding, depth + 1) for name, sub in props.items()}
        required = node.get("required")
        if isinstance(required, list):
            kept = [r for r in required if isinstance(r, str) and r in props]
            if kept:
                out["required"] = kept
        if self._ordering:
            ordering = node.get("propertyOrdering")
            out["propertyOrdering"] = list(ordering) if isinstance(ordering, list) else list(props)


def _has_value_keywords(node: Mapping[str, Any]) -> bool:
    return any(k in node for k in ("items", "enum", "const", "minLength", "maxLength", "pattern", "minimum", "maximum"))


def _guess_type(node: Mapping[str, Any]) -> str:
    if "items" in node:
        return "ARRAY"
    if any(k in node for k in ("minimum", "maximum")):
        return "NUMBER"
    return "STRING"


def _merge_all_of(node: Mapping[str, Any], branches: list[Any]) -> dict[str, Any]:
    """``allOf`` → one schema: properties and required lists unioned, other keywords first-wins."""
    merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
    props: dict[str, Any] = dict(merged.get("properties") or {})
    required: list[str] = list(merged.get("required") or [])
    for branch in branches:
        if not isinstance(branch, Mapping):
            continue
        for key, value in branch.items():
            if key == "properties" and isinstance(value, Mapping):
                props.update(value)
            elif key == "required" and isinstance(value, list):
                required.extend(r for r in value if r not in required)
            else:
                merged.setdefault(key, value)
    if props:
        merged["properties"] = props
        merged.setdefault("type", "object")
    if required:
        merged["required"] = required
    return merged
