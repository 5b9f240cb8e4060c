"""Pure mappings: job states, hyperparameters, custom_id labels, output rows, Cloud Storage helpers."""

from __future__ import annotations

import io

import orjson
import pytest

from router.errors import InvalidRequestError
from router.jobs import batches, fine_tuning, gcs
from router.jobs.batch_output import OutputModel, convert_row
from router.jobs.jsonl import decode_custom_id, encode_custom_id, iter_lines


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("JOB_STATE_QUEUED", "validating"),
        ("JOB_STATE_PENDING", "validating"),
        ("JOB_STATE_RUNNING", "in_progress"),
        ("JOB_STATE_SUCCEEDED", "completed"),
        ("JOB_STATE_PARTIALLY_SUCCEEDED", "completed"),
        ("JOB_STATE_FAILED", "failed"),
        ("JOB_STATE_CANCELLING", "cancelling"),
        ("JOB_STATE_CANCELLED", "cancelled"),
        ("JOB_STATE_EXPIRED", "expired"),
        ("SOMETHING_NEW", "failed"),
    ],
)
def test_batch_state_maps_to_openai_status(state: str, status: str) -> None:
    job = {"name": "projects/p/locations/l/batchPredictionJobs/42", "state": state}
    assert batches.to_batch(job).status == status


def test_batch_counts_times_and_output_file_from_the_job() -> None:
    job = {
        "name": "projects/p/locations/us-central1/batchPredictionJobs/42",
        "state": "JOB_STATE_SUCCEEDED",
        "createTime": "2024-12-05T09:47:06.123456Z",
        "startTime": "2024-12-05T09:48:00Z",
        "endTime": "2024-12-05T09:50:00.5Z",
        "inputConfig": {"gcsSource": {"uris": ["gs://b/in"]}},
        "outputInfo": {"gcsOutputDirectory": "gs://b/in-output/prediction-model-x"},
        "completionStats": {"successfulCount": "3", "failedCount": "1", "incompleteCount": "1"},
    }
    batch = batches.to_batch(job)
    assert (batch.id, batch.created_at, batch.in_progress_at, batch.completed_at) == (
        "42", 1733392026, 1733392080, 1733392200
    )  # fmt: skip
    assert batch.output_file_id == "gs://b/in-output/prediction-model-x/predictions.jsonl"
    assert batch.request_counts is not None
    assert batch.request_counts.model_dump() == {"total": 5, "completed": 3, "failed": 1}


def test_batch_model_comes_from_the_uploaded_object_path() -> None:
    uri = gcs.GcsUri.parse("gs://bkt/pre/vertex-router-files/publishers/google/models/gemini-2.5-flash/abc")
    assert batches.model_resource(uri, None) == "publishers/google/models/gemini-2.5-flash"
    assert batches.model_resource(uri, "claude-3-5-haiku") == "publishers/anthropic/models/claude-3-5-haiku"
    with pytest.raises(InvalidRequestError, match="cannot tell the model"):
        batches.model_resource(gcs.GcsUri.parse("gs://bkt/plain.jsonl"), None)


@pytest.mark.parametrize(
    ("given", "enum"),
    [(1, "ADAPTER_SIZE_ONE"), (4, "ADAPTER_SIZE_FOUR"), ("16", "ADAPTER_SIZE_SIXTEEN"),
     ("adapter_size_eight", "ADAPTER_SIZE_EIGHT"), (32, "ADAPTER_SIZE_THIRTY_TWO")],
)  # fmt: skip
def test_adapter_size_ints_map_to_the_vertex_enum(given: object, enum: str) -> None:
    assert fine_tuning.adapter_size(given) == enum


@pytest.mark.parametrize("bad", [3, 0, True, "ADAPTER_SIZE_THREE", 4.0])
def test_adapter_size_outside_the_enum_is_refused(bad: object) -> None:
    with pytest.raises(InvalidRequestError, match="adapter_size"):
        fine_tuning.adapter_size(bad)


def test_tuning_body_and_job_mapping_round_trip() -> None:
    body = fine_tuning.create_body(
        "gemini-2.5-flash", "gs://bkt/train.jsonl", "gs://bkt/val.jsonl",
        {"n_epochs": 3, "learning_rate_multiplier": 0.5, "adapter_size": 4}, "my-model",
    )  # fmt: skip
    assert body == {
        "baseModel": "gemini-2.5-flash",
        "supervisedTuningSpec": {
            "trainingDatasetUri": "gs://bkt/train.jsonl",
            "validationDatasetUri": "gs://bkt/val.jsonl",
            "hyperParameters": {"epochCount": "3", "learningRateMultiplier": 0.5, "adapterSize": "ADAPTER_SIZE_FOUR"},
        },
        "tunedModelDisplayName": "my-model",
    }
    job = {
        **body,
        "name": "projects/p/locations/us-central1/tuningJobs/7",
        "state": "JOB_STATE_SUCCEEDED",
        "createTime": "2024-12-05T09:47:06Z",
        "endTime": "2024-12-05T10:47:06Z",
        "tunedModel": {"endpoint": "projects/p/locations/us-central1/endpoints/4965075652664360960"},
    }
    result = fine_tuning.to_job(job)
    assert result.status == "succeeded" and result.id == "projects/p/locations/us-central1/tuningJobs/7"
    assert result.hyperparameters.n_epochs == 3  # Vertex answers camelCase epochCount as a string
    assert result.validation_file == "gs://bkt/val.jsonl" and result.finished_at == 1733395626
    assert result.fine_tuned_model == "vertex_ai/gemini/4965075652664360960"


