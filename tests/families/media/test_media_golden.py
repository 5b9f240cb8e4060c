"""Golden cases for the embeddings, imagen and tts translators (tests/golden/<family>/<case>.*.json).

Each case pins the exact Vertex request(s) for an OpenAI-format call and the exact OpenAI result for canned Vertex
answers. A case without ``.vertex.json`` is one whose request is refused before anything is sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from media_golden import case_id, cases, load, run, sibling

ALL = [p for family in ("embeddings", "imagen", "tts") for p in cases(family)]


@pytest.mark.parametrize("path", ALL, ids=[f"{p.parent.name}/{case_id(p)}" for p in ALL])
def test_golden_case_matches_recorded_requests_and_output(path: Path) -> None:
    outcome = run(path)
    vertex = sibling(path, "vertex")
    expected_requests = load(vertex)["requests"] if vertex.exists() else []
    assert outcome.requests == expected_requests
    assert outcome.output == load(sibling(path, "out"))


def test_every_family_has_golden_cases() -> None:
    for family in ("embeddings", "imagen", "tts"):
        assert len(cases(family)) >= 10, family
