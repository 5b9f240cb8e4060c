"""The emulator pieces the rescue rows rely on: a prefilled assistant turn that starts the answer is continued
(only the rest comes back), a ``no-prefill`` model rejects prefill, and ``end_after`` ends a stream cleanly
without its terminal event."""

from __future__ import annotations

from typing import Any

import pytest

from router.emulator.faults import Fault
from tests.emulator_helpers import (
    InProcessEmulator,
    chat_body,
    claude_body,
    endpoint_path,
    gemini_body,
    model_path,
    sse_data,
    sse_json,
)

GEMINI = model_path("gemini-2.5-flash", "generateContent")
GEMINI_STREAM = model_path("gemini-2.5-flash", "streamGenerateContent") + "?alt=sse"
ENDPOINT_CHAT = endpoint_path("4242", "/chat/completions")
CLAUDE = model_path("claude-sonnet-4-5", "rawPredict", publisher="anthropic")


def gemini_prefilled(prefill: str) -> dict[str, Any]:
    body = gemini_body("one two three")
    body["contents"].append({"role": "model", "parts": [{"text": prefill}]})
    return body


def chat_prefilled(prefill: str, model: str = "4242") -> dict[str, Any]:
    body = chat_body("one two three", model=model)
    body["messages"].append({"role": "assistant", "content": prefill})
    return body


async def test_gemini_continues_a_model_turn_that_starts_its_answer(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(GEMINI, json=gemini_prefilled("Echo: one t"))
    candidate = response.json()["candidates"][0]
    assert candidate["content"]["parts"] == [{"text": "wo three"}]
    assert response.json()["usageMetadata"]["candidatesTokenCount"] == 2


async def test_gemini_stream_streams_only_the_continuation(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(GEMINI_STREAM, json=gemini_prefilled("Echo: one "))
    texts = [p["text"] for e in sse_json(response.text) for p in e["candidates"][0].get("content", {}).get("parts", [])]
    assert "".join(texts) == "two three"


async def test_gemini_answers_in_full_when_the_model_turn_is_not_its_start(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(GEMINI, json=gemini_prefilled("Something else"))
    assert response.json()["candidates"][0]["content"]["parts"] == [{"text": "Echo: one two three"}]


async def test_openai_format_continues_a_trailing_assistant_message(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post(ENDPOINT_CHAT, json=chat_prefilled("Echo: one two"))
    assert response.json()["choices"][0]["message"]["content"] == " three"


async def test_claude_continues_an_assistant_prefill(emulator: InProcessEmulator) -> None:
    body = claude_body("one two three")
    body["messages"].append({"role": "assistant", "content": "Echo: one"})
    response = await emulator.client.post(CLAUDE, json=body)
    assert response.json()["content"] == [{"type": "text", "text": " two three"}]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (model_path("gemini-2.5-flash-no-prefill", "generateContent"), gemini_prefilled("Echo:")),
        (endpoint_path("no-prefill-1", "/chat/completions"), chat_prefilled("Echo:", model="no-prefill-1")),
    ],
)
async def test_no_prefill_model_rejects_a_trailing_assistant_turn(
    emulator: InProcessEmulator, path: str, body: dict[str, Any]
) -> None:
    rejected = await emulator.client.post(path, json=body)
    assert rejected.status_code == 400
    assert "Prefill is not supported" in rejected.json()["error"]["message"]
    body = {k: v[:-1] if k in ("contents", "messages") else v for k, v in body.items()}
    assert (await emulator.client.post(path, json=body)).status_code == 200


async def test_end_after_ends_the_stream_cleanly_before_the_terminal_event(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(end_after=2))
    response = await emulator.client.post(ENDPOINT_CHAT, json=chat_body("one two three", model="4242", stream=True))
    assert response.status_code == 200
    events = sse_data(response.text)
    assert len(events) == 2 and "[DONE]" not in events
    assert all(e["choices"][0]["finish_reason"] is None for e in sse_json(response.text))


async def test_claude_rejects_a_prefill_ending_in_whitespace(emulator: InProcessEmulator) -> None:
    body = claude_body("one two three")
    body["messages"].append({"role": "assistant", "content": "Echo: one "})
    response = await emulator.client.post(CLAUDE, json=body)
    assert response.status_code == 400
    assert (
        response.json()["error"]["message"] == "messages: final assistant content cannot end with trailing whitespace"
    )
