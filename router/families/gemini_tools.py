"""OpenAI ``tools`` / ``functions`` / ``tool_choice`` → Vertex ``tools`` + ``toolConfig``.

Function tools become one Tool object holding every ``functionDeclarations`` entry; each built-in Google tool
(``googleSearch``, ``enterpriseWebSearch``, ``googleSearchRetrieval``, ``codeExecution``, ``urlContext``,
``googleMaps``, ``retrieval``) is its own Tool object, as the API requires one kind per Tool. Built-ins may be
written camelCase or snake_case; their fields are camelCased and only those the REST reference lists are kept
(the user guide's ``{"googleSearch": {"disable_attributon": false}}`` would otherwise be a 400 for an unknown
field). Combining built-ins with functions is sent as given: Vertex decides per model whether it allows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from router.errors import InvalidRequestError
from router.families.gemini_schema import to_vertex_schema

# Built-in tools by wire name → the fields Vertex accepts on them (None = pass every field).
_BUILTIN_FIELDS: dict[str, frozenset[str] | None] = {
    "googleSearch": frozenset({"excludeDomains", "blockingConfidence", "searchTypes"}),
    "enterpriseWebSearch": frozenset({"excludeDomains", "blockingConfidence"}),
    "googleSearchRetrieval": frozenset({"dynamicRetrievalConfig"}),
    "codeExecution": frozenset(),
    "urlContext": frozenset(),
    "googleMaps": frozenset({"enableWidget", "groundingTypes"}),
    "retrieval": None,
}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


# Either spelling (``googleSearch`` / ``google_search``) → (wire name, accepted fields).
_BUILTINS = {spelling: (wire, fields) for wire, fields in _BUILTIN_FIELDS.items() for spelling in (wire, _snake(wire))}
# OpenAI's hosted web search maps onto Google Search grounding.
_OPENAI_SEARCH = frozenset({"web_search", "web_search_preview"})


def to_vertex_tools(tools: Any, functions: Any = None) -> list[dict[str, Any]]:
    declarations: list[dict[str, Any]] = []
    builtins: list[dict[str, Any]] = []
    for tool in tools or ():
        if not isinstance(tool, Mapping):
            raise InvalidRequestError("each tool must be an object", param="tools")
        if tool.get("type") == "function" or (tool.get("type") is None and "function" in tool):
            declarations.append(_declaration(tool.get("function")))
        elif tool.get("type") in _OPENAI_SEARCH:
            builtins.append({"googleSearch": {}})
        else:
            builtins.append(_builtin(tool))
    for fn in functions or ():
        declarations.append(_declaration(fn))
    out: list[dict[str, Any]] = [{"functionDeclarations": declarations}] if declarations else []
    out.extend(builtins)
    return out


def _declaration(fn: Any) -> dict[str, Any]:
    if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str) or not fn["name"]:
        raise InvalidRequestError("function tools need a name", param="tools")
    decl: dict[str, Any] = {"name": fn["name"]}
    if isinstance(fn.get("description"), str) and fn["description"]:
        decl["description"] = fn["description"]
    params = fn.get("parameters")
    if isinstance(params, Mapping) and params:
        schema = to_vertex_schema(params)
        # A function without arguments is declared without parameters: Vertex rejects an OBJECT with no properties.
        if schema.get("type") != "OBJECT" or schema.get("properties"):
            decl["parameters"] = schema
    return decl


def _builtin(tool: Mapping[str, Any]) -> dict[str, Any]:
    keys = [k for k in tool if k != "type"]
    if len(keys) != 1 or keys[0] not in _BUILTINS:
        shown = ", ".join(sorted(keys)) or tool.get("type")
        raise InvalidRequestError(
            f"unknown tool {shown!r}: expected a function tool or one of googleSearch, enterpriseWebSearch, "
            "googleSearchRetrieval, codeExecution, urlContext, googleMaps, retrieval",
            param="tools",
        )
    wire, allowed = _BUILTINS[keys[0]]
    value = tool[keys[0]]
    config = camelize(value) if isinstance(value, Mapping) else {}
    if allowed is not None:
        config = {k: v for k, v in config.items() if k in allowed}
    return {wire: config}


def camelize(value: Any) -> Any:
    """snake_case keys → camelCase, recursively (Vertex's JSON names)."""
    if isinstance(value, Mapping):
        return {camel(k): camelize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value


def camel(key: str) -> str:
    if "_" not in key:
        return key
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def to_tool_config(tool_choice: Any, *, param: str = "tool_choice") -> dict[str, Any] | None:
    """OpenAI ``tool_choice`` (or legacy ``function_call``) → ``toolConfig``."""
    if tool_choice is None:
        return None
    if isinstance(tool_choice, str):
        mode = {"auto": "AUTO", "none": "NONE", "required": "ANY", "any": "ANY"}.get(tool_choice)
        if mode is None:
            raise InvalidRequestError(
                f"{param} {tool_choice!r} is not one of auto, none, required or a named function", param=param
            )
        return {"functionCallingConfig": {"mode": mode}}
    if isinstance(tool_choice, Mapping):
        fn = tool_choice.get("function") if "function" in tool_choice else tool_choice
        name = fn.get("name") if isinstance(fn, Mapping) else None
        if isinstance(name, str) and name:
            return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}
    raise InvalidRequestError(f"{param} must be auto, none, required or {{'type': 'function', ...}}", param=param)
