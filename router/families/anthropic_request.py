"""OpenAI chat request → Anthropic Messages body for Claude on Vertex (``:rawPredict`` / ``:streamRawPredict``).

Vertex differences from Anthropic's own API: no ``model`` in the body (it is in the URL) and
``anthropic_version`` in the body (``vertex-2023-10-16``; a deployment may set another via
``options.anthropic_version`` or the ``anthropic_version`` param).

Choices worth knowing:
- ``max_tokens`` is required by Anthropic. Absent → the model's documented output limit (4096 for the Claude 3
  generation, 8192 for 3.5, 32000/64000 for 3.7 and 4.x; 4096 for names we do not know).
- ``thinking`` passes through; ``reasoning_effort`` → ``thinking {type: enabled, budget_tokens}`` with
  minimal/low 1024, medium 2048, high 4096 (``none`` turns it off). Anthropic needs ``budget_tokens <
  max_tokens``: when the caller's ``max_tokens`` is not above the budget it is read as the answer's share and the
  budget is added on top; the total is capped at the model's limit.
- ``response_format: json_schema`` → a tool ``json_tool_call`` whose ``input_schema`` is the schema, forced with
  ``tool_choice`` (works on every Claude on Vertex; Vertex's native structured output exists only for the newest
  models). When forcing is impossible (extended thinking, or the caller's own tools) the tool is offered and
  the system prompt asks for it. The answer's tool input is returned as ``message.content``.
  ``json_object`` without a schema has no Anthropic equivalent and sends nothing.
- Images: ``data:`` URLs → ``base64`` sources; PDFs (``file`` parts, PDF data URLs) → ``document`` blocks.
  http(s) URLs are inlined by the family's ``prepare`` step (Vertex refuses ``url`` sources); a URL that
  reaches this builder anyway becomes a ``url`` source. ``cache_control`` on parts, messages, system and tools is
  passed through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from router.errors import InvalidRequestError, UnsupportedParamError
from router.families.base import CallRequest, Target, drop_or_reject
from router.families.media import normalize_mime
from router.families.openai_compat_wire import GEMINI_ONLY

VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
JSON_TOOL = "json_tool_call"
DEFAULT_MAX_TOKENS = 4096
_MIN_BUDGET = 1024
_EFFORT_BUDGET = {"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096}
_EFFORT_OFF = frozenset({"none", "disable", "disabled"})

# Documented output limits, most specific prefix first.
_MAX_OUTPUT: tuple[tuple[str, int], ...] = (
    ("claude-3-5-haiku", 8192),
    ("claude-3-5-sonnet", 8192),
    ("claude-3-7-sonnet", 64000),
    ("claude-3-haiku", 4096),
    ("claude-3-opus", 4096),
    ("claude-3-sonnet", 4096),
    ("claude-opus-4-1", 32000),
    ("claude-opus-4@", 32000),
    ("claude-opus-4", 64000),
    ("claude-sonnet-4", 64000),
    ("claude-haiku-4", 64000),
)
_THINKING_PREFIXES = ("claude-3-7-sonnet", "claude-sonnet-4", "claude-opus-4", "claude-haiku-4")

BASE_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "top_k",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "user",
        "stream_options",
        "anthropic_version",
        "anthropic_beta",
        "extra_body",
    }
)
THINKING_PARAMS = frozenset({"thinking", "reasoning_effort"})
_ALWAYS_OK = frozenset({"messages", "model", "stream"}) | GEMINI_ONLY
_NATIVE_PARTS = frozenset(
    {"image", "document", "tool_result", "tool_use", "thinking", "redacted_thinking", "search_result"}
)


def max_output(model: str) -> int | None:
    lowered = model.lower()
    for prefix, limit in _MAX_OUTPUT:
        if lowered.startswith(prefix):
            return limit
    return None


def supports_thinking(model: str) -> bool:
    return model.lower().startswith(_THINKING_PREFIXES)


def supported_params(target: Target) -> frozenset[str]:
    return BASE_PARAMS | THINKING_PARAMS if supports_thinking(target.model) else BASE_PARAMS


def json_mode(request: CallRequest) -> bool:
    fmt = request.params.get("response_format")
    return isinstance(fmt, Mapping) and fmt.get("type") == "json_schema"


def build_body(request: CallRequest, target: Target) -> dict[str, Any]:
    raw = dict(request.params)
    if raw.get("n") in (None, 1):
        raw.pop("n", None)  # one choice is all Claude gives; n=1 is harmless
    params = drop_or_reject(raw, supported_params(target), target, always_ok=_ALWAYS_OK)
    thinking = thinking_config(params)
    if thinking is not None:
        _check_sampling_with_thinking(params, target)
    system, messages = convert_messages(request.messages)
    version = params.get("anthropic_version") or target.options.get("anthropic_version") or VERTEX_ANTHROPIC_VERSION
    body: dict[str, Any] = {"anthropic_version": version, "messages": messages}
    max_tokens, thinking = fit_max_tokens(_requested_max(params), thinking, target.model)
    body["max_tokens"] = max_tokens
    for key in ("temperature", "top_p", "top_k"):
        if params.get(key) is not None:
            body[key] = params[key]
    stop = params.get("stop")
    if stop:
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    tools, tool_choice, hint = _tools_and_choice(params, thinking)
    if hint:
        system.append({"type": "text", "text": hint})
    if system:
        body["system"] = system
    if tools:
        body["tools"] = tools
    if tool_choice:
        body["tool_choice"] = tool_choice
    if thinking is not None:
        body["thinking"] = thinking
    if params.get("user"):
        body["metadata"] = {"user_id": str(params["user"])}
    if params.get("anthropic_beta"):
        beta = params["anthropic_beta"]
        body["anthropic_beta"] = [beta] if isinstance(beta, str) else list(beta)
    if request.stream:
        body["stream"] = True
    extra = params.get("extra_body")
    if isinstance(extra, Mapping):
        body.update(extra)
    return body


def _requested_max(params: Mapping[str, Any]) -> int | None:
    value = params.get("max_completion_tokens")
    if value is None:
        value = params.get("max_tokens")
    return int(value) if value is not None else None


# ---------------------------------------------------------------------------------------------------------------
# thinking


def thinking_config(params: Mapping[str, Any]) -> dict[str, Any] | None:
    thinking = params.get("thinking")
    if thinking is not None:
        if not isinstance(thinking, Mapping) or "type" not in thinking:
            raise InvalidRequestError("'thinking' must be an object like {'type': 'enabled', 'budget_tokens': 1024}")
        config = dict(thinking)
        if config["type"] == "enabled" and config.get("budget_tokens") is None:
            config["budget_tokens"] = _MIN_BUDGET
        return config if config["type"] != "disabled" else None
    effort = params.get("reasoning_effort")
    if effort is None or effort in _EFFORT_OFF:
        return None
    if effort not in _EFFORT_BUDGET:
        raise InvalidRequestError(
            f"reasoning_effort {effort!r} is not one of {', '.join(_EFFORT_BUDGET)}", param="reasoning_effort"
        )
    return {"type": "enabled", "budget_tokens": _EFFORT_BUDGET[effort]}


def fit_max_tokens(
    requested: int | None, thinking: dict[str, Any] | None, model: str
) -> tuple[int, dict[str, Any] | None]:
    limit = max_output(model)
    default = limit or DEFAULT_MAX_TOKENS
    budget = thinking.get("budget_tokens") if thinking else None
    if not isinstance(budget, int):
        return (requested if requested is not None else default), thinking
    if requested is None:
        total = default if default > budget else budget + DEFAULT_MAX_TOKENS
    elif requested > budget:
        total = requested
    else:
        total = budget + requested  # the caller's limit is the answer's share; thinking gets its budget on top
    if limit is not None and total > limit:
        total = limit
        if budget >= total:
            answer = min(requested or DEFAULT_MAX_TOKENS, total // 2)
            budget = max(_MIN_BUDGET, total - answer)
    assert thinking is not None
    return total, {**thinking, "budget_tokens": budget}


def _check_sampling_with_thinking(params: dict[str, Any], target: Target) -> None:
    """Extended thinking only runs with the default sampling; say so before Anthropic answers 400."""
    conflicts = {
        "temperature": params.get("temperature") not in (None, 1, 1.0),
        "top_k": params.get("top_k") is not None,
    }
    for key, conflict in conflicts.items():
        if not conflict:
            continue
        if target.drop_params:
            params.pop(key)
        else:
            raise UnsupportedParamError(
                key, target.family, "Claude's extended thinking requires temperature 1 and no top_k."
            )


# ---------------------------------------------------------------------------------------------------------------
# tools


def _tools_and_choice(
    params: Mapping[str, Any], thinking: dict[str, Any] | None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, str | None]:
    user_tools = [convert_tool(t) for t in params.get("tools") or []]
    choice = convert_tool_choice(params.get("tool_choice"), params.get("parallel_tool_calls"))
    fmt = params.get("response_format")
    if not (isinstance(fmt, Mapping) and fmt.get("type") == "json_schema"):
        return user_tools, choice, None
    spec = fmt.get("json_schema") or {}
    schema = dict(spec.get("schema") or {"type": "object"})
    schema.setdefault("type", "object")
    json_tool = {
        "name": JSON_TOOL,
        "description": spec.get("description") or "Give the final answer as this tool's input, matching the schema.",
        "input_schema": schema,
    }
    if thinking is None and not user_tools:
        return [json_tool], {"type": "tool", "name": JSON_TOOL}, None
    # Anthropic refuses forced tool use with extended thinking; offer the tool and ask for it instead.
    hint = f"Give your final answer by calling the {JSON_TOOL} tool; do not answer in plain text."
    return [*user_tools, json_tool], choice, hint


def convert_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    if tool.get("type") != "function":
        return dict(tool)  # Anthropic-native tools (web search, text editor, ...) go through as given
    fn = tool.get("function") or {}
    if not fn.get("name"):
        raise InvalidRequestError("every tool needs function.name", param="tools")
    schema = dict(fn.get("parameters") or {"type": "object", "properties": {}})
    schema.setdefault("type", "object")
    out: dict[str, Any] = {"name": fn["name"]}
    if fn.get("description"):
        out["description"] = fn["description"]
    out["input_schema"] = schema
    cache = tool.get("cache_control") or fn.get("cache_control")
    if cache:
        out["cache_control"] = cache
    return out


def convert_tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    out: dict[str, Any] | None
    if choice is None:
        out = None
    elif choice in ("auto", "none"):
        out = {"type": choice}
    elif choice in ("required", "any"):
        out = {"type": "any"}
    elif isinstance(choice, Mapping) and (choice.get("function") or {}).get("name"):
        out = {"type": "tool", "name": choice["function"]["name"]}
    elif isinstance(choice, Mapping) and choice.get("type") in ("auto", "any", "tool", "none"):
        out = dict(choice)
    else:
        raise InvalidRequestError(f"tool_choice {choice!r} is not understood", param="tool_choice")
    if parallel is False:
        out = {**(out or {"type": "auto"}), "disable_parallel_tool_use": True}
    return out


# ---------------------------------------------------------------------------------------------------------------
# messages


def convert_messages(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system blocks, alternating user/assistant messages); tool results join the following user turn."""
    system: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(_with_message_cache(_text_blocks(message.get("content")), message))
        elif role == "user":
            _append(out, "user", _with_message_cache(_user_blocks(message.get("content")), message))
        elif role == "assistant":
            _append(out, "assistant", _assistant_blocks(message))
        elif role == "tool":
            _append(out, "user", [_tool_result(message)])
        else:
            raise InvalidRequestError(f"message role {role!r} cannot be sent to Claude", param="messages")
    return system, out


