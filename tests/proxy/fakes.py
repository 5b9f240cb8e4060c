"""A fake Router with the contract's surface, for proxy tests that must not depend on routing or families.

Behaviour is chosen per call by the model name: ``error:<status>`` raises the matching RouterError,
``midstream`` fails a stream after one chunk, ``slow-stream`` streams until closed, ``slow`` never answers.
Every call is recorded.
"""

from __future__ import annotations

import asyncio
import base64
import struct
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from router.errors import (
    CredentialsError,
    InternalServerError,
    MidStreamError,
    NoDeploymentAvailableError,
    RateLimitError,
    ServiceUnavailableError,
    UnknownModelError,
    UpstreamTimeoutError,
)
from router.types import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkChoice,
    Delta,
    EmbeddingData,
    EmbeddingResponse,
    FunctionCall,
    ImageData,
    ImageResponse,
    Message,
    SpeechResponse,
    TextChoice,
    TextCompletion,
    ToolCall,
    Usage,
)

from .fake_jobs import FakeJobs

HIDDEN = {"deployment_id": "gemini-flash-us-central1", "attempts": 1, "overhead_ms": 0.05, "model": "gemini-2.5-flash"}
MODELS = [
    "gemini-flash",
    "gemini-pro",
    "text-embedding",
    "imagen",
    "tts",
    "codestral",
    "midstream",
    "slow-stream",
    "slow",
]


