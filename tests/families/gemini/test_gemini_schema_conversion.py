"""JSON Schema → Vertex Schema: the cases Vertex rejects or that blow up naive converters."""

from __future__ import annotations

import gemini_golden  # noqa: F401
import pytest

from router.errors import InvalidRequestError
from router.families.gemini_schema import to_vertex_schema
from tests.vertex_schema import assert_valid_vertex_body


def test_property_named_strict_survives_with_its_required_entry() -> None:
    out = to_vertex_schema(
        {"type": "object", "strict": True, "properties": {"strict": {"type": "boolean"}}, "required": ["strict"]}
    )
    assert out == {"type": "OBJECT", "properties": {"strict": {"type": "BOOLEAN"}}, "required": ["strict"]}


def test_self_referencing_definition_stops_at_the_cycle() -> None:
    schema = {
        "$ref": "#/$defs/Node",
        "$defs": {
            "Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}, "v": {"type": "integer"}}}
        },
    }
    out = to_vertex_schema(schema)
    assert out == {"type": "OBJECT", "properties": {"next": {"type": "OBJECT"}, "v": {"type": "INTEGER"}}}


def test_mutually_recursive_definitions_terminate() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A"}},
        "$defs": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
            "B": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}},
        },
    }
    out = to_vertex_schema(schema)
    assert out["properties"]["a"]["properties"]["b"]["properties"]["a"] == {"type": "OBJECT"}


def test_shared_definition_used_twice_is_inlined_twice() -> None:
    defs = {"P": {"type": "string", "description": "d"}}
    out = to_vertex_schema(
        {"type": "object", "properties": {"x": {"$ref": "#/$defs/P"}, "y": {"$ref": "#/$defs/P"}}, "$defs": defs}
    )
    assert out["properties"]["x"] == out["properties"]["y"] == {"type": "STRING", "description": "d"}


def test_any_of_with_null_becomes_nullable() -> None:
    out = to_vertex_schema({"anyOf": [{"type": "string"}, {"type": "null"}], "description": "maybe"})
    assert out == {"type": "STRING", "description": "maybe", "nullable": True}


def test_type_array_with_two_types_becomes_any_of_with_nullable_branches() -> None:
    out = to_vertex_schema({"type": ["string", "integer", "null"]})
    assert out == {"anyOf": [{"type": "STRING", "nullable": True}, {"type": "INTEGER", "nullable": True}]}


def test_unsupported_keywords_are_dropped() -> None:
    out = to_vertex_schema(
        {
            "type": "object",
            "additionalProperties": False,
            "$schema": "x",
            "properties": {"n": {"type": "number", "multipleOf": 2, "exclusiveMaximum": 3}},
        }
    )
    assert out == {"type": "OBJECT", "properties": {"n": {"type": "NUMBER"}}}


def test_non_string_enum_is_dropped_and_string_enum_kept() -> None:
    assert to_vertex_schema({"type": "integer", "enum": [1, 2]}) == {"type": "INTEGER"}
    assert to_vertex_schema({"type": "string", "enum": ["a", "b"]}) == {
        "type": "STRING",
        "enum": ["a", "b"],
        "format": "enum",
    }


def test_every_converted_schema_is_valid_vertex() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"oneOf": [{"type": "string"}, {"type": "object", "properties": {"k": {"const": "v"}}}]},
            "b": {"type": "array", "items": [{"type": "string"}]},
            "c": {"allOf": [{"type": "object", "properties": {"x": {"type": "string", "format": "uuid"}}}]},
            "d": {},
        },
    }
    tool = {"functionDeclarations": [{"name": "f", "parameters": to_vertex_schema(schema, property_ordering=True)}]}
    assert_valid_vertex_body({"contents": [], "tools": [tool]}, "GenerateContentRequest", camel_only=True)


def test_absurdly_deep_schema_is_refused() -> None:
    node: dict[str, object] = {"type": "string"}
    for _ in range(150):
        node = {"type": "object", "properties": {"x": node}}
    with pytest.raises(InvalidRequestError, match="deeper"):
        to_vertex_schema(node)
