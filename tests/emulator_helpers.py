"""Helpers for tests that talk to the Vertex emulator (paths, request bodies, SSE parsing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from router.emulator.app import EmulatorApp

PROJECT = "test-project"


@dataclass
class InProcessEmulator:
    """An emulator app and an ``httpx.AsyncClient`` wired to it in-process (no socket)."""

    app: EmulatorApp
    client: httpx.AsyncClient
    token: str | None = None  # set by ``authed_emulator``; the client already sends it


def model_path(
    model: str, verb: str, *, location: str = "us-central1", publisher: str = "google", version: str = "v1"
) -> str:
    return f"/{version}/projects/{PROJECT}/locations/{location}/publishers/{publisher}/models/{model}:{verb}"


def endpoint_path(endpoint: str, suffix: str, *, location: str = "us-central1", version: str = "v1") -> str:
    """``suffix`` is ``":predict"``-style or ``"/chat/completions"``-style."""
    return f"/{version}/projects/{PROJECT}/locations/{location}/endpoints/{endpoint}{suffix}"


def gemini_body(text: str = "hello world", **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


def claude_body(text: str = "hello world", **extra: Any) -> dict[str, Any]:
    return {
        "anthropic_version": "vertex-2023-10-16",
        "max_tokens": 256,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


def chat_body(
    text: str = "hello world", model: str = "meta/llama-3.3-70b-instruct-maas", **extra: Any
) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


def sse_data(raw: str) -> list[str]:
    """The ``data:`` payloads of an SSE body, in order."""
    return [line[len("data: ") :] for line in raw.replace("\r\n", "\n").split("\n") if line.startswith("data: ")]


def sse_json(raw: str) -> list[Any]:
    return [orjson.loads(d) for d in sse_data(raw) if d != "[DONE]"]


def sse_event_names(raw: str) -> list[str]:
    return [line[len("event: ") :] for line in raw.split("\n") if line.startswith("event: ")]
