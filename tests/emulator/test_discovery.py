"""The discovery-document validator (``router.emulator.discovery``), reused by other families' tests."""

from __future__ import annotations

from router.emulator.discovery import FieldViolation, load_discovery, validate_request

OK = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def test_a_valid_request_has_no_violations() -> None:
    body = {
        **OK,
        "generationConfig": {
            "temperature": 0.2,
            "maxOutputTokens": 10,
            "seed": 1,
            "thinkingConfig": {"thinkingBudget": 0},
        },
        "tools": [
            {
                "functionDeclarations": [
                    {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "STRING"}}}}
                ]
            }
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["f"]}},
        "labels": {"team": "a"},
        "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
    }
    assert validate_request(body) == []


def test_snake_case_spellings_are_accepted() -> None:
    body = {
        **OK,
        "system_instruction": {"parts": [{"text": "s"}]},
        "generation_config": {"max_output_tokens": 5, "response_mime_type": "application/json"},
    }
    assert validate_request(body) == []


def test_free_form_fields_are_not_looked_into() -> None:
    body = {
        "contents": [
            {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"anything": {"goes": [1]}}}}]}
        ],
        "generationConfig": {"responseJsonSchema": {"type": "object", "$defs": {}, "additionalProperties": False}},
    }
    assert validate_request(body) == []


def test_unknown_nested_field_names_its_path() -> None:
    violations = validate_request({**OK, "tools": [{"functionDeclarations": [{"name": "f", "strict": True}]}]})
    assert violations == [
        FieldViolation(
            "tools[0].function_declarations[0]",
            "Invalid JSON payload received. Unknown name \"strict\" at 'tools[0].function_declarations[0]': "
            "Cannot find field.",
        )
    ]


def test_every_violation_is_reported() -> None:
    violations = validate_request({**OK, "a": 1, "b": 2, "generationConfig": {"topK": "many"}})
    assert len(violations) == 3


def test_enum_and_int64_rules() -> None:
    assert validate_request(
        {**OK, "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "block_none"}]}
    )
    doc = load_discovery("v1")
    assert doc is not None
    assert doc.validate({"totalTokenCount": 5}, "CachedContentUsageMetadata") == []


def test_lowercase_schema_types_are_accepted_but_other_lowercase_enums_are_not() -> None:
    lowercase_schema = {**OK, "tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "object"}}]}]}
    assert validate_request(lowercase_schema) == []
    lowercase_mode = {**OK, "toolConfig": {"functionCallingConfig": {"mode": "any"}}}
    assert validate_request(lowercase_mode)


def test_v1beta1_document_is_used_for_v1beta1() -> None:
    assert validate_request(OK, version="v1beta1") == []
    assert validate_request({**OK, "nope": 1}, version="v1beta1")
