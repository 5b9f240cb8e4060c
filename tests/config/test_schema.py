"""schemas/config.schema.json is exactly what `vertex-router schema` prints, and the examples satisfy it."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import orjson
import yaml

from router.cli import schema_text

ROOT = Path(__file__).parents[2]
SCHEMA_FILE = ROOT / "schemas" / "config.schema.json"


def test_checked_in_schema_matches_the_models():
    assert SCHEMA_FILE.read_text() == schema_text(), (
        "schemas/config.schema.json is stale: run `vertex-router schema > schemas/config.schema.json`"
    )


def test_schema_is_a_valid_json_schema_that_accepts_every_example():
    schema = orjson.loads(SCHEMA_FILE.read_bytes())
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_schema_rejects_unknown_keys_for_editors():
    schema = orjson.loads(SCHEMA_FILE.read_bytes())
    bad = {"model_list": [{"model_name": "a", "litellm_params": {"model": "vertex_ai/x", "vertex_locaton": "x"}}]}
    validator = jsonschema.Draft202012Validator(schema)
    assert any("vertex_locaton" in e.message for e in validator.iter_errors(bad))


def test_readme_reference_matches_the_models():
    from router.config.reference import markdown_reference

    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- config-reference:start -->\n") + len("<!-- config-reference:start -->\n")
    end = readme.index("<!-- config-reference:end -->")
    assert readme[start:end] == markdown_reference(), (
        "README reference is stale: replace it with `vertex-router schema --format markdown`"
    )


def test_schema_lets_numbers_come_from_the_environment_but_not_from_quoted_strings():
    validator = jsonschema.Draft202012Validator(orjson.loads(SCHEMA_FILE.read_bytes()))

    def entry(**params: object) -> dict[str, object]:
        return {"model_list": [{"model_name": "a", "litellm_params": {"model": "vertex_ai/x", **params}}]}

    assert list(validator.iter_errors(entry(rpm="os.environ/RPM", drop_params="os.environ/DROP"))) == []
    assert list(validator.iter_errors(entry(rpm="3")))
