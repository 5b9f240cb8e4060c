"""The proxy's OpenAPI 3.1 document: request shapes written here, response shapes taken from router.types.

``schemas/openapi.json`` is this document, checked in; a test fails when the two drift.
Regenerate with ``python -m router.proxy.openapi > schemas/openapi.json``.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from pydantic import BaseModel

from router.types import ChatCompletion, ChatCompletionChunk, EmbeddingResponse, ImageResponse, TextCompletion

_REF = "#/components/schemas/{model}"
_ERROR_STATUSES = {
    "400": "Malformed JSON, a wrong type, a refused credential override (param names the field).",
    "401": "Missing or wrong API key.",
    "403": "The API key may not use this model group.",
    "404": "Unknown model group.",
    "408": "The upstream call timed out.",
    "413": "The request body is larger than the proxy's limit.",
    "429": "Rate limited (the key's rpm, or every deployment is rate limited); see Retry-After.",
    "500": "Internal error (generic message; details are in the proxy's log under x-request-id).",
    "502": "The upstream answered with an error.",
    "503": "Every deployment of the model group failed or is cooling down; see Retry-After.",
}
_AUTH_STATUSES = ("400", "401", "403", "404", "408", "413", "429", "500", "502", "503")


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_NUMBER = {"type": "number"}
_INT = {"type": "integer"}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_OBJ = {"type": "object"}
_STR_LIST = {"anyOf": [_STR, {"type": "array", "items": _STR}]}
_PROMPT = {
    "anyOf": [
        _STR,
        {"type": "array", "items": {"anyOf": [_STR, _INT, {"type": "array", "items": _INT}]}},
    ]
}
_MODEL = {"type": "string", "minLength": 1, "description": "A model group name from GET /v1/models."}
_SAMPLING = {
    "stream": _BOOL,
    "temperature": _NUMBER,
    "top_p": _NUMBER,
    "n": _INT,
    "max_tokens": _INT,
    "stop": _STR_LIST,
    "presence_penalty": _NUMBER,
    "frequency_penalty": _NUMBER,
    "seed": _INT,
    "user": _STR,
    "stream_options": _OBJ,
}


def _request_schemas() -> dict[str, Any]:
    message = {
        "type": "object",
        "required": ["role"],
        "properties": {
            "role": {"type": "string", "enum": ["system", "developer", "user", "assistant", "tool", "function"]},
            "content": {
                "anyOf": [
                    _STR,
                    {"type": "array", "items": {"type": "object", "required": ["type"], "properties": {"type": _STR}}},
                    {"type": "null"},
                ]
            },
            "name": _STR,
            "tool_call_id": _STR,
            "tool_calls": {"type": "array", "items": _OBJ},
        },
    }
    vertex_extras = (
        "Vertex extras pass through to the router: safety_settings, thinking, reasoning_effort, labels, "
        "cached_content, response_format.response_schema, enforce_validation. Keys that would override "
        "credentials, project, location or endpoint (vertex_*, api_base, base_url, api_key, ...) are refused."
    )
    return {
        "ChatMessage": message,
        "ChatCompletionRequest": {
            "type": "object",
            "description": vertex_extras,
            "required": ["model", "messages"],
            "properties": {
                "model": _MODEL,
                "messages": {"type": "array", "minItems": 1, "items": _ref("ChatMessage")},
                **_SAMPLING,
                "logprobs": _BOOL,
                "top_logprobs": _INT,
                "max_completion_tokens": _INT,
                "tools": {"type": "array", "items": _OBJ},
                "tool_choice": {"anyOf": [_STR, _OBJ]},
                "parallel_tool_calls": _BOOL,
                "response_format": _OBJ,
                "reasoning_effort": _STR,
                "thinking": _OBJ,
                "safety_settings": {"type": "array", "items": _OBJ},
                "labels": {"type": "object", "additionalProperties": _STR},
                "cached_content": _STR,
            },
        },
        "CompletionRequest": {
            "type": "object",
            "description": "Text completion; with `suffix` a fill-in-the-middle request (Codestral).",
            "required": ["model", "prompt"],
            "properties": {
                "model": _MODEL,
                "prompt": _PROMPT,
                "suffix": _STR,
                "echo": _BOOL,
                "logprobs": _INT,
                **_SAMPLING,
            },
        },
        "EmbeddingRequest": {
            "type": "object",
            "required": ["model", "input"],
            "properties": {
                "model": _MODEL,
                "input": _PROMPT,
                "dimensions": _INT,
                "encoding_format": {"type": "string", "enum": ["float", "base64"]},
                "user": _STR,
                "task_type": _STR,
            },
        },
        "ImageGenerationRequest": {
            "type": "object",
            "required": ["model", "prompt"],
            "properties": {
                "model": _MODEL,
                "prompt": _STR,
                "n": _INT,
                "size": _STR,
                "quality": _STR,
                "style": _STR,
                "response_format": {"type": "string", "enum": ["b64_json", "url"]},
                "user": _STR,
            },
        },
        "SpeechRequest": {
            "type": "object",
            "required": ["model", "input"],
            "properties": {
                "model": _MODEL,
                "input": _STR,
                "voice": {"anyOf": [_STR, _OBJ]},
                "response_format": _STR,
                "speed": _NUMBER,
                "instructions": _STR,
            },
        },
        "Model": {
            "type": "object",
            "required": ["id", "object", "created", "owned_by"],
            "properties": {"id": _STR, "object": {"const": "model"}, "created": _INT, "owned_by": _STR},
        },
        "ModelList": {
            "type": "object",
            "required": ["object", "data"],
            "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": _ref("Model")}},
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["message", "type", "param", "code"],
                    "properties": {
                        "message": _STR,
                        "type": _STR,
                        "param": _nullable(_STR),
                        "code": _nullable(_STR),
                    },
                }
            },
        },
    }


def _response_schemas() -> dict[str, Any]:
    out: dict[str, Any] = {}
    models: tuple[type[BaseModel], ...] = (
        ChatCompletion,
        ChatCompletionChunk,
        TextCompletion,
        EmbeddingResponse,
        ImageResponse,
    )
    for model in models:
        schema = model.model_json_schema(ref_template=_REF, mode="serialization")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def _errors(statuses: tuple[str, ...]) -> dict[str, Any]:
    return {
        code: {
            "description": _ERROR_STATUSES[code],
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        for code in statuses
    }


_ROUTER_HEADERS = {
    "x-request-id": {"description": "Echoed from the request or generated.", "schema": _STR},
    "x-router-deployment": {"description": "The deployment that answered.", "schema": _STR},
    "x-router-attempts": {"description": "Upstream attempts this request took.", "schema": _STR},
    "x-router-overhead-ms": {"description": "Time the proxy and router added, in ms.", "schema": _STR},
}


def _model_route(summary: str, request: str, response: str, *, stream: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": _ref(response)}}
    if stream:
        content["text/event-stream"] = {
            "schema": _STR,
            "description": "With stream=true: `data: {ChatCompletionChunk}` events, then `data: [DONE]`.",
        }
    return {
        "post": {
            "summary": summary,
            "security": [{"bearer": []}, {"apiKey": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(request)}}},
            "responses": {
                "200": {"description": "OK", "headers": _ROUTER_HEADERS, "content": content},
                **_errors(_AUTH_STATUSES),
            },
        }
    }


def _speech_route() -> dict[str, Any]:
    route = _model_route("Text to speech (binary audio).", "SpeechRequest", "Error")
    route["post"]["responses"]["200"]["content"] = {
        f"audio/{kind}": {"schema": {"type": "string", "format": "binary"}} for kind in ("mpeg", "wav", "ogg", "L16")
    }
    return route


def _get_route(summary: str, schema: dict[str, Any], *, auth: bool, media: str = "application/json") -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {"200": {"description": "OK", "content": {media: {"schema": schema}}}},
    }
    if auth:
        op["security"] = [{"bearer": []}, {"apiKey": []}]
        op["responses"].update(_errors(("401",)))
    return {"get": op}


def _passthrough_route() -> dict[str, Any]:
    """Native Vertex REST, forwarded with the proxy's credentials; bodies and answers are Google's, unchanged."""
    param = {
        "name": "path",
        "in": "path",
        "required": True,
        "schema": _STR,
        "description": "The Vertex REST path, e.g. v1/projects/P/locations/L/publishers/google/models/M:predict",
    }
    responses = {
        "200": {"description": "Vertex's answer, unchanged (JSON, or SSE for streaming methods)."},
        **_errors(("401", "413")),
    }
    op = {"security": [{"bearer": []}, {"apiKey": []}], "parameters": [param], "responses": responses}
    body = {"requestBody": {"content": {"application/json": {"schema": _OBJ}}}}
    return {
        "get": {**op, "summary": "Vertex pass-through (GET)."},
        "delete": {**op, "summary": "Vertex pass-through (DELETE)."},
        "post": {**op, **body, "summary": "Vertex pass-through (POST)."},
        "put": {**op, **body, "summary": "Vertex pass-through (PUT)."},
        "patch": {**op, **body, "summary": "Vertex pass-through (PATCH)."},
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every proxy route (each also served without the /v1 prefix)."""
    schemas = {**_response_schemas(), **_request_schemas()}
    readiness = {"type": "object", "required": ["status"], "properties": {"status": _STR}}
    readiness_route = _get_route("Config loaded and tokens obtainable (no model call).", readiness, auth=False)
    readiness_route["get"]["responses"]["503"] = {
        "description": "Upstream credentials are not usable.",
        "content": {"application/json": {"schema": readiness}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "vertex-router proxy",
            "version": "0.1.0",
            "description": "OpenAI-compatible API in front of Google Vertex AI. Every /v1 route is also served "
            "without the prefix. /vertex-ai/{path} forwards native Vertex REST calls with the proxy's credentials.",
        },
        "paths": {
            "/v1/chat/completions": _model_route(
                "Chat completion (stream with SSE).", "ChatCompletionRequest", "ChatCompletion", stream=True
            ),
            "/v1/completions": _model_route(
                "Text completion and fill-in-the-middle.", "CompletionRequest", "TextCompletion", stream=True
            ),
            "/v1/embeddings": _model_route("Embeddings.", "EmbeddingRequest", "EmbeddingResponse"),
            "/v1/images/generations": _model_route("Image generation.", "ImageGenerationRequest", "ImageResponse"),
            "/v1/audio/speech": _speech_route(),
            "/v1/models": _get_route("Model groups this key may use.", _ref("ModelList"), auth=True),
            "/health/liveliness": _get_route("The process is up.", _STR, auth=False),
            "/health/readiness": readiness_route,
            "/metrics": _get_route("Prometheus metrics.", _STR, auth=False, media="text/plain"),
            "/vertex-ai/{path}": _passthrough_route(),
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
        },
    }


def render() -> bytes:
    """The document as written to schemas/openapi.json (sorted keys, indented, trailing newline)."""
    return orjson.dumps(openapi_document(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


if __name__ == "__main__":
    sys.stdout.buffer.write(render())
