"""The fault matrix of issue 10: every row, for Gemini and for the Model Garden OpenAI-compatible family, streamed
and unary, through ``vertex-router serve`` in front of the emulator.

Shared by the end-to-end tests (``tests/faults``) and ``benchmarks/fault_matrix.py``: the config for every row is
built here and each row arms its faults here; ``tests.faults.calls.run_case`` makes the call.

Each deployment has its own project id (``p-<row>-<family>-<mode>-<role>``), so a fault targets exactly one
deployment (``Fault(route="/projects/<id>/")``) and the emulator's request log counts attempts per deployment.
Roles: ``a`` the primary, ``b`` a second deployment of the same group, ``c`` the fallback group's deployment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from openai.types.chat import ChatCompletionMessageParam

from router.emulator.faults import Fault

FAMILIES = ("gemini", "garden")
MODES = ("stream", "unary")
PROMPT = "one two three four five six seven eight"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": PROMPT}]
GEMINI_MODEL = "vertex_ai/gemini-2.5-flash"
FALLBACK_GEMINI_MODEL = "vertex_ai/gemini-2.5-pro"
NO_PREFILL = "no-prefill"  # the emulator rejects a trailing assistant turn for a model/endpoint with this mark

# Router settings every row shares: phase deadlines well under the total, so a silent or stalled upstream costs
# half a second, not the request.
ROUTER_SETTINGS: dict[str, Any] = {
    "num_retries": 2,
    "timeout": 20,
    "first_token_timeout": 0.5,
    "stream_chunk_timeout": 0.5,
    "connect_timeout": 0.5,
    "cooldown_time": 5,
    "stream_rescue": "prefill",
}
ATTEMPT_TIMEOUT = 3  # litellm_params.timeout of every deployment: one unary attempt, well under the total

CONTEXT_MESSAGE = {
    "gemini": "The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).",
    "garden": "This model's maximum context length is 8192 tokens. However, you requested 8193 tokens. "
    "Please reduce the length of the messages.",
}
POLICY_MESSAGE = "The request was blocked by the content filtering policy."
# Events before the terminal one: Gemini's last event carries finishReason; the OpenAI-format stream sends a role
# chunk, one chunk per word, then the finish chunk, the usage chunk and [DONE].
WORDS_IN_ANSWER = len(f"Echo: {PROMPT}".split())
BEFORE_TERMINAL = {"gemini": WORDS_IN_ANSWER - 1, "garden": WORDS_IN_ANSWER + 1}

FaultsFor = Callable[[str, str], Mapping[str, Mapping[str, Any]]]  # (family, mode) -> role -> Fault fields


def _none(_family: str, _mode: str) -> Mapping[str, Mapping[str, Any]]:
    return {}


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    roles: tuple[str, ...] = ("a", "b")
    fallback_roles: tuple[str, ...] = ()
    fallback_kind: str = "fallbacks"  # or context_window_fallbacks / content_policy_fallbacks
    faults: FaultsFor = _none
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # role -> extra litellm_params
    modes: tuple[str, ...] = MODES
    expect_status: int = 200
    custom: bool = False  # its test arms its own faults (the benchmark skips it)
    unreachable: tuple[str, ...] = ()  # roles whose api_base is an address that never accepts a connection


def _on(role: str, **fields: Any) -> FaultsFor:
    return lambda _family, _mode: {role: fields}


ROWS: tuple[Row, ...] = (
    Row("healthy", "no fault", roles=("a",)),
    Row("429-once", "429 once with Retry-After: 2", roles=("a",), faults=_on("a", status=429, retry_after=2, times=1)),
    Row(
        "429-persistent",
        "429 persistent, no Retry-After",
        roles=("a",),
        fallback_roles=("c",),
        faults=_on("a", status=429),
    ),
    Row("500-once", "500 once", roles=("a",), faults=_on("a", status=500, times=1)),
    Row("503-persistent", "503 persistent", roles=("a",), fallback_roles=("c",), faults=_on("a", status=503)),
    Row("reset", "TCP reset before headers", faults=_on("a", reset=True)),
    Row("unreachable", "connection never established", unreachable=("a",)),
    Row("silent", "upstream never answers", faults=_on("a", silent=True)),
    Row(
        "silent-alone",
        "lone deployment never answers, fallback group healthy",
        roles=("a",),
        fallback_roles=("c",),
        faults=_on("a", silent=True),
    ),
    Row("slow-first-token", "first token after the deadline", faults=_on("a", first_byte_ms=8000)),
    Row("cut", "stream cut after some tokens", faults=_on("a", cut_after=3), modes=("stream",)),
    Row("stall", "stream stalls after some tokens", faults=_on("a", stall_after=3), modes=("stream",)),
    Row("malformed", "malformed SSE event", faults=_on("a", malformed_after=3), modes=("stream",)),
    Row("error-event", "error event inside a 200 stream", faults=_on("a", error_after=3), modes=("stream",)),
    Row(
        "cut-then-silent",
        "stream cut, the first rescuer never answers",
        fallback_roles=("c",),
        faults=lambda _family, _mode: {"a": {"cut_after": 3}, "b": {"silent": True}},
        modes=("stream",),
    ),
    Row("concurrent", "16 concurrent streams, the primary cuts every one", modes=("stream",), custom=True),
    Row("observed", "stream cut, the rescue is counted", faults=_on("a", cut_after=3), modes=("stream",)),
    Row(
        "no-terminal",
        "stream ends without its terminal event",
        faults=lambda family, _mode: {"a": {"end_after": BEFORE_TERMINAL[family]}},
        modes=("stream",),
    ),
    Row(
        "cut-fallback",
        "stream cut, rescued by the fallback group",
        roles=("a",),
        fallback_roles=("c",),
        faults=_on("a", cut_after=3),
        modes=("stream",),
    ),
    Row(
        "cut-alone",
        "stream cut, nowhere to rescue it",
        roles=("a",),
        faults=_on("a", cut_after=3),
        modes=("stream",),
        expect_status=502,
    ),
    Row(
        "cut-rescue-off",
        "stream cut, stream_rescue off for the deployment",
        faults=_on("a", cut_after=3),
        params={"a": {"stream_rescue": "off"}},
        modes=("stream",),
        expect_status=502,
    ),
    Row("late-cut", "connection dropped after the terminal event", modes=("stream",), custom=True),
    Row("tool-cut", "stream cut after a tool-call delta", modes=("stream",), custom=True),
    Row(
        "replay",
        "cut stream, fallback rejects prefill (replay)",
        faults=_on("a", cut_after=3),
        params={"b": {"stream_rescue": "replay"}},
        modes=("stream",),
    ),
    Row(
        "replay-differs",
        "cut stream, the replayed answer starts differently",
        faults=_on("a", cut_after=3),
        params={"b": {"stream_rescue": "replay", "response_format": {"type": "json_object"}}},
        modes=("stream",),
        expect_status=502,
    ),
    Row(
        "replay-short",
        "cut stream, the replayed answer ends inside the delivered text",
        faults=_on("a", cut_after=3),
        params={"b": {"stream_rescue": "replay", "max_tokens": 2}},
        modes=("stream",),
        expect_status=502,
    ),
    Row(
        "context-window",
        "400 context length exceeded",
        fallback_roles=("c",),
        fallback_kind="context_window_fallbacks",
        faults=lambda family, _mode: {
            "a": {"status": 400, "message": CONTEXT_MESSAGE[family]},
            "b": {"status": 400, "message": CONTEXT_MESSAGE[family]},
        },
    ),
    Row(
        "content-policy",
        "400 content policy, no content_policy_fallbacks",
        roles=("a",),
        faults=_on("a", status=400, message=POLICY_MESSAGE),
        expect_status=400,
    ),
    Row(
        "content-policy-fallback",
        "400 content policy, content_policy_fallbacks names a target",
        roles=("a",),
        fallback_roles=("c",),
        fallback_kind="content_policy_fallbacks",
        faults=_on("a", status=400, message=POLICY_MESSAGE),
    ),
    Row(
        "outage",
        "primary 503 for a while, then healthy",
        params={"a": {"cooldown_time": 1}},
    ),
)
ROW_BY_KEY = {row.key: row for row in ROWS}


# ------------------------------------------------------------------------------------------------ naming


def group_name(row: str, family: str, mode: str) -> str:
    return f"{row}-{family}-{mode}"


def fallback_group(row: str, family: str, mode: str) -> str:
    return f"{group_name(row, family, mode)}-fb"


def project(row: str, family: str, mode: str, role: str) -> str:
    return f"p-{group_name(row, family, mode)}-{role}"


def endpoint_id(row: str, family: str, mode: str, role: str) -> str:
    """A Model Garden endpoint id per deployment (the response's ``model`` names it); the replay row's rescuer
    carries the emulator's no-prefill mark."""
    index = [r.key for r in ROWS].index(row) * 100 + MODES.index(mode) * 10 + "abc".index(role)
    if row == "replay" and role == "b":
        return f"{NO_PREFILL}-{index}"
    return str(7_000_000 + index)


def gemini_model(row: str, role: str) -> str:
    """Gemini deployments: the fallback group serves another model, so ``model`` tells who answered."""
    if row == "replay" and role == "b":
        return f"{GEMINI_MODEL}-{NO_PREFILL}"
    return FALLBACK_GEMINI_MODEL if role == "c" else GEMINI_MODEL


# ------------------------------------------------------------------------------------------------ config


@dataclass(frozen=True)
class Stack:
    """Where the emulator is, and the service-account file it trusts."""

    emulator_url: str
    credentials: Path
    blackhole_url: str  # connections to it hang (``tests.faults.proxy.Blackhole``)


def deployment(stack: Stack, row: Row, family: str, mode: str, role: str) -> dict[str, Any]:
    proj = project(row.key, family, mode, role)
    params: dict[str, Any] = {
        "vertex_project": proj,
        "vertex_location": "us-central1",
        "vertex_credentials": str(stack.credentials),
        "timeout": ATTEMPT_TIMEOUT,
    }
    host = stack.blackhole_url if role in row.unreachable else stack.emulator_url
    if family == "gemini":
        params.update(model=gemini_model(row.key, role), api_base=host)
    else:
        endpoint = endpoint_id(row.key, family, mode, role)
        base = f"{host}/v1/projects/{proj}/locations/us-central1/endpoints/{endpoint}"
        params.update(model=f"vertex_ai/openai/{endpoint}", api_base=base)
    if role in ("a", "b"):
        params["order"] = 1 if role == "a" else 2  # the faulted primary is always tried first
    params.update(row.params.get(role, {}))
    group = fallback_group(row.key, family, mode) if role in row.fallback_roles else group_name(row.key, family, mode)
    return {"model_name": group, "litellm_params": params}


def build_config(stack: Stack) -> dict[str, Any]:
    model_list: list[dict[str, Any]] = []
    fallbacks: dict[str, list[dict[str, list[str]]]] = {}
    for row in ROWS:
        for family in FAMILIES:
            for mode in row.modes:
                for role in (*row.roles, *row.fallback_roles):
                    model_list.append(deployment(stack, row, family, mode, role))
                if row.fallback_roles:
                    entry = {group_name(row.key, family, mode): [fallback_group(row.key, family, mode)]}
                    fallbacks.setdefault(row.fallback_kind, []).append(entry)
    return {"model_list": model_list, "router_settings": {**ROUTER_SETTINGS, **fallbacks}}


def write_config(stack: Stack, path: Path) -> Path:
    path.write_text(yaml.safe_dump(build_config(stack), sort_keys=False))
    return path


# ------------------------------------------------------------------------------------------------ faults


def arm(faults: Any, row: Row, family: str, mode: str) -> list[Fault]:
    """Add the row's faults to the emulator's fault table; returns them (to remove later)."""
    added = []
    for role, fields in row.faults(family, mode).items():
        route = f"/projects/{project(row.key, family, mode, role)}/"
        added.append(faults.add(Fault(route=route, **fields)))
    return added
