"""The emulator's Cloud Storage and job routes over a real socket, with a real token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest
from google.oauth2 import service_account

from .conftest import BUCKET, JobsStack

PARENT = "/v1/projects/emulator-project/locations/us-central1"


@pytest.fixture
def http(jobs_stack: JobsStack) -> Iterator[httpx.Client]:
    credentials = service_account.Credentials.from_service_account_file(
        str(jobs_stack.credentials), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    import google.auth.transport.requests

    credentials.refresh(google.auth.transport.requests.Request())
    headers = {"authorization": f"Bearer {credentials.token}"}
    with httpx.Client(base_url=jobs_stack.emulator.url, headers=headers) as client:
        yield client


def upload(http: httpx.Client, name: str, data: bytes) -> dict[str, object]:
    response = http.post(f"/upload/storage/v1/b/{BUCKET}/o", params={"uploadType": "media", "name": name}, content=data)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_storage_requires_a_valid_token(jobs_stack: JobsStack) -> None:
    response = httpx.get(f"{jobs_stack.emulator.url}/storage/v1/b/{BUCKET}/o/x")
    assert response.status_code == 401
    response = httpx.get(f"{jobs_stack.emulator.url}/storage/v1/b/{BUCKET}/o/x", headers={"authorization": "Bearer no"})
    assert response.status_code == 401


def test_resumable_upload_answers_308_until_the_last_chunk(http: httpx.Client) -> None:
    start = http.post(f"/upload/storage/v1/b/{BUCKET}/o", params={"uploadType": "resumable", "name": "a/b.bin"},
                      headers={"x-upload-content-type": "application/json"}, content=b"{}")  # fmt: skip
    session = start.headers["location"]
    first = http.put(session, content=b"x" * 10, headers={"content-range": "bytes 0-9/*"})
    assert first.status_code == 308 and first.headers["range"] == "bytes=0-9"
    wrong = http.put(session, content=b"y", headers={"content-range": "bytes 3-3/*"})
    assert wrong.status_code == 400
    last = http.put(session, content=b"y" * 5, headers={"content-range": "bytes 10-14/15"})
    assert last.status_code == 200
    assert last.json()["size"] == "15" and last.json()["contentType"] == "application/json"


def test_ranged_download_metadata_list_and_delete(http: httpx.Client) -> None:
    upload(http, "dir/file name.txt", b"0123456789")
    path = f"/storage/v1/b/{BUCKET}/o/dir%2Ffile%20name.txt"
    ranged = http.get(path, params={"alt": "media"}, headers={"range": "bytes=2-5"})
    assert ranged.status_code == 206 and ranged.content == b"2345"
    assert ranged.headers["content-range"] == "bytes 2-5/10"
    assert http.get(path, params={"alt": "media"}, headers={"range": "bytes=10-19"}).status_code == 416
    assert http.get(path).json()["name"] == "dir/file name.txt"
    listed = http.get(f"/storage/v1/b/{BUCKET}/o", params={"prefix": "dir/"}).json()
    assert [item["name"] for item in listed["items"]] == ["dir/file name.txt"]
    assert http.delete(path).status_code == 204
    assert http.get(path).status_code == 404


def test_batch_job_progresses_on_the_controlled_clock_and_writes_predictions(
    http: httpx.Client, jobs_stack: JobsStack
) -> None:
    row = {"request": {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}], "labels": {"k": "v"}}}
    bad = {"request": {"contents": []}}
    upload(http, "in.jsonl", orjson.dumps(row) + b"\n" + orjson.dumps(bad) + b"\n")
    body = {
        "displayName": "t",
        "model": "publishers/google/models/gemini-2.5-flash",
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": [f"gs://{BUCKET}/in.jsonl"]}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": f"gs://{BUCKET}/out"}},
    }
    job = http.post(f"{PARENT}/batchPredictionJobs", json=body).json()
    states = [job["state"]]
    for _ in range(4):
        jobs_stack.jobs.advance(5)
        states.append(http.get(f"/v1/{job['name']}").json()["state"])
    assert states == ["JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED",
                      "JOB_STATE_SUCCEEDED"]  # fmt: skip
    done = http.get(f"/v1/{job['name']}").json()
    assert done["completionStats"] == {"successfulCount": "1", "failedCount": "1", "incompleteCount": "0"}
    directory = done["outputInfo"]["gcsOutputDirectory"]
    name = directory.removeprefix(f"gs://{BUCKET}/") + "/predictions.jsonl"
    content = http.get(f"/storage/v1/b/{BUCKET}/o/{name.replace('/', '%2F')}", params={"alt": "media"}).content
    rows = [orjson.loads(line) for line in content.splitlines()]
    assert rows[0]["request"]["labels"] == {"k": "v"} and rows[0]["response"]["candidates"]
    assert rows[1]["status"] and "response" not in rows[1]


def test_batch_job_with_a_missing_input_fails(http: httpx.Client, jobs_stack: JobsStack) -> None:
    body = {
        "displayName": "t",
        "model": "publishers/google/models/gemini-2.5-flash",
        "inputConfig": {"instancesFormat": "jsonl", "gcsSource": {"uris": [f"gs://{BUCKET}/missing.jsonl"]}},
        "outputConfig": {"predictionsFormat": "jsonl", "gcsDestination": {"outputUriPrefix": f"gs://{BUCKET}/out"}},
    }
    job = http.post(f"{PARENT}/batchPredictionJobs", json=body).json()
    http.post("/_emulator/jobs/advance", params={"seconds": "100"})
    failed = http.get(f"/v1/{job['name']}").json()
    assert failed["state"] == "JOB_STATE_FAILED" and "does not exist" in failed["error"]["message"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"trainingDatasetUri": "/local/file"}, "trainingDatasetUri must be a gs:// URI"),
        ({"trainingDatasetUri": "gs://b/t", "hyperParameters": {"adapterSize": 4}}, "adapter_size"),
        ({"trainingDatasetUri": "gs://b/t", "hyperParameters": {"epochCount": "x"}}, "epoch_count"),
    ],
)
def test_tuning_job_bodies_are_checked_like_vertex(http: httpx.Client, spec: dict[str, object], message: str) -> None:
    response = http.post(
        f"{PARENT}/tuningJobs", json={"baseModel": "gemini-2.0-flash-001", "supervisedTuningSpec": spec}
    )
    assert response.status_code == 400 and message in response.json()["error"]["message"]


def test_tuning_job_accepts_proto_field_names_too(http: httpx.Client) -> None:
    spec = {"training_dataset_uri": "gs://b/t", "hyper_parameters": {"epoch_count": "2"}}
    response = http.post(
        f"{PARENT}/tuningJobs", json={"base_model": "gemini-2.0-flash-001", "supervised_tuning_spec": spec}
    )
    assert response.status_code == 200
    assert response.json()["supervisedTuningSpec"]["hyperParameters"] == {"epochCount": "2"}
