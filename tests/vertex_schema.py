"""Validate Vertex request bodies against Google's discovery document (``aiplatform.v1.json``).

The document ships in google-api-python-client's ``discovery_cache``. ``assert_valid_vertex_body(body, name)``
walks ``body`` against ``schemas[name]`` (``$ref`` resolved among the document's ``schemas``) and fails on an
unknown field, a wrong JSON type, a value outside an enum, or one field given both camelCase and snake_case.
Google's JSON parser also accepts the proto (snake_case) field names, so those pass unless ``camel_only=True``.

Usable from any family's tests::

    from tests.vertex_schema import assert_valid_vertex_body
    assert_valid_vertex_body(body, "GenerateContentRequest")   # the GoogleCloudAiplatformV1 prefix is optional
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from pathlib import Path
from typing import Any

_PREFIX = "GoogleCloudAiplatformV1"
_DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")


@functools.cache
def discovery() -> dict[str, Any]:
    import googleapiclient

    root = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "aiplatform.v1.json"
    return json.loads(root.read_text())


def schema_names() -> list[str]:
    return sorted(discovery()["schemas"])


class VertexSchemaError(AssertionError):
    pass


def assert_valid_vertex_body(body: Any, schema_name: str, *, camel_only: bool = False) -> None:
    """Raise VertexSchemaError (an AssertionError) listing every problem found in ``body``."""
    schemas = discovery()["schemas"]
    name = schema_name if schema_name in schemas else _PREFIX + schema_name
    if name not in schemas:
        raise KeyError(f"no schema {schema_name!r} in aiplatform.v1.json")
    problems: list[str] = []
    _check(body, schemas[name], "$", problems, camel_only)
    if problems:
        raise VertexSchemaError(f"{name}: " + "; ".join(problems[:20]))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _check(value: Any, schema: dict[str, Any], path: str, problems: list[str], camel_only: bool) -> None:
    ref = schema.get("$ref")
    if ref is not None:
        _check(value, discovery()["schemas"][ref], path, problems, camel_only)
        return
    kind = schema.get("type")
    if kind == "any":
        return
    if kind == "object":
        _check_object(value, schema, path, problems, camel_only)
    elif kind == "array":
        if not isinstance(value, list):
            problems.append(f"{path}: expected an array, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check(item, schema.get("items", {"type": "any"}), f"{path}[{i}]", problems, camel_only)
    else:
        _check_scalar(value, schema, path, problems)


def _check_object(value: Any, schema: dict[str, Any], path: str, problems: list[str], camel_only: bool) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object, got {type(value).__name__}")
        return
    props: dict[str, Any] | None = schema.get("properties")
    extra = schema.get("additionalProperties")
    if props is None:
        if isinstance(extra, dict):
            for key, item in value.items():
                _check(item, extra, f"{path}.{key}", problems, camel_only)
        return  # a free-form object (google.protobuf.Struct) takes anything
    by_snake = {_snake(k): k for k in props}
    seen: dict[str, str] = {}
    for key, item in value.items():
        field = key if key in props else (None if camel_only else by_snake.get(key))
        if field is None:
            problems.append(f"{path}: unknown field {key!r}")
            continue
        if field in seen:
            problems.append(f"{path}: field {field!r} given twice ({seen[field]!r} and {key!r})")
            continue
        seen[field] = key
        _check(item, props[field], f"{path}.{key}", problems, camel_only)


def _check_scalar(value: Any, schema: dict[str, Any], path: str, problems: list[str]) -> None:
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "string":
        if fmt in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            return  # proto3 JSON takes 64-bit integers as numbers or strings
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, got {type(value).__name__}")
            return
        enum = schema.get("enum")
        if enum is not None and value not in enum:
            problems.append(f"{path}: {value!r} is not one of {enum}")
        elif fmt == "byte" and not _is_base64(value):
            problems.append(f"{path}: not base64")
        elif fmt == "google-duration" and not _DURATION.match(value):
            problems.append(f"{path}: {value!r} is not a duration like '3.5s'")
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected an integer, got {value!r}")
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            problems.append(f"{path}: expected a number, got {value!r}")
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(f"{path}: expected a boolean, got {value!r}")


def _is_base64(value: str) -> bool:
    padded = value + "=" * (-len(value) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            decoder(padded.encode("ascii"), validate=True) if decoder is base64.b64decode else decoder(padded)
            return True
        except (binascii.Error, ValueError):
            continue
    return False
