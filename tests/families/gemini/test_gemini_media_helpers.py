"""router.families.media: MIME types by extension, data URLs, what must be fetched."""

from __future__ import annotations

import pytest

from router.families.media import (
    audio_mime,
    mime_from_url,
    needs_inlining,
    parse_data_url,
    source_from_url,
)


@pytest.mark.parametrize(
    ("url", "mime"),
    [
        ("gs://b/dir/file.PDF", "application/pdf"),
        ("https://x.test/a.jpg?size=large#top", "image/jpeg"),
        ("https://x.test/clip.mov", "video/mov"),
        ("gs://b/song.mp3", "audio/mpeg"),
        ("https://youtu.be/abc", "video/mp4"),
        ("https://x.test/render", None),
        ("https://x.test/archive.tar.gz", None),
    ],
)
def test_mime_from_url_uses_the_path_extension(url: str, mime: str | None) -> None:
    assert mime_from_url(url) == mime


def test_data_url_splits_into_mime_and_payload() -> None:
    source = parse_data_url("data:image/jpg;base64,AAAA")
    assert (source.mime_type, source.data, source.uri) == ("image/jpeg", "AAAA", None)


def test_non_base64_data_url_is_refused() -> None:
    with pytest.raises(ValueError, match="base64"):
        parse_data_url("data:text/plain,hello")


def test_explicit_format_beats_the_extension() -> None:
    assert source_from_url("gs://b/scan.bin", "application/pdf").mime_type == "application/pdf"


def test_audio_formats() -> None:
    assert audio_mime("wav") == "audio/wav"
    assert audio_mime("mp3") == "audio/mpeg"
    assert audio_mime("audio/ogg") == "audio/ogg"


def test_only_untyped_http_urls_need_inlining() -> None:
    def msg(url: str) -> list[dict[str, object]]:
        return [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}]

    assert needs_inlining(msg("https://x.test/render?id=1"))
    assert not needs_inlining(msg("https://x.test/a.png"))
    assert not needs_inlining(msg("gs://b/noext"))  # Vertex reads gs:// itself; the caller must name the type
    assert not needs_inlining([{"role": "user", "content": "plain text"}])
