"""What a route handler gets: the parsed route and body, the knobs, and the app's shared state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from router.emulator.routes import Route

if TYPE_CHECKING:
    from router.emulator.caches import CacheStore


@dataclass(frozen=True, slots=True)
class EmulatorSettings:
    """Tuning knobs. Defaults follow Vertex where it has a number."""

    max_input_tokens: int = 1_048_576  # Gemini context window
    claude_max_input_tokens: int = 200_000
    chat_max_input_tokens: int = 128_000  # MaaS / Mistral / AI21
    embedding_max_tokens: int = 2048  # text-embedding-* per instance
    min_cache_tokens: int = 0  # Vertex needs 1024+ for real; 0 keeps tests small
    serve_palm: bool = False  # retired PaLM models answer 404 unless set
    stream_chunks: int = 64  # most events one streamed answer is split into
    validate: bool = True  # discovery-document validation of Gemini bodies
    record_limit: int | None = 10_000  # request log size (oldest half dropped when full); None = unbounded


@dataclass(slots=True)
class Call:
    route: Route
    body: Any
    query: dict[str, str]
    settings: EmulatorSettings
    caches: CacheStore
    clock: Callable[[], float]

    @property
    def stream_sse(self) -> bool:
        return self.query.get("alt") == "sse"
