"""Text completion on chat-only families: the prompt becomes one user message, the answer comes back as text.

Families with a native text mode (Codestral FIM) serve ``text`` calls themselves; this adapter is for the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from router.errors import InvalidRequestError
from router.families.base import StreamParser
from router.types import ChatCompletion, TextChoice, TextCompletion


def text_to_chat_params(params: dict[str, Any]) -> dict[str, Any]:
    prompt = params.pop("prompt", None)
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise InvalidRequestError("prompt must be a string (or a list of one string) for this model", param="prompt")
    if params.get("suffix"):
        raise InvalidRequestError("suffix (fill-in-the-middle) is only served by Codestral models", param="suffix")
    params.pop("suffix", None)
    params.pop("echo", None)
    params["messages"] = [{"role": "user", "content": prompt}]
    return params


def chat_to_text(result: ChatCompletion) -> TextCompletion:
    text = TextCompletion(
        id=result.id,
        created=result.created,
        model=result.model,
        choices=[
            TextChoice(index=c.index, text=c.message.content or "", finish_reason=c.finish_reason)
            for c in result.choices
        ],
        usage=result.usage,
    )
    text._hidden_params.update(result._hidden_params)
    return text


class TextChunkParser:
    """Wraps a chat stream parser and reshapes its chunks as OpenAI text-completion chunks."""

    def __init__(self, inner: StreamParser) -> None:
        self._inner = inner

    @property
    def done(self) -> bool:
        return self._inner.done

    def feed(self, data: str) -> Sequence[Any]:
        return [_as_text_chunk(c) for c in self._inner.feed(data)]

    def finish(self) -> Sequence[Any]:
        return [_as_text_chunk(c) for c in self._inner.finish()]


def _as_text_chunk(chunk: Any) -> TextCompletion:
    return TextCompletion(
        id=chunk.id,
        created=chunk.created,
        model=chunk.model,
        choices=[
            TextChoice(index=c.index, text=c.delta.content or "", finish_reason=c.finish_reason) for c in chunk.choices
        ],
        usage=chunk.usage,
    )
