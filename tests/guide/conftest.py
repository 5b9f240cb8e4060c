"""The guide's examples run against a live emulator with auth on, exactly as a user would run them.

The only adaptations to the guide's code: ``litellm.`` → ``router.``, and ``api_base`` + the emulator's
service-account file (as the guide passes credentials: a JSON string, a path, or ``GOOGLE_APPLICATION_CREDENTIALS``).
Environment variables the guide sets are set with ``monkeypatch`` so nothing leaks between tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from router.emulator.oauth import TokenAuthority
from router.emulator.recording import RecordedRequest
from router.emulator.server import RunningEmulator, start_in_thread

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "guide"


class Guide:
    """The emulator, its service-account file, and what reached it."""

    def __init__(self, emulator: RunningEmulator, credentials: Path) -> None:
        self.emulator = emulator
        self.credentials = credentials

    @property
    def url(self) -> str:
        return self.emulator.url

    def credentials_json(self) -> str:
        """What the guide's ``json.dumps(json.load(open(file_path)))`` produces."""
        return self.credentials.read_text()

    def requests(self) -> list[RecordedRequest]:
        """Vertex calls only (token grants are not part of what the example sent)."""
        return [r for r in self.emulator.app.requests if r.path != "/token"]

    def only_request(self) -> RecordedRequest:
        sent = self.requests()
        assert len(sent) == 1, [r.path for r in sent]
        return sent[0]

    def config_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The environment the configs under configs/guide/ read (emulator URL and service-account file)."""
        monkeypatch.setenv("GUIDE_EMULATOR_URL", self.url)
        monkeypatch.setenv("GUIDE_SA_FILE", str(self.credentials))


@pytest.fixture(scope="module")
def _guide(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guide]:
    authority = TokenAuthority()
    emulator = start_in_thread(authority=authority)
    credentials = tmp_path_factory.mktemp("creds") / "vertex_ai_service_account.json"
    authority.write_credentials(credentials, token_uri=f"{emulator.url}/token", project_id="emulator-project")
    yield Guide(emulator, credentials)
    emulator.stop()


@pytest.fixture
def guide(_guide: Guide, monkeypatch: pytest.MonkeyPatch) -> Guide:
    _guide.emulator.app.reset()
    # The guide's machine has no Vertex env; a developer's shell must not change what a test sends.
    for name in ("VERTEXAI_PROJECT", "VERTEXAI_LOCATION", "VERTEX_PROJECT", "VERTEX_LOCATION",
                 "GOOGLE_CLOUD_PROJECT", "GOOGLE_APPLICATION_CREDENTIALS", "VERTEXAI_CREDENTIALS"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return _guide


def path_tail(request: RecordedRequest) -> str:
    """``publishers/google/models/gemini-pro:generateContent`` — the part after the location."""
    return request.path.split(f"/locations/{request.location}/", 1)[1]


def body(request: RecordedRequest) -> dict[str, Any]:
    assert isinstance(request.body, dict)
    return request.body
