"""Mid-stream rescue: finish an answer whose upstream stream broke after content reached the caller.

Two modes (``router_settings.stream_rescue`` or per deployment, off by default):

- ``prefill``: the request is re-issued to another healthy deployment with the text already delivered as a
  trailing assistant turn (Gemini ``model`` turn, Claude assistant prefill, OpenAI-compatible trailing assistant
  message), and only the continuation is streamed on.
- ``replay``: the original request is re-issued; the new answer must start with exactly the delivered text,
  which is skipped. A different prefix ends the stream with ``MidStreamError`` rather than splice two answers.

A deployment whose family cannot continue from a prefill (``prefill_ok`` False) is rescued by replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from router.errors import MidStreamError
from router.families.base import StreamParser

RescueMode = Literal["off", "prefill", "replay"]

# Families that continue a trailing assistant turn instead of answering it.
PREFILL_FAMILIES = frozenset({"gemini", "anthropic", "openai_compat", "mistral"})


def prefill_messages(messages: list[dict[str, Any]], received: str) -> list[dict[str, Any]]:
    """The conversation with the delivered text as a trailing assistant turn. Trailing whitespace is left out
    (Claude refuses a prefill ending in whitespace); ``LeadingWhitespaceTrimmer`` drops it from the reply."""
    return [*messages, {"role": "assistant", "content": received.rstrip()}]


class LeadingWhitespaceTrimmer:
    """Drops from the start of a continuation the whitespace the prefill left out (it was delivered already)."""

    def __init__(self, inner: StreamParser, delivered_whitespace: str) -> None:
        self._inner = inner
        self._left = len(delivered_whitespace)

    @property
    def done(self) -> bool:
        return self._inner.done

    def feed(self, data: str) -> Sequence[Any]:
        return self._trim(self._inner.feed(data))

    def finish(self) -> Sequence[Any]:
        return self._trim(self._inner.finish())

    def _trim(self, chunks: Sequence[Any]) -> list[Any]:
        out = []
        for chunk in chunks:
            if self._left and chunk.choices and chunk.choices[0].delta.content:
                delta = chunk.choices[0].delta
                text = delta.content
                cut = min(self._left, len(text) - len(text.lstrip()))
                self._left = 0 if text.strip() else self._left - cut
                delta.content = text[cut:] or None
                if delta.content is None and chunk.choices[0].finish_reason is None and chunk.usage is None:
                    continue
            out.append(chunk)
        return out


def mode_for(configured: str, family: str) -> RescueMode:
    if configured == "prefill":
        return "prefill" if family in PREFILL_FAMILIES else "replay"
    if configured == "replay":
        return "replay"
    return "off"


class PrefixSkippingParser:
    """Wraps a stream parser for ``replay``: drops the first ``len(prefix)`` characters of content after
    checking they equal ``prefix``; raises MidStreamError as soon as they differ."""

    def __init__(self, inner: StreamParser, prefix: str) -> None:
        self._inner = inner
        self._prefix = prefix
        self._seen = ""

    @property
    def done(self) -> bool:
        return self._inner.done

    def feed(self, data: str) -> Sequence[Any]:
        return self._trim(self._inner.feed(data))

    def finish(self) -> Sequence[Any]:
        chunks = self._trim(self._inner.finish())
        if len(self._seen) < len(self._prefix):
            raise MidStreamError(
                "stream rescue by replay failed: the new answer ended inside the text already delivered",
                received=self._prefix,
            )
        return chunks

    def _trim(self, chunks: Sequence[Any]) -> list[Any]:
        out = []
        for chunk in chunks:
            if len(self._seen) < len(self._prefix) and chunk.choices:
                delta = chunk.choices[0].delta
                text = delta.content or ""
                need = len(self._prefix) - len(self._seen)
                head, tail = text[:need], text[need:]
                self._seen += head
                if not self._prefix.startswith(self._seen):
                    raise MidStreamError(
                        "stream rescue by replay failed: the new answer does not start with the text already delivered",
                        received=self._prefix,
                    )
                if not tail and chunk.choices[0].finish_reason is None and chunk.usage is None:
                    continue
                delta.content = tail or None
            out.append(chunk)
        return out
