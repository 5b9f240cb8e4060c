"""The proxy's OpenAPI 3.1 document: request shapes written here, response shapes taken from router.types.

``schemas/openapi.json`` is this document, checked in; a test fails when the two drift.
Regenerate with ``python -m router.proxy.openapi > schemas/openapi.json``.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from pydantic import BaseModel

from router.jobs.fine_tuning import ADAPTER_SIZES
from router.jobs.types import Batch, FileDeleted, FileObject, FineTuningJob
from router.proxy.jobs import PROVIDERS, UPLOAD_PURPOSES
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
# The jobs routes answer from Cloud Storage and Vertex job resources, not model groups: their own wording.
_JOBS_ERROR_STATUSES = {
    **_ERROR_STATUSES,
    "400": "Malformed JSON or form, a wrong type, an unknown field, an id that is not a gs:// URI in the "
    "configured bucket or not a Vertex job id (param names the field).",
    "403": "Vertex or Cloud Storage refused the proxy's credentials.",
    "404": "Unknown file, batch or fine-tuning job (or route).",
    "413": "The request body or upload is larger than the proxy's limit.",
    "429": "Vertex or Cloud Storage rate limited the call; see Retry-After.",
    "500": "Internal error, or the config names no bucket or project for files and jobs (details in the log).",
    "501": "The Router behind the proxy has no files, batches and fine-tuning API.",
    "503": "Vertex or Cloud Storage is unavailable.",
}
_JOBS_READ_STATUSES = ("400", "401", "403", "404", "408", "429", "500", "501", "502", "503")
_JOBS_WRITE_STATUSES = ("400", "401", "403", "404", "408", "413", "429", "500", "501", "502", "503")


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
        FileObject,
        FileDeleted,
        Batch,
        FineTuningJob,
    )
    for model in models:
        schema = model.model_json_schema(ref_template=_REF, mode="serialization")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def _errors(statuses: tuple[str, ...], descriptions: dict[str, str] = _ERROR_STATUSES) -> dict[str, Any]:
    return {
        code: {
            "description": descriptions[code],
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


# ---------------------------------------------------------------------- files, batches, fine-tuning

_GCS_URI = {
    "type": "string",
    "pattern": "^gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]/.+$",
    "description": "A file id: the gs:// URI of an object in the configured bucket.",
}
_PROVIDER = {"type": "string", "enum": list(PROVIDERS), "description": "Only Vertex is served here."}
_AUTO = {"const": "auto"}


def _jobs_request_schemas() -> dict[str, Any]:
    adapter = [*ADAPTER_SIZES, *(f"ADAPTER_SIZE_{word}" for word in ADAPTER_SIZES.values())]
    hyperparameters = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "n_epochs": {"anyOf": [{"type": "integer", "minimum": 1}, _AUTO]},
            "learning_rate_multiplier": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, _AUTO]},
            "adapter_size": {"enum": adapter},
            "batch_size": {**_AUTO, "description": "Vertex tuning has no batch size; only 'auto' is accepted."},
        },
    }
    return {
        "FileUpload": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary", "description": "A part with a filename."},
                "purpose": {
                    "type": "string",
                    "enum": list(UPLOAD_PURPOSES),
                    "default": "batch",
                    "description": "batch: OpenAI batch JSONL, checked and converted to Vertex rows; fine-tune: "
                    "chat JSONL, converted to Vertex tuning rows; others are stored as sent.",
                },
                "custom_llm_provider": _PROVIDER,
            },
        },
        "BatchCreateRequest": {
            "type": "object",
            "required": ["input_file_id"],
            "additionalProperties": False,
            "description": "Null fields count as absent; any other field is refused.",
            "properties": {
                "input_file_id": _GCS_URI,
                "endpoint": {
                    "type": "string",
                    "enum": ["/v1/chat/completions", "/v1/embeddings", "/chat/completions", "/embeddings"],
                },
                "completion_window": {"type": "string", "description": "Accepted for OpenAI clients; ignored."},
                "metadata": {"type": "object", "additionalProperties": _STR},
                "model": {"type": "string", "description": "Overrides the model the input file was converted for."},
                "custom_llm_provider": _PROVIDER,
            },
        },
        "FineTuningJobCreateRequest": {
            "type": "object",
            "required": ["model", "training_file"],
            "additionalProperties": False,
            "description": "Null fields count as absent; any other field is refused.",
            "properties": {
                "model": {"type": "string", "minLength": 1, "description": "The Vertex base model to tune."},
                "training_file": _GCS_URI,
                "validation_file": _GCS_URI,
                "hyperparameters": hyperparameters,
                "suffix": {"type": "string", "maxLength": 128, "description": "The tuned model's display name."},
                "custom_llm_provider": _PROVIDER,
            },
        },
        "BatchList": _list_schema("Batch"),
        "FineTuningJobList": _list_schema("FineTuningJob"),
    }


def _list_schema(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["object", "data", "has_more"],
        "properties": {
            "object": {"const": "list"},
            "data": {"type": "array", "items": _ref(item)},
            "first_id": _nullable(_STR),
            "last_id": _nullable(_STR),
            "has_more": _BOOL,
            "next_page_token": {**_nullable(_STR), "description": "Vertex's page token; `after` takes it too."},
        },
    }


def _id_param(name: str, description: str, pattern: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": pattern},
        "description": description + " It contains slashes: send them percent-encoded (%2F) or as they are; "
        "the proxy matches the decoded path.",
    }


_FILE_ID = _id_param("file_id", "The file's gs:// URI.", _GCS_URI["pattern"])
_JOB_NUMBER = "[0-9]{1,32}"
_BATCH_ID = _id_param(
    "batch_id",
    "The batch id (the Vertex batchPredictionJob number) or its resource name.",
    f"^({_JOB_NUMBER}|projects/[a-z0-9-]{{1,63}}/locations/[a-z0-9-]{{1,63}}/batchPredictionJobs/{_JOB_NUMBER})$",
)
_TUNING_ID = _id_param(
    "fine_tuning_job_id",
    "The job's Vertex resource name projects/P/locations/L/tuningJobs/N (or N alone).",
    f"^({_JOB_NUMBER}|projects/[a-z0-9-]{{1,63}}/locations/[a-z0-9-]{{1,63}}/tuningJobs/{_JOB_NUMBER})$",
)
_PAGING = [
    {"name": "after", "in": "query", "schema": _STR, "description": "The previous page's last_id."},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}, "description": "Page size."},
]


def _jobs_op(summary: str, response: dict[str, Any], statuses: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": [{"bearer": []}, {"apiKey": []}],
        **extra,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": response}}},
            **_errors(statuses, _JOBS_ERROR_STATUSES),
        },
    }


def _json_body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _jobs_paths() -> dict[str, Any]:
    """OpenAI's files, batches and fine-tuning routes (router/proxy/jobs.py), backed by Cloud Storage and Vertex."""
    upload = {"required": True, "content": {"multipart/form-data": {"schema": _ref("FileUpload")}}}
    content = _jobs_op("The file's bytes (batch output as OpenAI batch output lines).", _STR, _JOBS_READ_STATUSES)
    content["responses"]["200"]["content"] = {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
    }
    read, write = _JOBS_READ_STATUSES, _JOBS_WRITE_STATUSES
    return {
        "/v1/files": {
            "post": _jobs_op("Upload a file to the configured bucket.", _ref("FileObject"), write, requestBody=upload)
        },
        "/v1/files/{file_id}": {
            "parameters": [_FILE_ID],
            "get": _jobs_op("A file's metadata.", _ref("FileObject"), read),
            "delete": _jobs_op("Delete a file.", _ref("FileDeleted"), read),
        },
        "/v1/files/{file_id}/content": {"parameters": [_FILE_ID], "get": content},
        "/v1/batches": {
            "post": _jobs_op(
                "Start a Vertex batch prediction job.",
                _ref("Batch"),
                write,
                requestBody=_json_body("BatchCreateRequest"),
            ),
            "get": _jobs_op("One page of batches.", _ref("BatchList"), read, parameters=_PAGING),
        },
        "/v1/batches/{batch_id}": {"parameters": [_BATCH_ID], "get": _jobs_op("A batch.", _ref("Batch"), read)},
        "/v1/batches/{batch_id}/cancel": {
            "parameters": [_BATCH_ID],
            "post": _jobs_op("Cancel a batch; answers the batch as it is then.", _ref("Batch"), read),
        },
        "/v1/fine_tuning/jobs": {
            "post": _jobs_op(
                "Start a Vertex supervised tuning job.",
                _ref("FineTuningJob"),
                write,
                requestBody=_json_body("FineTuningJobCreateRequest"),
            ),
            "get": _jobs_op("One page of fine-tuning jobs.", _ref("FineTuningJobList"), read, parameters=_PAGING),
        },
        "/v1/fine_tuning/jobs/{fine_tuning_job_id}": {
            "parameters": [_TUNING_ID],
            "get": _jobs_op("A fine-tuning job.", _ref("FineTuningJob"), read),
        },
        "/v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel": {
            "parameters": [_TUNING_ID],
            "post": _jobs_op("Cancel a fine-tuning job; answers the job as it is then.", _ref("FineTuningJob"), read),
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every proxy route (each also served without the /v1 prefix)."""
    schemas = {**_response_schemas(), **_request_schemas(), **_jobs_request_schemas()}
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
            **_jobs_paths(),
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