def _append(out: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    if not blocks:
        return
    if out and out[-1]["role"] == role:
        out[-1]["content"].extend(blocks)
    else:
        out.append({"role": role, "content": blocks})


def _with_message_cache(blocks: list[dict[str, Any]], message: Mapping[str, Any]) -> list[dict[str, Any]]:
    cache = message.get("cache_control")
    if cache and blocks:
        blocks[-1] = {**blocks[-1], "cache_control": cache}
    return blocks


def _text_blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks = []
    for part in content or []:
        if isinstance(part, Mapping) and part.get("type") == "text" and part.get("text"):
            blocks.append(_keep_cache({"type": "text", "text": part["text"]}, part))
    return blocks


def _user_blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str) or content is None:
        return _text_blocks(content)
    blocks = []
    for part in content:
        block = _user_part(part)
        if block is not None:
            blocks.append(_keep_cache(block, part))
    return blocks


def _user_part(part: Any) -> dict[str, Any] | None:
    if isinstance(part, str):
        return {"type": "text", "text": part} if part else None
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "text": part["text"]} if part.get("text") else None
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        return media_block(str(url or ""))
    if kind == "file":
        file = part.get("file") or {}
        source = file.get("file_data") or file.get("file_id") or ""
        return media_block(str(source), default_kind="document")
    if kind in _NATIVE_PARTS:
        return dict(part)
    raise InvalidRequestError(f"Claude cannot take a {kind!r} content part", param="messages")


