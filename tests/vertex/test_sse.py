"""SSEDecoder: the event-stream rules, whatever the chunk boundaries."""

from __future__ import annotations

import pytest

from router.vertex.sse import SSEDecoder

GEMINI_LIKE = (
    b'data: {"candidates": [{"content": {"parts": [{"text": "Gr\xc3\xbc\xc3\x9fe"}]}}]}\r\n\r\n'
    b'data: {"candidates": [{"content": {"parts": [{"text": " \xf0\x9f\x91\x8b"}]}}]}\r\n\r\n'
)
EXPECTED = [
    '{"candidates": [{"content": {"parts": [{"text": "Grüße"}]}}]}',
    '{"candidates": [{"content": {"parts": [{"text": " 👋"}]}}]}',
]


def _feed_all(chunks: list[bytes]) -> list[str]:
    decoder = SSEDecoder()
    out: list[str] = []
    for chunk in chunks:
        out.extend(decoder.feed(chunk))
    return out


def test_whole_stream_in_one_chunk() -> None:
    assert _feed_all([GEMINI_LIKE]) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 13, 64])
def test_any_chunk_size_gives_the_same_events(size: int) -> None:
    chunks = [GEMINI_LIKE[i : i + size] for i in range(0, len(GEMINI_LIKE), size)]
    assert _feed_all(chunks) == EXPECTED


def test_every_single_split_point_gives_the_same_events() -> None:
    for cut in range(len(GEMINI_LIKE) + 1):
        assert _feed_all([GEMINI_LIKE[:cut], GEMINI_LIKE[cut:]]) == EXPECTED, cut


def test_lf_cr_and_crlf_line_endings_are_equivalent() -> None:
    for sep in (b"\n", b"\r", b"\r\n"):
        stream = b"data: a" + sep + b"data: b" + sep + sep + b"data: c" + sep + sep
        assert _feed_all([stream]) == ["a\nb", "c"]


def test_cr_at_a_chunk_end_followed_by_lf_is_one_line_ending() -> None:
    assert _feed_all([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]) == ["a\nb"]


def test_comments_event_id_and_retry_lines_are_ignored() -> None:
    stream = b': keep-alive\nevent: message_start\nid: 7\nretry: 10\ndata: {"type":"message_start"}\n\n'
    assert _feed_all([stream]) == ['{"type":"message_start"}']


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert _feed_all([b"\n\n: ping\n\nevent: ping\n\n"]) == []


def test_field_without_space_and_field_without_colon() -> None:
    assert _feed_all([b"data:x\ndata\n\n"]) == ["x\n"]


def test_leading_bom_is_skipped_even_when_split() -> None:
    assert _feed_all([b"\xef", b"\xbb\xbfdata: ok\n\n"]) == ["ok"]


def test_stream_stopping_inside_an_event_is_pending() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: complete\n\ndata: trunc") == ["complete"]
    assert decoder.pending()
    finished = SSEDecoder()
    finished.feed(b"data: x\n\n")
    assert not finished.pending()


def test_an_event_of_megabytes_split_into_many_chunks_arrives_whole() -> None:
    text = "x" * (2 * 2**20)  # an inline image in one event arrives in hundreds of network chunks
    stream = b'data: {"t": "' + text.encode() + b'"}\r\n\r\n'
    chunks = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]
    assert _feed_all(chunks) == ['{"t": "' + text + '"}']


def test_a_lone_lf_after_a_chunk_ending_in_cr_completes_nothing_by_itself() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []
    assert decoder.pending()
    assert decoder.feed(b"\n") == ["a"]
    assert not decoder.pending()
