"""OpenAI-format response objects (attribute access, ``.model_dump()``), as the openai SDK shapes them.

Models allow extra fields so provider-specific data (``thinking_blocks``, ``annotations``, ...) can ride along,
and every response has ``_hidden_params`` for what LiteLLM users read there (grounding metadata, deployment).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    _hidden_params: dict[str, Any] = PrivateAttr(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        """Dict-style access, as LiteLLM responses allow (``response["choices"]``)."""
        return getattr(self, key)


def hidden_params_of(result: Any) -> dict[str, Any] | None:
    """A response's ``_hidden_params`` dict. Read from pydantic's private storage directly: the attribute goes
    through ``BaseModel.__getattr__`` (~1 µs, on every request)."""
    private = result.__pydantic_private__ if isinstance(result, BaseModel) else None
    hidden = private.get("_hidden_params") if private is not None else getattr(result, "_hidden_params", None)
    return hidden if isinstance(hidden, dict) else None


class FunctionCall(_Model):
    name: str | None = None
    arguments: str = ""


class ToolCall(_Model):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Message(_Model):
    role: Literal["assistant"] = "assistant"
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None
    thinking_blocks: list[dict[str, Any]] | None = None


class Choice(_Model):
    index: int = 0
    message: Message
    finish_reason: str | None = "stop"
    logprobs: dict[str, Any] | None = None


class PromptTokensDetails(_Model):
    cached_tokens: int = 0


class CompletionTokensDetails(_Model):
    reasoning_tokens: int = 0


class Usage(_Model):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


def _now() -> int:
    return int(time.time())


class ChatCompletion(_Model):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(default_factory=_now)
    model: str
    choices: list[Choice]
    usage: Usage | None = None
    system_fingerprint: str | None = None


class ToolCallDelta(_Model):
    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: FunctionCall | None = None


class Delta(_Model):
    role: Literal["assistant"] | None = None
    content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    reasoning_content: str | None = None


class ChunkChoice(_Model):
    index: int = 0
    delta: Delta
    finish_reason: str | None = None
    logprobs: dict[str, Any] | None = None


class ChatCompletionChunk(_Model):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int = Field(default_factory=_now)
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    system_fingerprint: str | None = None


class TextChoice(_Model):
    index: int = 0
    text: str
    finish_reason: str | None = "stop"
    logprobs: dict[str, Any] | None = None


class TextCompletion(_Model):
    id: str
    object: Literal["text_completion"] = "text_completion"
    created: int = Field(default_factory=_now)
    model: str
    choices: list[TextChoice]
    usage: Usage | None = None


class EmbeddingData(_Model):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str  # str when encoding_format="base64" (float32 little-endian, as OpenAI)


class EmbeddingResponse(_Model):
    object: Literal["list"] = "list"
    data: list[EmbeddingData]
    model: str
    usage: Usage = Field(default_factory=Usage)


class ImageData(_Model):
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None


class ImageResponse(_Model):
    created: int = Field(default_factory=_now)
    data: list[ImageData]


class SpeechResponse:
    """Binary audio, shaped like the openai SDK's binary response."""

    def __init__(self, content: bytes, *, content_type: str, model: str) -> None:
        self.content = content
        self.content_type = content_type
        self.model = model
        self._hidden_params: dict[str, Any] = {}

    def read(self) -> bytes:
        return self.content

    def iter_bytes(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        for start in range(0, len(self.content), chunk_size):
            yield self.content[start : start + chunk_size]

    async def aiter_bytes(self, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        for piece in self.iter_bytes(chunk_size):
            yield piece

    def stream_to_file(self, path: str | Path) -> None:
        Path(path).write_bytes(self.content)

    def write_to_file(self, path: str | Path) -> None:
        self.stream_to_file(path)
