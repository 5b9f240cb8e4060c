"""Streams that break after content reached the client, rescued by another deployment: prefill (the delivered
text as a trailing assistant turn, only the continuation streamed on) and replay (the original request again,
the delivered prefix checked and skipped). The client sees one uninterrupted stream with the healthy text."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import pytest

from router.emulator.faults import Fault
from tests.faults.calls import call
from tests.faults.checks import ASSISTANT, assert_alive, assert_complete, deployment_id, last_turn, run
from tests.faults.conftest import Matrix
from tests.faults.matrix import (
    BEFORE_TERMINAL,
    FAMILIES,
    MESSAGES,
    PROMPT,
    ROUTER_SETTINGS,
    ROW_BY_KEY,
    arm,
    group_name,
    project,
)

PREFILL_ROWS = ("cut", "stall", "malformed", "error-event", "no-terminal")


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("key", PREFILL_ROWS)
def test_broken_stream_is_finished_by_prefill_on_the_next_deployment(matrix: Matrix, key: str, family: str) -> None:
    row, outcome = run(matrix, key, family, "stream")
    assert_complete(outcome, row, family, "stream", answered_by="b", rescued=True)
    assert (outcome.count("a"), outcome.count("b")) == (1, 1)
    # The headers left before the break: they name the first deployment and its single attempt.
    assert (outcome.header_attempts, outcome.header_deployment) == (
        1,
        deployment_id(matrix, key, family, "stream", "a"),
    )
    role, prefill = last_turn(outcome.requests["b"][0], family)
    assert role == ASSISTANT[family]
    assert prefill and outcome.reference.startswith(prefill)  # what was delivered, to continue from
    assert_alive(matrix, family, "stream")


@pytest.mark.parametrize("family", FAMILIES)
def test_cut_stream_whose_rescuer_rejects_prefill_is_finished_by_replay(matrix: Matrix, family: str) -> None:
    row, outcome = run(matrix, "replay", family, "stream")
    assert_complete(outcome, row, family, "stream", answered_by="b", rescued=True)
    assert (outcome.count("a"), outcome.count("b")) == (1, 1)
    assert last_turn(outcome.requests["b"][0], family) == ("user", PROMPT)  # the original request, no prefill
    assert_alive(matrix, family, "stream")


@pytest.mark.parametrize("family", FAMILIES)
def test_cut_stream_of_a_lone_deployment_is_finished_by_the_fallback_group(matrix: Matrix, family: str) -> None:
    row, outcome = run(matrix, "cut-fallback", family, "stream")
    assert_complete(outcome, row, family, "stream", answered_by="c", rescued=True)
    assert (outcome.count("a"), outcome.count("c")) == (1, 1)
    assert last_turn(outcome.requests["c"][0], family)[0] == ASSISTANT[family]
    assert_alive(matrix, family, "stream")


@pytest.mark.parametrize("family", FAMILIES)
def test_rescue_fails_over_past_a_silent_rescuer_to_the_fallback_group(matrix: Matrix, family: str) -> None:
    row, outcome = run(matrix, "cut-then-silent", family, "stream")
    assert_complete(outcome, row, family, "stream", answered_by="c", rescued=True)
    assert (outcome.count("a"), outcome.count("c")) == (1, 1)
    assert 1 <= outcome.count("b") <= 1 + int(ROUTER_SETTINGS["num_retries"])
    assert last_turn(outcome.requests["c"][0], family)[0] == ASSISTANT[family]
    assert_alive(matrix, family, "stream")


@pytest.mark.parametrize("family", FAMILIES)
def test_concurrent_streams_cut_by_the_primary_all_finish(matrix: Matrix, family: str) -> None:
    route = f"/projects/{project('concurrent', family, 'stream', 'a')}/"
    cut = matrix.emulator.app.faults.add(Fault(route=route, cut_after=3))
    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            outcomes = list(
                pool.map(lambda _: call(matrix.client, group_name("concurrent", family, "stream"), True), range(16))
            )
    finally:
        matrix.emulator.app.faults.remove(cut.id)
    assert [o.text for o in outcomes] == [f"Echo: {PROMPT}"] * 16
    assert all(o.status == 200 and o.error is None for o in outcomes)
    assert_alive(matrix, family, "stream")


@pytest.mark.parametrize("family", FAMILIES)
def test_replay_that_starts_differently_ends_with_an_error_rather_than_splice(matrix: Matrix, family: str) -> None:
    _row, outcome = run(matrix, "replay-differs", family, "stream")
    assert outcome.status == 200 and outcome.error is not None
    assert outcome.text and outcome.reference.startswith(outcome.text) and outcome.text != outcome.reference
    assert (outcome.count("a"), outcome.count("b")) == (1, 1)
    assert_alive(matrix, family, "stream")


@pytest.mark.parametrize("family", FAMILIES)
def test_replay_that_ends_inside_the_delivered_text_ends_with_an_error(matrix: Matrix, family: str) -> None:
    _row, outcome = run(matrix, "replay-short", family, "stream")
    assert (outcome.count("a"), outcome.count("b")) == (1, 1)
    assert outcome.status == 200 and outcome.error is not None, outcome


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("key", ["cut-alone", "cut-rescue-off"])
def test_unrescuable_cut_ends_with_an_error_event_after_the_delivered_text(
    matrix: Matrix, key: str, family: str
) -> None:
    _row, outcome = run(matrix, key, family, "stream")
    assert outcome.status == 200  # the stream had started
    assert outcome.error is not None  # ...and ends with the typed error event, not a silent [DONE]
    assert outcome.text and outcome.reference.startswith(outcome.text) and outcome.text != outcome.reference
    assert outcome.count("a") == 1
    assert outcome.count("b") == 0  # rescue is off (or there is no other deployment): nothing re-issued
    assert_alive(matrix, family, "stream")


def raw_stream(matrix: Matrix, key: str, family: str, faults: list[Fault] | None = None, **extra: Any) -> list[Any]:
    """The SSE ``data:`` payloads of one streamed call (``"[DONE]"`` kept as is), with the row's faults armed
    unless ``faults`` are given (their routes must name the row's deployments)."""
    table = matrix.emulator.app.faults
    added = arm(table, ROW_BY_KEY[key], family, "stream") if faults is None else [table.add(f) for f in faults]
    try:
        body = {
            "model": group_name(key, family, "stream"),
            "messages": MESSAGES,
            "stream": True,
            "stream_options": {"include_usage": True},
            **extra,
        }
        response = httpx.post(f"{matrix.proxy.url}/v1/chat/completions", json=body, timeout=30)
    finally:
        for fault in added:
            table.remove(fault.id)
    payloads = [line[len("data: ") :] for line in response.text.split("\n") if line.startswith("data: ")]
    return [p if p == "[DONE]" else orjson.loads(p) for p in payloads]


def upstream_count(matrix: Matrix, key: str, family: str, role: str) -> int:
    marker = f"/projects/{project(key, family, 'stream', role)}/"
    return sum(1 for r in matrix.emulator.app.requests if marker in r.path)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("key", ["cut", "replay"])
def test_rescued_stream_is_one_stream_on_the_wire(matrix: Matrix, key: str, family: str) -> None:
    events = raw_stream(matrix, key, family)
    chunks = [e for e in events if e != "[DONE]"]
    assert events.count("[DONE]") == 1 and events[-1] == "[DONE]"
    assert not any("error" in c for c in chunks)
    choices = [choice for c in chunks for choice in c["choices"]]
    assert sum(1 for choice in choices if choice["delta"].get("role")) == 1
    assert [choice["finish_reason"] for choice in choices if choice["finish_reason"]] == ["stop"]
    assert sum(1 for c in chunks if c.get("usage")) == 1


@pytest.mark.parametrize("family", FAMILIES)
def test_rescued_stream_keeps_one_chunk_id(matrix: Matrix, family: str) -> None:
    chunks = [e for e in raw_stream(matrix, "cut", family) if e != "[DONE]"]
    assert len({c["id"] for c in chunks}) == 1


# Events in a healthy stream of the answer (Gemini: one per word; OpenAI format: role, words, finish, usage, [DONE]).
ALL_EVENTS = {"gemini": BEFORE_TERMINAL["gemini"] + 1, "garden": BEFORE_TERMINAL["garden"] + 3}


@pytest.mark.parametrize("family", FAMILIES)
def test_connection_dropped_after_the_terminal_event_is_a_complete_answer(matrix: Matrix, family: str) -> None:
    route = f"/projects/{project('late-cut', family, 'stream', 'a')}/"
    events = raw_stream(matrix, "late-cut", family, [Fault(route=route, cut_after=ALL_EVENTS[family])])
    choices = [choice for e in events if e != "[DONE]" for choice in e["choices"]]
    assert "".join(choice["delta"].get("content") or "" for choice in choices) == f"Echo: {PROMPT}"
    assert [choice["finish_reason"] for choice in choices if choice["finish_reason"]] == ["stop"]
    assert upstream_count(matrix, "late-cut", family, "a") == 1
    assert upstream_count(matrix, "late-cut", family, "b") == 0  # nothing to rescue: the answer was complete


TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]},
    },
}


