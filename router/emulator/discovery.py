"""Validate request bodies against Google's discovery document, the way Vertex's proto-JSON parser does.

The discovery document (``aiplatform.v1.json`` / ``aiplatform.v1beta1.json``) ships with
google-api-python-client, a dev dependency. When it is not installed the emulator still runs: ``load_discovery``
logs a warning and returns ``None`` and callers skip validation.

What is checked, with Vertex's own wording: unknown field names (both lowerCamel and snake_case spellings are
accepted, as the proto-JSON parser does), enum values, JSON types (strings for int64, numbers for floats, ...),
lists vs objects. Free-form fields (``type: any``, ``google.protobuf.Struct``) are not looked into.

Usage (also from tests)::

    doc = load_discovery("v1")
    violations = doc.validate(body, "GoogleCloudAiplatformV1GenerateContentRequest") if doc else []
    # [FieldViolation(field="generation_config", description='Invalid JSON payload received. Unknown name ...')]
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson
import structlog

log = structlog.get_logger(__name__)

GENERATE_CONTENT_REQUEST = "GoogleCloudAiplatformV1GenerateContentRequest"
_MAX_DEPTH = 64
_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")
_INT_STRING = re.compile(r"^-?\d+$")
_FLOAT_WORDS = frozenset({"NaN", "Infinity", "-Infinity"})


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One rejected field: ``field`` is Google's snake_case path (``contents[0].parts``), ``description``
    its message."""

    field: str
    description: str


