"""Request bodies: parse once, check the fields routing and the families rely on, refuse credential overrides.

The checks are shallow on purpose (types of known top-level fields, the shape of messages): enough that a
wrong type is a 400 naming the field instead of a 500 deep inside a translator, without re-validating what
the Router validates itself. Unknown fields (Vertex extras such as ``safety_settings``) pass through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from router.errors import InvalidRequestError
from router.proxy.errors import InvalidField

# Keys that would let a client choose where a call goes or with which credentials. Refused, never dropped
# silently, so a client that relied on them learns at once.
FORBIDDEN_KEYS = frozenset(
    {
        "api_base",
        "base_url",
        "api_key",
        "credentials",
        "google_application_credentials",
        "extra_headers",
        "headers",
        "custom_llm_provider",
        "model_list",
        "project",
        "location",
    }
)
FORBIDDEN_PREFIXES = ("vertex_", "aws_", "azure_")

Check = Callable[[Any], bool]


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_int(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_list(v: Any) -> bool:
    return isinstance(v, list)


def _is_dict(v: Any) -> bool:
    return isinstance(v, dict)


def _is_str_or_list(v: Any) -> bool:
    return isinstance(v, str | list)


def _is_str_or_dict(v: Any) -> bool:
    return isinstance(v, str | dict)


def _is_str_list(v: Any) -> bool:
    return isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))


def _is_prompt(v: Any) -> bool:
    """A prompt: a string, a list of strings, a list of token ids, or a list of token-id lists."""
    if isinstance(v, str):
        return True
    if not isinstance(v, list):
        return False
    return all(isinstance(x, str) or _is_int(x) or (isinstance(x, list) and all(_is_int(t) for t in x)) for x in v)


def _is_embedding_input(v: Any) -> bool:
    return _is_prompt(v)


_TYPE_NAMES: dict[Check, str] = {
    _is_str: "a string",
    _is_bool: "a boolean",
    _is_int: "an integer",
    _is_number: "a number",
    _is_list: "an array",
    _is_dict: "an object",
    _is_str_or_list: "a string or an array",
    _is_str_or_dict: "a string or an object",
    _is_str_list: "a string or an array of strings",
    _is_prompt: "a string, an array of strings or an array of token ids",
    _is_embedding_input: "a string, an array of strings or an array of token ids",
}

_SAMPLING: dict[str, Check] = {
    "stream": _is_bool,
    "temperature": _is_number,
    "top_p": _is_number,
    "top_k": _is_number,
    "n": _is_int,
    "max_tokens": _is_int,
    "stop": _is_str_list,
    "presence_penalty": _is_number,
    "frequency_penalty": _is_number,
    "seed": _is_int,
    "user": _is_str,
    "logprobs": _is_bool,
    "stream_options": _is_dict,
}


@dataclass(frozen=True)
class RouteSpec:
    """The fields one OpenAI route requires and the types of the known optional ones."""

    required: Mapping[str, Check]
    optional: Mapping[str, Check]
    messages: bool = False  # chat: check each message's shape too
    checks: Mapping[str, Check] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "checks", {**self.optional, **self.required})


CHAT = RouteSpec(
    required={"model": _is_str, "messages": _is_list},
    optional={
        **_SAMPLING,
        "max_completion_tokens": _is_int,
        "top_logprobs": _is_int,
        "tools": _is_list,
        "tool_choice": _is_str_or_dict,
        "parallel_tool_calls": _is_bool,
        "functions": _is_list,
        "function_call": _is_str_or_dict,
        "response_format": _is_dict,
        "reasoning_effort": _is_str,
        "thinking": _is_dict,
        "safety_settings": _is_list,
        "labels": _is_dict,
        "modalities": _is_list,
        "metadata": _is_dict,
        "cached_content": _is_str,
    },
    messages=True,
)
# logprobs on /completions is an integer (top-N), unlike chat's boolean.
COMPLETIONS = RouteSpec(
    required={"model": _is_str, "prompt": _is_prompt},
    optional={**_SAMPLING, "logprobs": _is_int, "suffix": _is_str, "echo": _is_bool, "best_of": _is_int},
)
EMBEDDINGS = RouteSpec(
    required={"model": _is_str, "input": _is_embedding_input},
    optional={"dimensions": _is_int, "encoding_format": _is_str, "user": _is_str, "task_type": _is_str},
)
IMAGES = RouteSpec(
    required={"model": _is_str, "prompt": _is_str},
    optional={
        "n": _is_int,
        "size": _is_str,
        "quality": _is_str,
        "style": _is_str,
        "response_format": _is_str,
        "user": _is_str,
    },
)
SPEECH = RouteSpec(
    required={"model": _is_str, "input": _is_str},
    optional={"voice": _is_str_or_dict, "response_format": _is_str, "speed": _is_number, "instructions": _is_str},
)


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; 400 for anything else."""
    if not body:
        raise InvalidRequestError("The request body is empty; send a JSON object.", code="invalid_json")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestError(f"The request body is not valid JSON: {exc.msg}.", code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidRequestError("The request body must be a JSON object.", code="invalid_json")
    return data


def validate(data: dict[str, Any], spec: RouteSpec) -> None:
    """400 naming the first missing or mistyped field, or any key that would override credentials or target.

    One pass over the keys the client sent (usually a handful), not over every field the route knows.
    Keys sent as ``null`` are removed: in OpenAI's API null means "not given", and the Router then sees
    only parameters that carry a value.
    """
    checks = spec.checks
    nulls: list[str] = []
    for name, value in data.items():
        if value is None:
            nulls.append(name)
        check = checks.get(name)
        if check is not None:
            if value is not None and not check(value):
                raise InvalidField(f"{name!r} must be {_TYPE_NAMES[check]}.", name)
        elif _forbidden(name):
            _refuse(name)
        elif name == "extra_body" and isinstance(value, Mapping):
            _reject_nested(value)
    for name in nulls:
        del data[name]
    for name in spec.required:
        if data.get(name) is None:
            raise InvalidField(f"Missing required parameter {name!r}.", name)
    if not data["model"]:
        raise InvalidField("'model' must not be empty.", "model")
    if spec.messages:
        validate_messages(data["messages"])


def reject_overrides(data: Mapping[str, Any]) -> None:
    """400 for a key that would change the upstream credentials, project, location or base URL."""
    for key in data:
        if _forbidden(key):
            _refuse(key)
    extra = data.get("extra_body")
    if isinstance(extra, Mapping):
        _reject_nested(extra)


def _refuse(key: str) -> None:
    if key == "self" or key.startswith("_"):
        raise InvalidField(f"Unknown parameter {key!r}.", key)
    raise InvalidField(
        f"Parameter {key!r} is not allowed: the proxy decides credentials, project, location and endpoint.", key
    )


def _reject_nested(extra: Mapping[str, Any]) -> None:
    for key in extra:
        if _forbidden(key):
            raise InvalidField(
                f"Parameter 'extra_body.{key}' is not allowed: the proxy decides credentials and endpoint.",
                f"extra_body.{key}",
            )


def validate_messages(messages: list[Any]) -> None:
    """Each message an object with a string role, and content a string, an array of parts or null."""
    if not messages:
        raise InvalidField("'messages' must contain at least one message.", "messages")
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InvalidField(f"{where} must be an object.", where)
        if not isinstance(message.get("role"), str):
            raise InvalidField(f"{where}.role must be a string.", f"{where}.role")
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise InvalidField(f"{where}.content must be a string, an array of parts or null.", f"{where}.content")
        if isinstance(content, list):
            for part_index, part in enumerate(content):
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    param = f"{where}.content[{part_index}]"
                    raise InvalidField(f"{param} must be an object with a string 'type'.", param)
        tool_calls = message.get("tool_calls")
        if tool_calls is not None and not (
            isinstance(tool_calls, list) and all(isinstance(c, dict) for c in tool_calls)
        ):
            raise InvalidField(f"{where}.tool_calls must be an array of objects.", f"{where}.tool_calls")


def _forbidden(key: str) -> bool:
    return key in FORBIDDEN_KEYS or key.startswith(FORBIDDEN_PREFIXES) or key == "self" or key.startswith("_")
