"""Incremental Server-Sent Events decoder: bytes as they arrive → ``data:`` payloads.

Follows the WHATWG event-stream rules that matter for Vertex and its partner models: lines end in CRLF, LF or
CR (a CR at the end of one chunk may pair with an LF at the start of the next); ``:`` lines are comments; the
``data:`` lines of one event are joined with ``\\n``; a blank line dispatches; ``event:``, ``id:`` and
``retry:`` are ignored because every family reads the event type from the JSON payload itself. Lines are split
as bytes before decoding, so a multi-byte UTF-8 character split across chunks is never mangled.
"""

from __future__ import annotations

_BOM = b"\xef\xbb\xbf"


class SSEDecoder:
    """Feed raw chunks; get back the payloads of the events they complete. One instance per stream.

    Linear in the stream's size: a chunk without a line ending is only remembered, and the pieces of a line are
    joined once, when its ending arrives. (Re-splitting a growing buffer on every chunk made a multi-megabyte
    event — an inline image — cost seconds of CPU.)
    """

    __slots__ = ("_data", "_partial", "_skip_lf", "_started")

    def __init__(self) -> None:
        self._partial: list[bytes] = []  # pieces of a line whose ending has not arrived yet
        self._data: list[str] = []
        self._skip_lf = False
        self._started = False

    def feed(self, chunk: bytes) -> list[str]:
        """Consume one chunk; return the ``data`` payloads of the events it completed, in order."""
        if not chunk:
            return []
        if not self._started:
            chunk = self._strip_bom(chunk)
            if not chunk:
                return []
        if self._skip_lf:
            # A CR ended the previous chunk; an LF right after it belongs to the same line ending.
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
                if not chunk:
                    return []
        if b"\n" not in chunk and b"\r" not in chunk:
            self._partial.append(chunk)
            return []
        if self._partial:
            self._partial.append(chunk)
            buffer = b"".join(self._partial)
            self._partial = []
        else:
            buffer = chunk
        lines = buffer.splitlines(keepends=True)
        if lines and not lines[-1].endswith((b"\n", b"\r")):
            self._partial.append(lines.pop())
        else:
            self._skip_lf = buffer.endswith(b"\r")
        payloads: list[str] = []
        for raw in lines:
            payload = self._line(raw.rstrip(b"\r\n"))
            if payload is not None:
                payloads.append(payload)
        return payloads

    def pending(self) -> bool:
        """True when the stream stopped inside an event (no closing blank line): a truncated stream."""
        return any(piece.strip() for piece in self._partial) or bool(self._data)

    def _strip_bom(self, chunk: bytes) -> bytes:
        joined = b"".join(self._partial) + chunk if self._partial else chunk
        if len(joined) < len(_BOM) and _BOM.startswith(joined):
            self._partial = [joined]  # wait for the rest of a possible BOM
            return b""
        self._started = True
        self._partial = []
        return joined[len(_BOM) :] if joined.startswith(_BOM) else joined

    def _line(self, line: bytes) -> str | None:
        if not line:
            return self._dispatch()
        if line[:1] == b":":
            return None
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value.decode("utf-8", "replace"))
        return None

    def _dispatch(self) -> str | None:
        if not self._data:
            return None
        payload = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        self._data = []
        return payload