@functools.lru_cache(maxsize=4096)  # a pure function of a small vocabulary (field names), on the hot path
def snake(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def _proto_name(schema_name: str) -> str:
    """``GoogleCloudAiplatformV1FunctionCallingConfig`` → ``google.cloud.aiplatform.v1.FunctionCallingConfig``."""
    match = re.match(r"GoogleCloudAiplatform(V1(?:beta1)?)(.*)", schema_name)
    if not match:
        return schema_name
    return f"google.cloud.aiplatform.{match.group(1).lower()}.{match.group(2)}"


class DiscoveryDocument:
    """The ``schemas`` of one discovery document, indexed for field lookup by either spelling."""

    def __init__(self, document: dict[str, Any], *, version: str) -> None:
        self.version = version
        self.schemas: dict[str, dict[str, Any]] = document.get("schemas", {})
        self._fields: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
        prefix = "GoogleCloudAiplatformV1beta1" if version == "v1beta1" else "GoogleCloudAiplatformV1"
        self.prefix = prefix

    def schema_name(self, short: str) -> str:
        """``"GenerateContentRequest"`` (or the full name of either version) → the full name for this version."""
        bare = re.sub(r"^GoogleCloudAiplatformV1(?:beta1)?", "", short)
        return f"{self.prefix}{bare}"

    def fields(self, schema_name: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """Field lookup for a schema: both ``camelName`` and ``snake_name`` → (canonical camel name, property)."""
        cached = self._fields.get(schema_name)
        if cached is None:
            cached = {}
            for name, prop in self.schemas.get(schema_name, {}).get("properties", {}).items():
                cached[name] = (name, prop)
                cached.setdefault(snake(name), (name, prop))
            self._fields[schema_name] = cached
        return cached

    def validate(self, value: Any, schema: str = GENERATE_CONTENT_REQUEST) -> list[FieldViolation]:
        """Every violation found in ``value`` read as the message ``schema`` (short or full name)."""
        found: list[FieldViolation] = []
        self._message(value, self.schema_name(schema), "", found, 0)
        return found

    def _message(self, value: Any, schema_name: str, path: str, found: list[FieldViolation], depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        if not isinstance(value, dict):
            found.append(_invalid(path, f"type.googleapis.com/{_proto_name(schema_name)}", value))
            return
        fields = self.fields(schema_name)
        for key, item in value.items():
            entry = fields.get(key)
            if entry is None:
                where = f" at '{path}'" if path else ""
                found.append(
                    FieldViolation(
                        path,
                        f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.',
                    )
                )
                continue
            canonical, prop = entry
            child = f"{path}.{snake(canonical)}" if path else snake(canonical)
            if item is None:
                continue  # proto-JSON treats null as "not set"
            self._value(item, prop, child, schema_name, canonical, found, depth + 1)

    def _value(
        self,
        value: Any,
        prop: dict[str, Any],
        path: str,
        owner: str,
        field_name: str,
        found: list[FieldViolation],
        depth: int,
    ) -> None:
        ref = prop.get("$ref")
        if ref:
            self._message(value, ref, path, found, depth)
            return
        kind = prop.get("type")
        if kind == "array":
            if not isinstance(value, list):
                found.append(_invalid(path, _type_label(prop.get("items", {})), value))
                return
            for index, item in enumerate(value):
                if item is not None:
                    self._value(item, prop.get("items", {}), f"{path}[{index}]", owner, field_name, found, depth)
            return
        if kind == "object":
            self._map(value, prop, path, owner, field_name, found, depth)
            return
        problem = _scalar_problem(value, prop, owner, field_name)
        if problem:
            found.append(_invalid(path, problem, value))

    def _map(
        self,
        value: Any,
        prop: dict[str, Any],
        path: str,
        owner: str,
        field_name: str,
        found: list[FieldViolation],
        depth: int,
    ) -> None:
        if not isinstance(value, dict):
            found.append(_invalid(path, "type.googleapis.com/google.protobuf.Struct", value))
            return
        values = prop.get("additionalProperties")
        if not values or values.get("type") == "any":
            return
        for key, item in value.items():
            if item is not None:
                self._value(item, values, f"{path}[{key}].value", owner, field_name, found, depth)


def _scalar_problem(value: Any, prop: dict[str, Any], owner: str, field_name: str) -> str | None:
    """The type label for an error message when ``value`` does not fit the scalar ``prop``; ``None`` if it fits."""
    kind = prop.get("type")
    fmt = prop.get("format", "")
    if kind == "any":
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else "TYPE_BOOL"
    if kind == "integer" or (kind == "string" and fmt in ("int64", "uint64")):
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
        ok = ok or (isinstance(value, str) and bool(_INT_STRING.match(value)))
        return None if ok else ("TYPE_INT64" if "64" in fmt else "TYPE_INT32")
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok or (isinstance(value, str) and value in _FLOAT_WORDS)
        return None if ok else ("TYPE_DOUBLE" if fmt == "double" else "TYPE_FLOAT")
    if kind == "string":
        if not isinstance(value, str):
            return "TYPE_STRING"
        enum = prop.get("enum")
        if enum and value not in enum and not _schema_type_alias(value, enum, owner, field_name):
            return f"type.googleapis.com/{_proto_name(owner)}.{field_name[:1].upper()}{field_name[1:]}"
    return None


def _schema_type_alias(value: str, enum: list[str], owner: str, field_name: str) -> bool:
    """Vertex accepts lowercase JSON-Schema type names (``"object"``) in ``Schema.type``; nowhere else."""
    return owner.endswith("Schema") and field_name == "type" and value.upper() in enum


def _type_label(prop: dict[str, Any]) -> str:
    ref = prop.get("$ref")
    if ref:
        return f"type.googleapis.com/{_proto_name(ref)}"
    return f"TYPE_{str(prop.get('type', 'message')).upper()}"


def _invalid(path: str, label: str, value: Any) -> FieldViolation:
    shown = value if isinstance(value, str) else orjson.dumps(value).decode()
    return FieldViolation(path, f"Invalid value at '{path}' ({label}), \"{shown}\"")


@functools.cache
def load_discovery(version: str = "v1") -> DiscoveryDocument | None:
    """The aiplatform discovery document for ``version`` (``v1`` or ``v1beta1``), or ``None`` when
    google-api-python-client is not installed. Cached: the document is read-only data."""
    try:
        documents = resources.files("googleapiclient") / "discovery_cache" / "documents"
        raw = (documents / f"aiplatform.{version}.json").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        log.warning("discovery_document_missing", version=version, effect="request schema validation skipped")
        return None
    return DiscoveryDocument(orjson.loads(raw), version=version)


def validate_request(body: Any, schema: str = GENERATE_CONTENT_REQUEST, *, version: str = "v1") -> list[FieldViolation]:
    """Convenience for tests: violations of ``body`` against ``schema``; empty when the document is unavailable."""
    doc = load_discovery(version)
    return doc.validate(body, schema) if doc else []
