"""Assertions every row shares: the answer is the healthy one, complete, from the deployment that answered, with
usage; the proxy answers a healthy request right after."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from router.config import load_config
from tests.faults.calls import Outcome, call, run_case
from tests.faults.conftest import Matrix
from tests.faults.matrix import PROMPT, ROW_BY_KEY, Row, endpoint_id, gemini_model, group_name, project


@cache
def _ids(config: Path) -> dict[str, str]:
    """Deployment id per project (each deployment has its own project)."""
    return {d.litellm_params.vertex_project or "": d.id for d in load_config(config).model_list}


def deployment_id(m: Matrix, row: str, family: str, mode: str, role: str) -> str:
    return _ids(m.config)[project(row, family, mode, role)]


def expected_model(row: Row, family: str, mode: str, role: str) -> str:
    """The ``model`` an answer from ``role`` carries: the deployment's model (Gemini), the endpoint id the
    endpoint answers with (Model Garden)."""
    if family == "garden":
        return endpoint_id(row.key, family, mode, role)
    return gemini_model(row.key, role).removeprefix("vertex_ai/")


def healthy(m: Matrix, family: str, mode: str) -> Outcome:
    return call(m.client, group_name("healthy", family, mode), stream=mode == "stream")


def run(m: Matrix, key: str, family: str, mode: str) -> tuple[Row, Outcome]:
    """The healthy answer first (the reference), then the row's call."""
    row = ROW_BY_KEY[key]
    reference = healthy(m, family, mode)
    assert reference.status == 200 and reference.text, reference
    outcome = run_case(m.client, m.emulator.app, row, family, mode)
    outcome.reference = reference.text
    return row, outcome


def assert_complete(
    outcome: Outcome, row: Row, family: str, mode: str, answered_by: str, *, rescued: bool = False
) -> None:
    """Status 200, the healthy text exactly, no error event, usage, and the answering deployment's model.

    A rescued stream's usage is the continuation's (the broken attempt never reported any): it may count no
    completion tokens when everything but the terminal event had been delivered."""
    assert outcome.status == 200, outcome
    assert outcome.error is None, outcome.error
    assert outcome.text == outcome.reference, (outcome.text, outcome.reference)
    assert outcome.usage is not None and outcome.usage.prompt_tokens > 0, outcome.usage
    assert rescued or outcome.usage.completion_tokens > 0, outcome.usage
    assert outcome.models, "the answer names a model"
    assert outcome.models[-1] == expected_model(row, family, mode, answered_by), outcome.models


def assert_routed(m: Matrix, outcome: Outcome, row: Row, family: str, mode: str, answered_by: str) -> None:
    """The proxy's headers agree with the emulator's log: every upstream request was an attempt, and the
    deployment named is the one that answered."""
    assert outcome.header_attempts == outcome.attempts, (outcome.header_attempts, outcome.requests)
    assert outcome.header_deployment == deployment_id(m, row.key, family, mode, answered_by)


def assert_alive(m: Matrix, family: str, mode: str) -> None:
    """Right after the fault, the same proxy process answers a healthy request completely."""
    assert m.proxy.process.poll() is None, m.proxy.output()
    after = healthy(m, family, mode)
    assert after.status == 200 and after.error is None, after
    assert after.text == f"Echo: {PROMPT}", after.text
    assert after.header_attempts == 1


def last_turn(request: Any, family: str) -> tuple[str, str]:
    """(role, text) of the last turn of a recorded upstream request body."""
    body = request.body
    if family == "gemini":
        turn = body["contents"][-1]
        return turn.get("role", "user"), "".join(p.get("text", "") for p in turn.get("parts", []))
    message = body["messages"][-1]
    content = message.get("content")
    return message["role"], content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


ASSISTANT = {"gemini": "model", "garden": "assistant"}
