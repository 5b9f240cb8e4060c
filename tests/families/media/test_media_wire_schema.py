"""Every recorded request body of the media families is valid against Google's discovery documents.

``:predict`` bodies are checked as PredictRequest (the envelope: ``instances`` / ``parameters`` / ``labels`` only —
instances themselves are free-form there), ``:embedContent`` bodies as EmbedContentRequest (camelCase only), and
Cloud TTS bodies against SynthesizeSpeechRequest from ``texttospeech.v1.json``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import googleapiclient
import pytest
from media_golden import GOLDEN

from tests.vertex_schema import assert_valid_vertex_body

REQUESTS = [
    (path, i, request)
    for family in ("embeddings", "imagen", "tts")
    for path in sorted((GOLDEN / family).glob("*.vertex.json"))
    for i, request in enumerate(json.loads(path.read_text())["requests"])
]


@functools.cache
def tts_schemas() -> dict[str, Any]:
    doc = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "texttospeech.v1.json"
    schemas: dict[str, Any] = json.loads(doc.read_text())["schemas"]
    return schemas


def tts_fields(name: str) -> set[str]:
    return set(tts_schemas()[name]["properties"])


@pytest.mark.parametrize(
    ("path", "i", "request_"), REQUESTS, ids=[f"{p.parent.name}/{p.name.split('.')[0]}#{i}" for p, i, _ in REQUESTS]
)
def test_recorded_body_matches_the_discovery_document(path: Path, i: int, request_: dict[str, Any]) -> None:
    url, body = request_["url"], request_["body"]
    if url.endswith(":predict"):
        assert_valid_vertex_body(body, "PredictRequest", camel_only=True)
        assert set(body) <= {"instances", "parameters"}
    elif url.endswith(":embedContent"):
        assert_valid_vertex_body(body, "EmbedContentRequest", camel_only=True)
    else:
        assert url.endswith("text:synthesize")
        assert set(body) <= tts_fields("SynthesizeSpeechRequest")
        assert set(body["input"]) <= tts_fields("SynthesisInput")
        assert set(body["voice"]) <= tts_fields("VoiceSelectionParams")
        assert set(body["audioConfig"]) <= tts_fields("AudioConfig")


def test_no_recorded_body_carries_call_credentials_or_location() -> None:
    for path, _, request_ in REQUESTS:
        text = json.dumps(request_["body"])
        for leak in ("vertex_", "secret-proj", "private_key", "adroit-crow"):
            assert leak not in text, path.name
