"""Stream rescue through the library (``Router.acompletion(stream=True)``) against the same emulator: what
``MidStreamError.received`` says when a rescue itself breaks."""

from __future__ import annotations

from typing import Any

import pytest

from router import MidStreamError, Router
from router.emulator.faults import Fault
from tests.faults.conftest import Matrix
from tests.faults.matrix import GEMINI_MODEL, PROMPT

CLAUDE_MODEL = "vertex_ai/claude-sonnet-4-5@20250929"


def router(matrix: Matrix, prefix: str, *, b_params: dict[str, Any], model: str = GEMINI_MODEL) -> Router:
    def deployment(role: str, **params: Any) -> dict[str, Any]:
        return {
            "model_name": "rescued",
            "litellm_params": {
                "model": model,
                "vertex_project": f"{prefix}-{role}",
                "vertex_location": "us-central1",
                "vertex_credentials": str(matrix.credentials),
                "api_base": matrix.emulator.url,
                "order": 1 if role == "a" else 2,
                **params,
            },
        }

    settings = {"stream_rescue": "prefill", "first_token_timeout": 0.5, "stream_chunk_timeout": 0.5, "timeout": 20}
    return Router.from_dict({"model_list": [deployment("a"), deployment("b", **b_params)], "router_settings": settings})


async def drain(stream: Any, pieces: list[str]) -> None:
    async for chunk in stream:
        pieces.append(chunk.choices[0].delta.content or "" if chunk.choices else "")


async def received_until_error(r: Router) -> tuple[str, MidStreamError]:
    stream = await r.acompletion(model="rescued", messages=[{"role": "user", "content": PROMPT}], stream=True)
    pieces: list[str] = []
    with pytest.raises(MidStreamError) as err:
        await drain(stream, pieces)
    await r.aclose()
    return "".join(pieces), err.value


@pytest.mark.parametrize(
    ("b_params", "b_fault"),
    [
        ({}, {"cut_after": 2}),  # the prefill continuation is cut too
        ({"stream_rescue": "replay", "max_tokens": 2}, {}),  # the replay ends inside the delivered text
    ],
    ids=["continuation-cut", "replay-short"],
)
async def test_a_rescue_that_breaks_reports_exactly_the_text_the_caller_received(
    matrix: Matrix, b_params: dict[str, Any], b_fault: dict[str, Any]
) -> None:
    prefix = f"p-lib-{len(b_params)}"
    faults = matrix.emulator.app.faults
    added = [faults.add(Fault(route=f"/projects/{prefix}-a/", cut_after=3))]
    if b_fault:
        added.append(faults.add(Fault(route=f"/projects/{prefix}-b/", **b_fault)))
    try:
        received, error = await received_until_error(router(matrix, prefix, b_params=b_params))
    finally:
        for fault in added:
            faults.remove(fault.id)
    assert received and f"Echo: {PROMPT}".startswith(received)
    assert error.received == received


async def test_claude_stream_cut_is_finished_by_assistant_prefill(matrix: Matrix) -> None:
    prefix = "p-lib-claude"
    r = router(matrix, prefix, b_params={}, model=CLAUDE_MODEL)
    # Events: message_start, ping, content_block_start, then one text delta per word: cut after "Echo: one ".
    cut = matrix.emulator.app.faults.add(Fault(route=f"/projects/{prefix}-a/", cut_after=5))
    try:
        stream = await r.acompletion(model="rescued", messages=[{"role": "user", "content": PROMPT}], stream=True)
        pieces: list[str] = []
        await drain(stream, pieces)
    finally:
        matrix.emulator.app.faults.remove(cut.id)
        await r.aclose()
    assert "".join(pieces) == f"Echo: {PROMPT}"
    rescuer = [q for q in matrix.emulator.app.requests if f"/projects/{prefix}-b/" in q.path]
    assert len(rescuer) == 1
    prefill = rescuer[0].body["messages"][-1]
    assert prefill["role"] == "assistant"
    text = prefill["content"] if isinstance(prefill["content"], str) else prefill["content"][-1]["text"]
    assert text == text.rstrip()