class FakeStream:
    """An async iterator of chunks with ``hidden_params`` and ``aclose``, like the Router's ChatStream."""

    def __init__(self, chunks: list[Any], *, fail_after: int | None = None, endless: bool = False) -> None:
        self.hidden_params = dict(HIDDEN)
        self._chunks = chunks
        self._fail_after = fail_after
        self._endless = endless
        self._index = 0
        self.closed = False
        self.started = asyncio.Event()

    def __aiter__(self) -> FakeStream:
        return self

    async def __anext__(self) -> Any:
        if self.closed:
            raise StopAsyncIteration
        if self._fail_after is not None and self._index >= self._fail_after:
            raise MidStreamError("upstream stream broke", received="Hel")
        if self._endless and self._index >= len(self._chunks):
            self.started.set()
            await asyncio.sleep(3600)
        if self._index >= len(self._chunks):
            raise StopAsyncIteration
        chunk = self._chunks[self._index]
        self._index += 1
        return chunk

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class FakeRouter(FakeJobs):
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    callbacks: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)
    streams: list[FakeStream] = field(default_factory=list)
    ready: bool = True
    closed: bool = False
    cancelled: int = 0

    def model_names(self) -> list[str]:
        return list(MODELS)

    def add_callback(self, fn: Callable[[str, dict[str, Any]], None]) -> None:
        self.callbacks.append(fn)

    def _emit(self, event: str, data: dict[str, Any]) -> None:
        for fn in self.callbacks:
            fn(event, data)

    def _check(self, model: str) -> None:
        if model.startswith("error:"):
            raise _error_for(model.split(":", 1)[1], model)
        if model not in MODELS:
            raise UnknownModelError(model, MODELS)

    async def acompletion(self, *, model: str, messages: list[Any], stream: bool = False, **params: Any) -> Any:
        self.calls.append(("acompletion", {"model": model, "messages": messages, "stream": stream, **params}))
        self._check(model)
        if model == "slow":
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        self._emit(
            "attempt",
            {"deployment_id": HIDDEN["deployment_id"], "model_group": model, "status": 200, "latency_s": 0.002},
        )
        self._emit("success", {"model_group": model, "prompt_tokens": 5, "completion_tokens": 2})
        if stream:
            return self._stream(model)
        message = Message(content=f"echo: {_last_text(messages)}")
        if params.get("tools"):
            call = ToolCall(id="call_1", function=FunctionCall(name="get_weather", arguments='{"city": "Berlin"}'))
            message = Message(content=None, tool_calls=[call])
        response = ChatCompletion(
            id="chatcmpl-1",
            model=model,
            choices=[Choice(message=message, finish_reason="tool_calls" if params.get("tools") else "stop")],
            usage=Usage(prompt_tokens=5, completion_tokens=2, total_tokens=7),
        )
        response._hidden_params = dict(HIDDEN)
        return response

    def _stream(self, model: str) -> FakeStream:
        chunks: list[Any] = [
            ChatCompletionChunk(
                id="c1", model=model, choices=[ChunkChoice(delta=Delta(role="assistant", content="Hel"))]
            ),
            ChatCompletionChunk(id="c1", model=model, choices=[ChunkChoice(delta=Delta(content="lo"))]),
            ChatCompletionChunk(id="c1", model=model, choices=[ChunkChoice(delta=Delta(), finish_reason="stop")]),
        ]
        if model == "midstream":
            stream = FakeStream(chunks, fail_after=1)
        elif model == "slow-stream":
            stream = FakeStream(chunks[:1], endless=True)
        else:
            stream = FakeStream(chunks)
        self.streams.append(stream)
        return stream

    async def atext_completion(self, *, model: str, prompt: Any, stream: bool = False, **params: Any) -> Any:
        self.calls.append(("atext_completion", {"model": model, "prompt": prompt, "stream": stream, **params}))
        self._check(model)
        response = TextCompletion(id="cmpl-1", model=model, choices=[TextChoice(text="return a + b")])
        response._hidden_params = dict(HIDDEN)
        return response

    async def aembedding(self, *, model: str, input: Any, **params: Any) -> EmbeddingResponse:
        self.calls.append(("aembedding", {"model": model, "input": input, **params}))
        self._check(model)
        items = [input] if isinstance(input, str) else list(input)
        vector: list[float] | str = [0.5, -0.25, 1.0]
        if params.get("encoding_format") == "base64":
            vector = base64.b64encode(struct.pack("<3f", 0.5, -0.25, 1.0)).decode()
        data = [EmbeddingData(index=i, embedding=vector) for i in range(len(items))]
        response = EmbeddingResponse(data=data, model=model, usage=Usage(prompt_tokens=3, total_tokens=3))
        response._hidden_params = dict(HIDDEN)
        return response

    async def aimage_generation(self, *, model: str, prompt: str, **params: Any) -> ImageResponse:
        self.calls.append(("aimage_generation", {"model": model, "prompt": prompt, **params}))
        self._check(model)
        response = ImageResponse(data=[ImageData(b64_json="aW1hZ2U=")])
        response._hidden_params = dict(HIDDEN)
        return response

    async def aspeech(self, *, model: str, input: str, voice: Any = None, **params: Any) -> SpeechResponse:
        self.calls.append(("aspeech", {"model": model, "input": input, "voice": voice, **params}))
        self._check(model)
        response = SpeechResponse(b"ID3fake-mp3-bytes", content_type="audio/mpeg", model=model)
        response._hidden_params = dict(HIDDEN)
        return response

    async def readiness(self) -> dict[str, Any]:
        if not self.ready:
            raise CredentialsError("token endpoint refused", source="/secret/path/sa.json")
        return {"config": "loaded", "credentials": "ok"}

    def health(self) -> dict[str, Any]:
        return {"gemini-flash-us-central1": {"healthy": True}}

    async def passthrough(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes | AsyncIterator[bytes]]:
        self.calls.append(
            ("passthrough", {"method": method, "path": path, "query": query, "headers": dict(headers), "body": body})
        )
        if "stream" in path:

            async def chunks() -> AsyncIterator[bytes]:
                yield b'data: {"candidates": [1]}\r\n\r\n'
                yield b'data: {"candidates": [2]}\r\n\r\n'

            return 200, {"Content-Type": "text/event-stream", "Content-Length": "999"}, chunks()
        return 200, {"Content-Type": "application/json", "X-Upstream": "vertex"}, b'{"candidates": []}'

    async def aclose(self) -> None:
        self.closed = True


def _last_text(messages: list[Any]) -> str:
    content = messages[-1].get("content") if messages else ""
    return content if isinstance(content, str) else "parts"


def _error_for(kind: str, model: str) -> Exception:
    if kind == "429":
        return RateLimitError("quota exhausted", upstream_status=429, retry_after=7.2)
    if kind == "503":
        attempts = [ServiceUnavailableError("region down", upstream_status=503) for _ in range(2)]
        return NoDeploymentAvailableError("every deployment failed", model=model, attempts=attempts, retry_after=3)
    if kind == "408":
        return UpstreamTimeoutError("first token deadline passed")
    if kind == "500":
        return InternalServerError("upstream 500")
    if kind == "crash":
        return KeyError("secret prompt text")
    if kind == "creds":
        return CredentialsError("cannot mint", source="/secret/sa.json")
    raise AssertionError(kind)
