"""Schemathesis against the whole stack: proxy on a real socket, the real Router, the emulator behind it.

The document's ``model`` fields are narrowed to the configured groups so fuzzed parameters reach the real
translators instead of stopping at a 404; whatever they send, the answer is a documented 4xx, never a 5xx.
The POST routes of files, batches and fine-tuning run too, against the emulator's Cloud Storage and job routes
(``files_settings`` names a bucket there): uploads go through the multipart reader and the batch converter.
Derandomized: the same examples every run, so a change elsewhere that breaks one fails reproducibly. (Random
runs with more examples found Router(stream=None) raising TypeError, now guarded in the proxy, and an
emulator crash on a huge embedding ``dimensions``.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
import uvicorn
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from router import Router
from router.emulator.oauth import TokenAuthority
from router.emulator.server import RunningEmulator, start_in_thread
from router.proxy.app import create_app
from router.proxy.auth import ApiKey, ProxyAuth
from router.proxy.openapi import openapi_document

KEY = "sk-fuzz"
GROUPS = {
    "ChatCompletionRequest": "gemini-flash",
    "CompletionRequest": "codestral",
    "EmbeddingRequest": "text-embedding",
    "ImageGenerationRequest": "imagen",
    "SpeechRequest": "tts",
}


def _document() -> dict[str, Any]:
    doc = openapi_document()
    for schema_name, group in GROUPS.items():
        doc["components"]["schemas"][schema_name]["properties"]["model"] = {"enum": [group]}
    return doc


SCHEMA = schemathesis.openapi.from_dict(_document()).include(method="POST", path_regex="^/v1/")
SCHEMA.config.generation.update(max_examples=30)


class _Proxy:
    def __init__(self, emulator: RunningEmulator) -> None:
        self.url = ""
        self.emulator = emulator


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Proxy]:
    authority = TokenAuthority()
    emulator: RunningEmulator = start_in_thread(authority=authority)
    credentials = tmp_path_factory.mktemp("fuzz") / "sa.json"
    authority.write_credentials(credentials, token_uri=f"{emulator.url}/token")

    def entry(group: str, model: str, **extra: Any) -> dict[str, Any]:
        params = {"model": model, "vertex_project": "emulator-project", "vertex_location": "us-central1",
                  "vertex_credentials": str(credentials), "api_base": emulator.url}  # fmt: skip
        return {"model_name": group, "litellm_params": params, **extra}

    model_list = [
        entry("gemini-flash", "vertex_ai/gemini-2.5-flash"),
        entry("codestral", "vertex_ai/codestral@2405"),
        entry("text-embedding", "vertex_ai/text-embedding-005"),
        entry("imagen", "vertex_ai/imagen-3.0-generate-002"),
        entry("tts", "vertex_ai/chirp", model_info={"mode": "audio_speech"}),
    ]

    def factory() -> Any:
        account = {"vertex_project": "emulator-project", "vertex_location": "us-central1",
                   "vertex_credentials": str(credentials), "gcs_bucket_name": "fuzz-bucket"}  # fmt: skip
        env = {"VERTEXAI_API_BASE": emulator.url, "STORAGE_EMULATOR_HOST": emulator.url}
        router = Router.from_dict({"model_list": model_list, "router_settings": {"num_retries": 0},
                                   "files_settings": [account], "environment_variables": env})  # fmt: skip
        return create_app(router, auth=ProxyAuth([ApiKey.from_secret("master", KEY)]))

    config = uvicorn.Config(factory, factory=True, host="127.0.0.1", port=0, http="httptools", loop="uvloop",
                            log_level="warning", access_log=False, lifespan="on", log_config=None)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        time.sleep(0.01)
    running = _Proxy(emulator)
    running.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    yield running
    server.should_exit = True
    thread.join(timeout=10)
    emulator.stop()


@SCHEMA.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck), derandomize=True)
def test_fuzzed_requests_through_the_real_stack_never_5xx(case: schemathesis.Case, proxy: _Proxy) -> None:
    case.call_and_validate(
        base_url=proxy.url,
        headers={"Authorization": f"Bearer {KEY}"},
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )


def test_fuzzing_reached_the_translators_and_the_upstream(proxy: _Proxy) -> None:
    # Runs after the fuzz test (file order): valid cases went all the way to the emulator.
    assert len(proxy.emulator.app.requests) > 0
