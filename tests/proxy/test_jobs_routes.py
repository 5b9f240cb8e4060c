"""The jobs routes refuse what the fuzzing found turning into 500s or wrong statuses, before the Router is called."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from .conftest import MASTER
from .fakes import FakeRouter

H = {"Authorization": f"Bearer {MASTER}"}
SEEDED_FILE = "gs://fake-bucket/vertex-router-files/publishers/google/models/gemini-2.5-flash/seed"


async def test_upload_with_an_unknown_purpose_is_a_400_and_nothing_is_stored(
    http: httpx.AsyncClient, fake_router: FakeRouter
) -> None:
    files = {"file": ("batch.jsonl", b"{}\n")}
    response = await http.post("/v1/files", headers=H, files=files, data={"purpose": "AAA"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "purpose"
    assert fake_router.files == {}


async def test_upload_with_another_provider_is_a_400(http: httpx.AsyncClient) -> None:
    files = {"file": ("batch.jsonl", b"{}\n")}
    response = await http.post("/v1/files", headers=H, files=files, data={"custom_llm_provider": "openai"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "custom_llm_provider"


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/batches", {"endpoint": "/v1/embeddings"}, "input_file_id"),
        ("/v1/batches", {"input_file_id": None}, "input_file_id"),
        ("/v1/batches", {"input_file_id": SEEDED_FILE, "metadata": {"k": 1}}, "metadata"),
        ("/v1/batches", {"input_file_id": SEEDED_FILE, "metadata": ["k"]}, "metadata"),
        ("/v1/batches", {"input_file_id": SEEDED_FILE, "model": 5}, "model"),
        ("/v1/batches", {"input_file_id": 5}, "input_file_id"),
        ("/v1/fine_tuning/jobs", {"training_file": SEEDED_FILE}, "model"),
        ("/v1/fine_tuning/jobs", {"model": "gemini-2.5-flash"}, "training_file"),
        (
            "/v1/fine_tuning/jobs",
            {"model": "m", "training_file": SEEDED_FILE, "hyperparameters": "x"},
            "hyperparameters",
        ),
        ("/v1/fine_tuning/jobs", {"model": "m", "training_file": SEEDED_FILE, "suffix": 5}, "suffix"),
    ],
)
async def test_missing_or_mistyped_create_fields_are_a_400_naming_the_field(
    http: httpx.AsyncClient, fake_router: FakeRouter, path: str, body: dict[str, object], param: str
) -> None:
    fake_router.seed()
    jobs_before = (len(fake_router.batch_jobs), len(fake_router.tuning_jobs))
    response = await http.post(path, headers=H, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert (len(fake_router.batch_jobs), len(fake_router.tuning_jobs)) == jobs_before


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v1/files", "POST"),
        ("PUT", "/v1/files/gs://fake-bucket/o", "GET, DELETE"),
        ("DELETE", "/v1/files/gs://fake-bucket/o/content", "GET"),
        ("DELETE", "/v1/batches", "GET, POST"),
        ("GET", "/v1/batches/1/cancel", "POST"),
        ("DELETE", "/v1/batches/1", "GET"),
        ("GET", "/v1/fine_tuning/jobs/projects/p/locations/l/tuningJobs/2/cancel", "POST"),
        ("PATCH", "/fine_tuning/jobs", "GET, POST"),
    ],
)
async def test_a_method_a_jobs_route_does_not_serve_is_a_405_with_allow(
    http: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await http.request(method, path, headers=H)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


@pytest.mark.parametrize("limit", ["²", "-1", "ten"])
async def test_a_limit_that_is_not_ascii_digits_is_a_400(http: httpx.AsyncClient, limit: str) -> None:
    response = await http.get("/v1/batches", headers=H, params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "limit"


async def test_ids_with_slashes_work_raw_and_percent_encoded(http: httpx.AsyncClient, fake_router: FakeRouter) -> None:
    file_id, batch_id, tuning_id = fake_router.seed()
    for path in (f"/v1/files/{file_id}", f"/v1/files/{quote(file_id, safe='')}"):
        assert (await http.get(path, headers=H)).json()["id"] == file_id
    assert (await http.get(f"/v1/files/{quote(file_id, safe='')}/content", headers=H)).content == b"{}"
    assert (await http.get(f"/v1/batches/{batch_id}", headers=H)).json()["status"] == "in_progress"
    job = await http.get(f"/v1/fine_tuning/jobs/{quote(tuning_id, safe='')}", headers=H)
    assert job.json()["id"] == tuning_id
    cancelled = await http.post(f"/v1/fine_tuning/jobs/{tuning_id}/cancel", headers=H)
    assert cancelled.json()["status"] == "cancelled"
    batch = await http.post("/v1/batches", headers=H, json={"input_file_id": file_id, "metadata": {"team": "a"}})
    assert batch.status_code == 200
    listed = await http.get("/v1/batches", headers=H, params={"limit": 1})
    assert listed.json()["object"] == "list"
    assert listed.json()["has_more"] is True