def _keep_cache(block: dict[str, Any], part: Any) -> dict[str, Any]:
    if isinstance(part, Mapping) and part.get("cache_control") and "cache_control" not in block:
        block["cache_control"] = part["cache_control"]
    return block


def media_block(url: str, *, default_kind: str = "image") -> dict[str, Any]:
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = normalize_mime(header[5:].split(";", 1)[0]) or "application/octet-stream"
        if ";base64" not in header:
            raise InvalidRequestError("Claude needs base64 data URLs (data:<type>;base64,...)", param="messages")
        kind = "document" if media_type == "application/pdf" else "image"
        return {"type": kind, "source": {"type": "base64", "media_type": media_type, "data": data}}
    if url.startswith(("https://", "http://")):
        kind = "document" if url.lower().split("?", 1)[0].endswith(".pdf") else default_kind
        return {"type": kind, "source": {"type": "url", "url": url}}
    raise InvalidRequestError(f"Claude reads media from data: URLs or http(s) URLs, not {url[:40]!r}", param="messages")


def _assistant_blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for block in message.get("thinking_blocks") or []:
        blocks.append(_thinking_block(block))
    blocks.extend(_with_message_cache(_text_blocks(message.get("content")), message))
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        blocks.append({"type": "tool_use", "id": call.get("id"), "name": fn.get("name"), "input": _arguments(fn)})
    return blocks


def _thinking_block(block: Mapping[str, Any]) -> dict[str, Any]:
    if block.get("type") == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.get("data", "")}
    out = {"type": "thinking", "thinking": block.get("thinking", "")}
    if block.get("signature") is not None:
        out["signature"] = block["signature"]
    return out


def _arguments(fn: Mapping[str, Any]) -> Any:
    raw = fn.get("arguments")
    if raw in (None, ""):
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"tool call {fn.get('name')!r} has arguments that are not JSON", param="messages"
        ) from exc


def _tool_result(message: Mapping[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": message.get("tool_call_id")}
    if isinstance(content, list):
        result["content"] = _user_blocks(content)
    else:
        result["content"] = "" if content is None else str(content)
    if message.get("cache_control"):
        result["cache_control"] = message["cache_control"]
    return result
