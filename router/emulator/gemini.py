"""Gemini: ``generateContent``, ``streamGenerateContent`` (SSE with ``alt=sse``, else a JSON array), ``countTokens``.

Requests are checked the way Vertex checks them (discovery-document schema, roles, empty contents, cached
content rules, context window) and answered deterministically from the request (see ``synth``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from router.emulator.call import Call
from router.emulator.contents import (
    all_text,
    declarations,
    has_search_tool,
    pick,
    request_contents,
    token_details,
    trailing_model_text,
)
from router.emulator.errors import Reply, StreamReply, bad_request, json_reply, unable_to_submit
from router.emulator.gemini_checks import Prepared, check, schema_problem
from router.emulator.synth import (
    MARK_BLOCK,
    MARK_CALL_TOOL,
    MARK_NO_PREFILL,
    MARK_SAFETY_STOP,
    NO_PREFILL_MESSAGE,
    answer_for,
    apply_stop,
    b64,
    chunk_words,
    continuation,
    count_tokens,
    digest,
    rfc3339,
    sample_for_schema,
    truncate_tokens,
)

_SAFETY_CATEGORIES = (
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
)


# ---------------------------------------------------------------------------------------------------- answer


def compose(prepared: Prepared, call: Call) -> Prepared:
    """Decide the answer: blocked, a function call, JSON, or echoed text; plus thoughts and grounding."""
    body = prepared.body
    request_text = all_text(request_contents(body))
    if MARK_BLOCK in request_text:
        prepared.blocked = True
        return prepared
    config = pick(body, "generationConfig") or {}
    source = prepared.cache.body if prepared.cache else body
    tools = pick(source, "tools")
    thinking = pick(config, "thinkingConfig") or {}
    if pick(thinking, "includeThoughts") and pick(thinking, "thinkingBudget") != 0:
        prepared.thought = f"Thinking about: {prepared.user_text}".strip()
    forced = _forced_function(pick(source, "toolConfig"), tools, prepared.user_text)
    if forced is not None:
        schema = pick(forced, "parametersJsonSchema") or pick(forced, "parameters") or {}
        prepared.call = {"name": forced.get("name", ""), "args": sample_for_schema(schema)}
        return prepared
    prefill = trailing_model_text(pick(body, "contents") or [])
    text = continuation(_text_answer(config, prepared.user_text), prefill)
    text, stop = apply_stop(text, pick(config, "stopSequences"))
    limit = pick(config, "maxOutputTokens")
    text, cut = truncate_tokens(text, int(limit) if isinstance(limit, int | str) and str(limit).isdigit() else None)
    prepared.text = text
    prepared.finish = "MAX_TOKENS" if cut and not stop else "STOP"
    if MARK_SAFETY_STOP in request_text:
        prepared.finish = "SAFETY"
    if has_search_tool(tools):
        prepared.grounding = _grounding(prepared.user_text, text)
    return prepared


def _forced_function(tool_config: Any, tools: Any, user_text: str) -> Mapping[str, Any] | None:
    decls = declarations(tools)
    if not decls:
        return None
    calling = pick(tool_config, "functionCallingConfig") or {}
    mode = str(pick(calling, "mode") or "AUTO").upper()
    if mode == "NONE" or (mode not in ("ANY", "VALIDATED") and MARK_CALL_TOOL not in user_text):
        return None
    if mode == "VALIDATED" and MARK_CALL_TOOL not in user_text:
        return None
    allowed = pick(calling, "allowedFunctionNames") or []
    return next((d for d in decls if not allowed or d.get("name") in allowed), decls[0])


def _text_answer(config: Any, user_text: str) -> str:
    mime = str(pick(config, "responseMimeType") or "")
    if mime != "application/json":
        return answer_for(user_text)
    schema = pick(config, "responseJsonSchema") or pick(config, "responseSchema")
    value = sample_for_schema(schema) if schema else {"echo": user_text}
    return orjson.dumps(value).decode()


def _grounding(query: str, text: str) -> dict[str, Any]:
    uri = f"https://vertexaisearch.cloud.google.com/grounding-api-redirect/{digest(query)[:24]}"
    return {
        "webSearchQueries": [query],
        "searchEntryPoint": {"renderedContent": f'<div class="container">{query}</div>'},
        "groundingChunks": [{"web": {"uri": uri, "title": "example.com", "domain": "example.com"}}],
        "groundingSupports": [
            {
                "segment": {"startIndex": 0, "endIndex": len(text.encode()), "text": text},
                "groundingChunkIndices": [0],
                "confidenceScores": [0.9],
            }
        ],
        "retrievalMetadata": {},
    }


def _parts(prepared: Prepared) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if prepared.thought:
        parts.append({"text": prepared.thought, "thought": True})
    if prepared.call is not None:
        part: dict[str, Any] = {"functionCall": prepared.call}
        if prepared.thought is not None:
            part["thoughtSignature"] = b64(digest(prepared.call).encode()[:32])
        parts.append(part)
    elif prepared.text is not None and prepared.finish != "SAFETY":
        parts.append({"text": prepared.text})
    return parts


def _safety_ratings(blocked: bool) -> list[dict[str, Any]]:
    ratings: list[dict[str, Any]] = [
        {"category": c, "probability": "NEGLIGIBLE", "severity": "HARM_SEVERITY_NEGLIGIBLE"} for c in _SAFETY_CATEGORIES
    ]
    if blocked:
        ratings[1] = {
            "category": ratings[1]["category"],
            "probability": "HIGH",
            "severity": "HARM_SEVERITY_HIGH",
            "blocked": True,
        }
    return ratings


def usage(prepared: Prepared) -> dict[str, Any]:
    prompt = sum(prepared.prompt_tokens.values())
    out = (
        0
        if prepared.blocked
        else count_tokens(prepared.text or "")
        + (count_tokens(orjson.dumps(prepared.call).decode()) if prepared.call else 0)
    )
    thoughts = count_tokens(prepared.thought or "")
    meta: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": out,
        "totalTokenCount": prompt + out + thoughts,
        "trafficType": "ON_DEMAND",
        "promptTokensDetails": [{"modality": m, "tokenCount": n} for m, n in sorted(prepared.prompt_tokens.items())],
    }
    if out:
        meta["candidatesTokensDetails"] = [{"modality": "TEXT", "tokenCount": out}]
    if thoughts:
        meta["thoughtsTokenCount"] = thoughts
    if prepared.cached_tokens:
        meta["cachedContentTokenCount"] = prepared.cached_tokens
        meta["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": prepared.cached_tokens}]
    return meta


def _envelope(prepared: Prepared, call: Call) -> dict[str, Any]:
    return {
        "modelVersion": call.route.model_key,
        "createTime": rfc3339(call.clock()),
        "responseId": digest(call.route.model_key, prepared.body)[:24],
    }


def _candidate_count(prepared: Prepared) -> int:
    count = pick(pick(prepared.body, "generationConfig") or {}, "candidateCount") or 1
    return max(1, min(int(count), 8)) if str(count).isdigit() else 1


def response_json(prepared: Prepared, call: Call) -> dict[str, Any]:
    if prepared.blocked:
        return {"promptFeedback": _prompt_feedback(), "usageMetadata": usage(prepared), **_envelope(prepared, call)}
    candidates = []
    for index in range(_candidate_count(prepared)):
        candidate: dict[str, Any] = {"index": index, "finishReason": prepared.finish}
        parts = _parts(prepared)
        if parts:
            candidate["content"] = {"role": "model", "parts": parts}
        candidate["safetyRatings"] = _safety_ratings(prepared.finish == "SAFETY")
        if prepared.grounding:
            candidate["groundingMetadata"] = prepared.grounding
        candidates.append(candidate)
    return {"candidates": candidates, "usageMetadata": usage(prepared), **_envelope(prepared, call)}


def _prompt_feedback() -> dict[str, Any]:
    return {
        "blockReason": "SAFETY",
        "blockReasonMessage": "The prompt was blocked due to safety reasons.",
        "safetyRatings": _safety_ratings(True),
    }


def stream_events(prepared: Prepared, call: Call) -> list[dict[str, Any]]:
    """The answer as Vertex streams it: thoughts, then text in pieces (or one function call); the last
    event carries ``finishReason``, ``usageMetadata`` and grounding."""
    envelope = _envelope(prepared, call)
    if prepared.blocked:
        return [{"promptFeedback": _prompt_feedback(), "usageMetadata": usage(prepared), **envelope}]
    pieces: list[dict[str, Any]] = []
    if prepared.thought:
        pieces.append({"text": prepared.thought, "thought": True})
    if prepared.call is not None:
        pieces.extend(p for p in _parts(prepared) if "functionCall" in p)
    elif prepared.text is not None:
        text = prepared.text
        if prepared.finish == "SAFETY":
            text = " ".join(text.split()[: max(1, len(text.split()) // 2)])
        pieces.extend({"text": t} for t in chunk_words(text, call.settings.stream_chunks))
    n = _candidate_count(prepared)
    events = [
        {"candidates": [{"index": i, "content": {"role": "model", "parts": [piece]}} for i in range(n)], **envelope}
        for piece in pieces
    ] or [{"candidates": [{"index": i} for i in range(n)], **envelope}]
    last = events[-1]
    for candidate in last["candidates"]:
        candidate["finishReason"] = prepared.finish
        if prepared.finish == "SAFETY":
            candidate["safetyRatings"] = _safety_ratings(True)
        if prepared.grounding:
            candidate["groundingMetadata"] = prepared.grounding
    last["usageMetadata"] = usage(prepared)
    return events


# ---------------------------------------------------------------------------------------------------- handlers


def generate_content(call: Call) -> Reply | StreamReply:
    prepared = check(call)
    if isinstance(prepared, Reply):
        return prepared
    prefilled = trailing_model_text(pick(prepared.body, "contents") or []) is not None
    if prefilled and MARK_NO_PREFILL in call.route.model_key:
        return bad_request(NO_PREFILL_MESSAGE)
    compose(prepared, call)
    if call.route.verb == "streamGenerateContent":
        return _stream_reply(stream_events(prepared, call), sse=call.stream_sse)
    return json_reply(200, response_json(prepared, call))


def _stream_reply(events: list[dict[str, Any]], *, sse: bool) -> StreamReply:
    encoded = [orjson.dumps(e) for e in events]
    if sse:
        return StreamReply([b"data: " + e + b"\r\n\r\n" for e in encoded])
    framed = [(b"[" if i == 0 else b",\r\n") + e for i, e in enumerate(encoded)]
    framed[-1] += b"]"
    return StreamReply(framed, content_type=b"application/json; charset=UTF-8", flavor="gemini_array")


def count_tokens_reply(call: Call) -> Reply:
    body = call.body
    if not isinstance(body, dict):
        return bad_request("Invalid JSON payload received. Expected an object.")
    problem = schema_problem(call, body, "CountTokensRequest")
    if problem:
        return problem
    contents = request_contents(body)
    if not pick(body, "contents") and not pick(body, "instances"):
        return unable_to_submit("at least one contents field is required.")
    details = token_details(contents)
    total = sum(details.values())
    chars = len(all_text(contents).replace(" ", ""))  # Vertex bills characters without whitespace
    return json_reply(
        200,
        {
            "totalTokens": total,
            "totalBillableCharacters": chars,
            "promptTokensDetails": [{"modality": m, "tokenCount": n} for m, n in sorted(details.items())],
        },
    )
