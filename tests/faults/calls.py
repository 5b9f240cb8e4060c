"""One chat call through the proxy with the official ``openai`` SDK, and what it gave: the client's view (text,
status, ``x-router-*`` headers, model, usage, time to the last byte) next to the emulator's (requests per role)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import openai

from tests.faults.matrix import MESSAGES, Row, arm, group_name, project


@dataclass
class Outcome:
    """What one call through the proxy gave the client, and what reached the emulator."""

    status: int
    text: str
    models: list[str]  # the ``model`` of the answer (a stream: of its chunks, in order of appearance)
    usage: Any
    error: str | None
    header_attempts: int | None
    header_deployment: str | None
    seconds: float  # request start to the last byte
    requests: dict[str, list[Any]] = field(default_factory=dict)  # role -> RecordedRequest list
    error_body: Any = None  # the OpenAI error object of a failed call
    reference: str = ""  # a healthy call's text, for comparison

    @property
    def attempts(self) -> int:
        return sum(len(found) for found in self.requests.values())

    def count(self, role: str) -> int:
        return len(self.requests.get(role, []))


def call(client: openai.OpenAI, model: str, stream: bool) -> Outcome:
    """One chat call; never raises for an API error (it is part of the outcome)."""
    started = time.perf_counter()
    try:
        if stream:
            return _streamed(client, model, started)
        return _unary(client, model, started)
    except openai.APIStatusError as exc:
        seconds = time.perf_counter() - started
        attempts, deployment_id = _route_headers(exc.response.headers)
        outcome = Outcome(exc.status_code, "", [], None, str(exc.message), attempts, deployment_id, seconds)
        outcome.error_body = exc.body
        return outcome


def _unary(client: openai.OpenAI, model: str, started: float) -> Outcome:
    raw = client.chat.completions.with_raw_response.create(model=model, messages=MESSAGES)
    answer = raw.parse()
    seconds = time.perf_counter() - started
    text = answer.choices[0].message.content or ""
    attempts, deployment_id = _route_headers(raw.headers)
    return Outcome(raw.status_code, text, [answer.model], answer.usage, None, attempts, deployment_id, seconds)


def _streamed(client: openai.OpenAI, model: str, started: float) -> Outcome:
    raw = client.chat.completions.with_raw_response.create(
        model=model,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    attempts, deployment_id = _route_headers(raw.headers)
    pieces: list[str] = []
    models: list[str] = []
    usage = None
    error = None
    try:
        for chunk in raw.parse():
            if chunk.model not in models:
                models.append(chunk.model)
            if chunk.choices:
                pieces.append(chunk.choices[0].delta.content or "")
            if chunk.usage is not None:
                usage = chunk.usage
    except openai.APIError as exc:  # an error event after content: the stream failed mid-way
        error = str(exc.message)
    seconds = time.perf_counter() - started
    return Outcome(raw.status_code, "".join(pieces), models, usage, error, attempts, deployment_id, seconds)


def _route_headers(headers: Any) -> tuple[int | None, str | None]:
    attempts = headers.get("x-router-attempts")
    return (int(attempts) if attempts else None), headers.get("x-router-deployment")


def upstream_requests(app: Any, row: Row, family: str, mode: str) -> dict[str, list[Any]]:
    """The emulator's recorded requests per role of this row (all roles, also the fallback group's)."""
    found: dict[str, list[Any]] = {}
    for role in (*row.roles, *row.fallback_roles):
        marker = f"/projects/{project(row.key, family, mode, role)}/"
        found[role] = [r for r in app.requests if marker in r.path]
    return found


def run_case(client: openai.OpenAI, app: Any, row: Row, family: str, mode: str) -> Outcome:
    """Arm the row's faults, make one call to its group, collect what the emulator saw, disarm."""
    added = arm(app.faults, row, family, mode)
    try:
        outcome = call(client, group_name(row.key, family, mode), stream=mode == "stream")
    finally:
        for fault in added:
            app.faults.remove(fault.id)
    outcome.requests = upstream_requests(app, row, family, mode)
    return outcome
