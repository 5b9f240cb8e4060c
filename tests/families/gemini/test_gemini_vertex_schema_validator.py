"""The discovery-document validator itself: it must fail on what Vertex would reject."""

from __future__ import annotations

import gemini_golden  # noqa: F401  (puts the repo root on sys.path)
import pytest

from tests.vertex_schema import VertexSchemaError, assert_valid_vertex_body

GOOD = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "generationConfig": {"temperature": 0.5}}


def test_valid_body_passes() -> None:
    assert_valid_vertex_body(GOOD, "GenerateContentRequest", camel_only=True)


def test_unknown_field_fails() -> None:
    with pytest.raises(VertexSchemaError, match="unknown field 'temprature'"):
        assert_valid_vertex_body({**GOOD, "generationConfig": {"temprature": 1}}, "GenerateContentRequest")


def test_wrong_enum_value_fails() -> None:
    body = {**GOOD, "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_SOME"}]}
    with pytest.raises(VertexSchemaError, match="BLOCK_SOME"):
        assert_valid_vertex_body(body, "GenerateContentRequest")


def test_field_given_in_both_cases_fails() -> None:
    body = {**GOOD, "generationConfig": {"maxOutputTokens": 5, "max_output_tokens": 5}}
    with pytest.raises(VertexSchemaError, match="given twice"):
        assert_valid_vertex_body(body, "GenerateContentRequest")


def test_snake_case_accepted_unless_camel_only() -> None:
    body = {"contents": GOOD["contents"], "system_instruction": {"parts": [{"text": "s"}]}}
    assert_valid_vertex_body(body, "GenerateContentRequest")
    with pytest.raises(VertexSchemaError, match="unknown field 'system_instruction'"):
        assert_valid_vertex_body(body, "GenerateContentRequest", camel_only=True)


def test_wrong_json_type_fails() -> None:
    with pytest.raises(VertexSchemaError, match="expected an array"):
        assert_valid_vertex_body({"contents": {"role": "user"}}, "GenerateContentRequest")


def test_lowercase_schema_type_is_a_wrong_enum_value() -> None:
    tool = {"functionDeclarations": [{"name": "f", "parameters": {"type": "object"}}]}
    with pytest.raises(VertexSchemaError, match="'object' is not one of"):
        assert_valid_vertex_body({**GOOD, "tools": [tool]}, "GenerateContentRequest")


def test_full_schema_name_and_other_schemas_work() -> None:
    assert_valid_vertex_body({"model": "m", "ttl": "60s"}, "GoogleCloudAiplatformV1CachedContent")
    with pytest.raises(VertexSchemaError, match="duration"):
        assert_valid_vertex_body({"ttl": "60"}, "CachedContent")