@pytest.mark.parametrize("custom_id", ["request-1", "Ünïcode id/with spaces", "x" * 400, "UPPER_lower-123"])
def test_custom_id_survives_the_label_round_trip(custom_id: str) -> None:
    labels = encode_custom_id(custom_id)
    for key, value in labels.items():
        assert len(key) <= 63 and len(value) <= 63
        assert all(c.islower() or c.isdigit() or c in "_-" for c in key + value)
    assert decode_custom_id({"user": "label", **labels}) == custom_id


def test_lines_are_numbered_across_read_boundaries() -> None:
    data = b'{"a":1}\n\n{"b":2}\r\n' + b'{"c":' + b'"' + b"y" * 50 + b'"}'
    lines = list(iter_lines(io.BytesIO(data), read_size=7))
    assert [n for n, _ in lines] == [1, 3, 4]
    assert orjson.loads(lines[2][1]) == {"c": "y" * 50}


def test_gemini_output_row_becomes_a_chat_completion_for_its_custom_id() -> None:
    response = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi there"}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "totalTokenCount": 5},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "resp-1",
    }
    row = {"status": "", "request": {"labels": encode_custom_id("req-7")}, "response": response}
    line = convert_row(row, OutputModel("google", "gemini-2.5-flash"))
    assert line["custom_id"] == "req-7" and line["error"] is None
    assert line["response"]["status_code"] == 200
    body = line["response"]["body"]
    assert body["choices"][0]["message"]["content"] == "Hi there" and body["usage"]["total_tokens"] == 5


def test_failed_output_row_carries_the_vertex_error() -> None:
    row = {"status": "Bad Request: contents is empty", "request": {"labels": encode_custom_id("req-8")}}
    line = convert_row(row, OutputModel("google", "gemini-2.5-flash"))
    assert line["response"] is None and line["custom_id"] == "req-8"
    assert line["error"] == {"code": "vertex_batch_error", "message": "Bad Request: contents is empty"}


def test_output_model_is_read_from_the_output_path() -> None:
    name = "p/vertex-router-files/publishers/anthropic/models/claude-3-5-haiku/u-output/prediction-x/predictions.jsonl"
    assert OutputModel.from_object_name(name) == OutputModel("anthropic", "claude-3-5-haiku")


@pytest.mark.parametrize(
    ("value", "bucket", "prefix"), [("bkt", "bkt", ""), ("bkt/a/b/", "bkt", "a/b"), ("/my-bucket/x", "my-bucket", "x")]
)
def test_bucket_setting_with_prefix(value: str, bucket: str, prefix: str) -> None:
    setting = gcs.BucketSetting.parse(value, setting="files_settings[0].gcs_bucket_name")
    assert (setting.bucket, setting.prefix) == (bucket, prefix)


@pytest.mark.parametrize("value", ["gs://bkt", "bkt?x=1", "B", "bkt#frag"])
def test_bucket_setting_with_scheme_or_query_is_refused(value: str) -> None:
    with pytest.raises(InvalidRequestError, match="files_settings"):
        gcs.BucketSetting.parse(value, setting="files_settings[0].gcs_bucket_name")


def test_object_names_are_percent_encoded_in_urls() -> None:
    uri = gcs.GcsUri("bkt", "dir/a b#c.jsonl")
    assert gcs.get_metadata("https://storage.googleapis.com", uri).url.endswith("/b/bkt/o/dir%2Fa%20b%23c.jsonl")
    upload = gcs.upload_media("https://storage.googleapis.com", uri, b"x", "application/json")
    assert upload.url.endswith("uploadType=media&name=dir%2Fa%20b%23c.jsonl")
    assert gcs.download("http://h", uri, 0, 9).headers == {"range": "bytes=0-9"}


async def test_embedding_rows_in_any_order_are_grouped_and_a_missing_part_is_an_error() -> None:
    from router.jobs.batch_output import convert_stream

    def row(key: str, values: list[float]) -> bytes:
        return orjson.dumps({"key": key, "status": "", "response": {"embedding": {"values": values}}})

    rows = [row("1/2:a", [2.0]), row("0/1:b", [9.0]), row("0/2:a", [1.0]), row("0/2:c", [5.0])]

    async def chunks():  # type: ignore[no-untyped-def]
        yield b"\n".join(rows)

    out = [orjson.loads(line) async for line in convert_stream(chunks(), OutputModel("google", "gemini-embedding-001"))]
    by_id = {line["custom_id"]: line for line in out}
    assert [line["custom_id"] for line in out] == ["b", "a", "c"]
    assert [d["embedding"] for d in by_id["a"]["response"]["body"]["data"]] == [[1.0], [2.0]]
    assert by_id["c"]["response"] is None and "1 input(s) have no result" in by_id["c"]["error"]["message"]


def test_batch_endpoint_follows_the_model() -> None:
    chat = batches.to_batch(
        {"name": "x/1", "state": "JOB_STATE_PENDING", "model": "publishers/google/models/gemini-2.5-flash"}
    )
    embed = batches.to_batch(
        {"name": "x/2", "state": "JOB_STATE_PENDING", "model": "publishers/google/models/gemini-embedding-001"}
    )
    assert (chat.endpoint, embed.endpoint) == ("/v1/chat/completions", "/v1/embeddings")
