"""Guide tables "Chat-Modelle", "Code Chat-Modelle", "Textmodelle", "Code Text-Modelle" (PaLM 2).

Google has retired these models: the default emulator answers 404 for them as Vertex does today. Here they run
against an emulator that still serves them (``serve_palm``), which checks our PaLM translation; the guide's
bare names (``completion('chat-bison', messages)``) are used as written, except keyword form (see
test_partner_models.test_guide_model_tables_positional_call_form).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from router import NotFoundError, completion
from router.emulator.call import EmulatorSettings
from router.emulator.oauth import TokenAuthority
from router.emulator.server import RunningEmulator, start_in_thread

from .conftest import Guide

PALM_MODELS = [
    "chat-bison-32k", "chat-bison", "chat-bison@001",
    "codechat-bison", "codechat-bison-32k", "codechat-bison@001",
    "text-bison", "text-bison@001",
    "code-bison", "code-bison@001", "code-gecko@001", "code-gecko@latest",
]  # fmt: skip
messages = [{"role": "user", "content": "what llm are you"}]


@pytest.fixture(scope="module")
def palm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningEmulator, Path]]:
    authority = TokenAuthority()
    emulator = start_in_thread(authority=authority, settings=EmulatorSettings(serve_palm=True))
    credentials = tmp_path_factory.mktemp("palm") / "sa.json"
    authority.write_credentials(credentials, token_uri=f"{emulator.url}/token")
    yield emulator, credentials
    emulator.stop()


@pytest.mark.parametrize("model", PALM_MODELS)
def test_guide_palm_model_table(
    palm: tuple[RunningEmulator, Path], monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    emulator, credentials = palm
    emulator.app.reset()
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(credentials))
    monkeypatch.setenv("VERTEXAI_LOCATION", "us-central1")
    response = completion(model=model, messages=messages, api_base=emulator.url)
    assert response.choices[0].message.content.startswith("Echo:")
    assert response.choices[0].finish_reason == "stop"
    sent = [r for r in emulator.app.requests if r.path != "/token"]
    assert len(sent) == 1
    assert sent[0].path.endswith(f"/publishers/google/models/{model}:predict")
    instance = sent[0].body["instances"][0]
    if model.startswith("chat") or model.startswith("codechat"):
        assert instance["messages"] == [{"author": "user", "content": "what llm are you"}]
    elif model.startswith("text"):
        assert instance == {"prompt": "what llm are you"}
    else:  # code-bison / code-gecko complete a code prefix
        assert instance["prefix"] == "what llm are you"


def test_guide_palm_code_model_answer_echoes_the_prefix(
    palm: tuple[RunningEmulator, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, credentials = palm
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(credentials))
    response = completion(model="code-bison", messages=messages, api_base=emulator.url)
    assert response.choices[0].message.content == "Echo: what llm are you"


def test_guide_palm_on_todays_vertex_is_a_clear_not_found(guide: Guide, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(guide.credentials))
    with pytest.raises(NotFoundError):
        completion(model="chat-bison", messages=messages, api_base=guide.url)
