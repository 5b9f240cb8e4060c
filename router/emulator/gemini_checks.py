"""Gemini request checks, as Vertex makes them: the discovery-document schema, roles, empty contents, cached
content rules and the context window. ``check`` turns a call into a ``Prepared`` request or an error reply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from router.emulator.caches import CachedEntry
from router.emulator.call import Call
from router.emulator.contents import all_text, last_user_text, pick, request_contents, token_details
from router.emulator.discovery import load_discovery
from router.emulator.errors import Reply, bad_request, not_found, unable_to_submit
from router.emulator.synth import MARK_TOO_LONG

_ROLES = ("user", "model")


@dataclass(slots=True)
class Prepared:
    """A checked request: what it says, and what the answer is made of."""

    body: Mapping[str, Any]
    cache: CachedEntry | None
    prompt_tokens: dict[str, int]
    cached_tokens: int
    user_text: str
    thought: str | None = None
    text: str | None = None
    call: dict[str, Any] | None = None
    finish: str = "STOP"
    grounding: dict[str, Any] | None = None
    blocked: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def check(call: Call) -> Reply | Prepared:
    body = call.body
    if not isinstance(body, dict):
        return bad_request("Invalid JSON payload received. Expected an object.")
    problem = schema_problem(call, body, "GenerateContentRequest") or _content_problem(body)
    if problem:
        return problem
    cache, problem = _cache_for(call, body)
    if problem:
        return problem
    contents = (request_contents(cache.body) if cache else []) + request_contents(body)
    details = token_details(contents)
    total = sum(details.values())
    limit = call.settings.max_input_tokens
    if total > limit or MARK_TOO_LONG in all_text(request_contents(body)):
        return bad_request(
            f"The input token count ({max(total, limit + 1)}) exceeds the maximum number of tokens allowed ({limit})."
        )
    return Prepared(
        body=body,
        cache=cache,
        prompt_tokens=details,
        cached_tokens=cache.tokens if cache else 0,
        user_text=last_user_text(pick(body, "contents") or []),
    )


def schema_problem(call: Call, body: dict[str, Any], schema: str) -> Reply | None:
    doc = load_discovery(call.route.version) if call.settings.validate else None
    violations = doc.validate(body, schema) if doc else []
    if not violations:
        return None
    return bad_request("\n".join(v.description for v in violations), [(v.field, v.description) for v in violations])


def _content_problem(body: Mapping[str, Any]) -> Reply | None:
    contents = pick(body, "contents")
    if not contents:
        return unable_to_submit("at least one contents field is required.")
    for content in contents:
        if pick(content, "role") not in (None, "", *_ROLES):
            return unable_to_submit("Please use a valid role: user, model.")
        if not pick(content, "parts"):
            return unable_to_submit("it must include at least one parts field, which describes the prompt input.")
    return None


def _cache_for(call: Call, body: Mapping[str, Any]) -> tuple[CachedEntry | None, Reply | None]:
    name = pick(body, "cachedContent")
    if not name:
        return None, None
    if any(pick(body, key) for key in ("systemInstruction", "tools", "toolConfig")):
        return None, bad_request(
            "Tool config, tools and system instruction should not be set in the request when using cached content."
        )
    entry = call.caches.lookup(str(name))
    if entry is None or entry.location != call.route.location:
        cache_id = str(name).rsplit("/", 1)[-1]
        return None, not_found(f"Not found: cached content metadata for {cache_id}.")
    return entry, None