def test_rescue_never_repeats_a_delivered_tool_call(matrix: Matrix) -> None:
    route = f"/projects/{project('cut', 'garden', 'stream', 'a')}/"
    # Events: role, the whole tool call, finish, [DONE]: cut after the tool call reached the client.
    events = raw_stream(
        matrix, "cut", "garden", [Fault(route=route, cut_after=2)], tools=[TOOL], tool_choice="required"
    )
    chunks = [e for e in events if e != "[DONE]"]
    calls = [
        call
        for chunk in chunks
        for choice in chunk.get("choices", [])
        for call in choice["delta"].get("tool_calls") or []
        if call.get("id")
    ]
    ended_with_error = any("error" in chunk for chunk in chunks)
    assert ended_with_error or len(calls) == 1, calls


def test_a_rescue_is_counted_in_metrics(matrix: Matrix) -> None:
    row, outcome = run(matrix, "observed", "gemini", "stream")
    assert_complete(outcome, row, "gemini", "stream", answered_by="b", rescued=True)
    metrics = httpx.get(f"{matrix.proxy.url}/metrics", timeout=10).text
    rescues = [line for line in metrics.splitlines() if "rescue" in line and not line.startswith("#")]
    assert rescues and any('mode="prefill"' in line for line in rescues), rescues
