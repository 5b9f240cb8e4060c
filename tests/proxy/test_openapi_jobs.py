"""Schemathesis on the files, batches and fine-tuning routes with ids narrowed to objects the fake holds.

The main fuzz test (test_openapi.py) sends random ``gs://`` URIs and job ids, which the fake answers with 404s
or 400s; here the ids are the seeded ones, so well-formed requests reach the 200 answers and their bodies are
checked against the documented File, Batch, FineTuningJob and list schemas.
"""

from __future__ import annotations

import copy
from typing import Any

import hypothesis
import schemathesis
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from router.proxy.app import create_app
from router.proxy.auth import ApiKey, ProxyAuth
from router.proxy.openapi import openapi_document

from .conftest import MASTER
from .fakes import FakeRouter

ROUTER = FakeRouter()
FILE_ID, BATCH_ID, TUNING_ID = ROUTER.seed()
APP = create_app(ROUTER, auth=ProxyAuth([ApiKey.from_secret("master", MASTER)]), max_body_bytes=256 * 1024)


def _document() -> dict[str, Any]:
    doc = copy.deepcopy(openapi_document())
    ids = {"file_id": FILE_ID, "batch_id": BATCH_ID, "fine_tuning_job_id": TUNING_ID}
    for path in doc["paths"].values():
        for param in path.get("parameters", []):
            param["schema"] = {"enum": [ids[param["name"]]]}
    schemas = doc["components"]["schemas"]
    schemas["BatchCreateRequest"]["properties"]["input_file_id"] = {"enum": [FILE_ID]}
    for name in ("training_file", "validation_file"):
        schemas["FineTuningJobCreateRequest"]["properties"][name] = {"enum": [FILE_ID]}
    return doc


SCHEMA = schemathesis.openapi.from_dict(_document()).include(path_regex="^/v1/(files|batches|fine_tuning)")
SCHEMA.app = APP
SCHEMA.config.generation.update(max_examples=25)


@SCHEMA.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(hypothesis.HealthCheck), derandomize=True)
def test_fuzzed_jobs_requests_on_known_ids_never_5xx(case: schemathesis.Case) -> None:
    ROUTER.seed()  # a fuzzed DELETE removes the file; every case starts from the same objects
    case.call_and_validate(
        headers={"Authorization": f"Bearer {MASTER}"},
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )


def test_fuzzing_reached_the_success_answers() -> None:
    # Runs after the fuzz test (file order): creates went through, so 200s were validated, not only 4xx.
    assert len(ROUTER.batch_jobs) > 1
    assert len(ROUTER.tuning_jobs) > 1
    assert len(ROUTER.files) > 1
