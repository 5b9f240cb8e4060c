"""Every fault kind, in-process where that shows it, over a real socket where only a socket can."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from router.emulator.app import EmulatedConnectionReset, create_app
from router.emulator.faults import Fault, FaultTable, fault_from_mapping, load_faults_file
from router.emulator.server import RunningEmulator
from tests.emulator_helpers import (
    InProcessEmulator,
    chat_body,
    claude_body,
    endpoint_path,
    gemini_body,
    model_path,
    sse_data,
    sse_json,
)

MODEL = "gemini-2.5-flash"
STREAM = model_path(MODEL, "streamGenerateContent") + "?alt=sse"
EIGHT_WORDS = "one two three four five six seven"  # "Echo: " + 7 words = 8 stream events


async def post(emulator: InProcessEmulator, location: str = "us-central1", model: str = MODEL) -> httpx.Response:
    return await emulator.client.post(model_path(model, "generateContent", location=location), json=gemini_body())


# -------------------------------------------------------------------------------------------- statuses


@pytest.mark.parametrize(
    ("status", "google_status"),
    [
        (429, "RESOURCE_EXHAUSTED"),
        (500, "INTERNAL"),
        (503, "UNAVAILABLE"),
        (504, "DEADLINE_EXCEEDED"),
        (403, "PERMISSION_DENIED"),
    ],
)
async def test_status_fault_answers_googles_error_body(
    emulator: InProcessEmulator, status: int, google_status: str
) -> None:
    emulator.app.faults.add(Fault(status=status))
    response = await post(emulator)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == status
    assert error["status"] == google_status
    assert error["message"]
    assert "retry-after" not in response.headers


async def test_429_with_retry_after_header(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(status=429, retry_after=7))
    response = await post(emulator)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


async def test_fault_message_is_used(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(status=429, message="Quota exceeded for aiplatform.googleapis.com/x"))
    assert (await post(emulator)).json()["error"]["message"] == "Quota exceeded for aiplatform.googleapis.com/x"


async def test_529_on_claude_uses_anthropics_overloaded_body(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(status=529, model="claude-*"))
    path = model_path("claude-sonnet-4-5@20250929", "rawPredict", publisher="anthropic", location="us-east5")
    response = await emulator.client.post(path, json=claude_body())
    assert response.status_code == 529
    assert response.json() == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


async def test_times_n_fails_the_next_n_calls_then_heals(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(status=503, times=2))
    statuses = [(await post(emulator)).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert len(emulator.app.faults) == 0


async def test_persistent_fault_keeps_failing_and_counts_hits(emulator: InProcessEmulator) -> None:
    fault = emulator.app.faults.add(Fault(status=500))
    statuses = [(await post(emulator)).status_code for _ in range(3)]
    assert statuses == [500, 500, 500]
    assert fault.hits == 3


async def test_fault_matches_only_its_location_and_model(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(location="europe-west4", model="gemini-2.5-*", status=429))
    assert (await post(emulator, location="europe-west4")).status_code == 429
    assert (await post(emulator, location="us-central1")).status_code == 200
    assert (await post(emulator, location="europe-west4", model="gemini-2.0-flash")).status_code == 200


async def test_fault_on_openapi_chat_matches_the_body_model(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(model="meta/llama-3.3-*", status=503))
    path = endpoint_path("openapi", "/chat/completions")
    assert (await emulator.client.post(path, json=chat_body())).status_code == 503
    assert (await emulator.client.post(path, json=chat_body(model="qwen/qwen3-coder-maas"))).status_code == 200


async def test_route_filter_limits_a_fault_to_streams(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(route=":streamGenerateContent", status=500))
    assert (await post(emulator)).status_code == 200
    assert (await emulator.client.post(STREAM, json=gemini_body())).status_code == 500


async def test_first_matching_fault_wins(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(status=429, times=1))
    emulator.app.faults.add(Fault(status=500))
    assert [(await post(emulator)).status_code for _ in range(2)] == [429, 500]


# -------------------------------------------------------------------------------------------- timing (fake sleep)


class RecordingSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


async def test_added_latency_and_global_latency_sleep_before_answering() -> None:
    sleep = RecordingSleep()
    app = create_app(require_auth=False, latency_ms=20, sleep=sleep)
    app.faults.add(Fault(latency_ms=250, times=1))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        first = await client.post(model_path(MODEL, "generateContent"), json=gemini_body())
        second = await client.post(model_path(MODEL, "generateContent"), json=gemini_body())
    assert (first.status_code, second.status_code) == (200, 200)
    assert sleep.calls == [0.25, 0.02, 0.02]


async def test_slow_first_byte_waits_after_headers() -> None:
    sleep = RecordingSleep()
    app = create_app(require_auth=False, sleep=sleep)
    app.faults.add(Fault(first_byte_ms=1500))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        unary = await client.post(model_path(MODEL, "generateContent"), json=gemini_body())
        stream = await client.post(STREAM, json=gemini_body())
    assert unary.json()["candidates"][0]["content"]["parts"][0]["text"] == "Echo: hello world"
    assert len(sse_json(stream.text)) == 3
    assert sleep.calls == [1.5, 1.5]


# -------------------------------------------------------------------------------------------- stream faults


async def test_malformed_event_after_n_events(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(malformed_after=2))
    data = sse_data((await emulator.client.post(STREAM, json=gemini_body(EIGHT_WORDS))).text)
    orjson.loads(data[0])
    orjson.loads(data[1])
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(data[2])


async def test_error_event_mid_stream_is_googles_error_in_a_200_stream(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(error_after=2, status=429))
    response = await emulator.client.post(STREAM, json=gemini_body(EIGHT_WORDS))
    assert response.status_code == 200
    events = sse_json(response.text)
    assert len(events) == 3
    assert events[2]["error"]["status"] == "RESOURCE_EXHAUSTED"


async def test_error_event_mid_stream_for_claude_is_anthropics_error_event(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(error_after=3))
    path = model_path("claude-haiku-4-5@20251001", "streamRawPredict", publisher="anthropic", location="us-east5")
    text = (await emulator.client.post(path, json=claude_body(stream=True))).text
    assert "event: error\n" in text
    assert "overloaded_error" in text
    assert "message_stop" not in text


async def test_error_event_mid_stream_for_openai_chat(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(error_after=1, status=503))
    path = endpoint_path("openapi", "/chat/completions")
    text = (await emulator.client.post(path, json=chat_body(stream=True))).text
    assert "[DONE]" not in text
    assert sse_json(text)[-1]["error"]["code"] == 503


async def test_cut_in_process_raises_the_httpx_disconnect_error(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(cut_after=2))
    with pytest.raises(httpx.RemoteProtocolError):
        await emulator.client.post(STREAM, json=gemini_body(EIGHT_WORDS))


async def test_reset_in_process_raises_the_httpx_disconnect_error(emulator: InProcessEmulator) -> None:
    emulator.app.faults.add(Fault(reset=True, times=1))
    with pytest.raises(EmulatedConnectionReset):
        await post(emulator)
    assert (await post(emulator)).status_code == 200
    assert [r.status for r in emulator.app.requests] == [None, 200]


# -------------------------------------------------------------------------------------------- real socket


def read_lines(url: str, body: dict[str, object], *, read_timeout: float = 5.0) -> tuple[list[str], Exception | None]:
    """Every line of a streamed answer until it ends or fails, and the failure."""
    lines: list[str] = []
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(5.0, read=read_timeout)) as client,
            client.stream("POST", url, json=body) as response,
        ):
            lines.extend(response.iter_lines())
    except httpx.HTTPError as exc:
        return lines, exc
    return lines, None


def stream_events_until_error(
    url: str, body: dict[str, object], *, read_timeout: float = 5.0
) -> tuple[list[str], Exception | None]:
    lines, error = read_lines(url + STREAM, body, read_timeout=read_timeout)
    return [line for line in lines if line.startswith("data: ")], error


def test_cut_after_n_events_closes_the_socket_without_the_last_event(live_emulator: RunningEmulator) -> None:
    live_emulator.app.faults.add(Fault(cut_after=3))
    received, error = stream_events_until_error(live_emulator.url, gemini_body(EIGHT_WORDS))
    assert len(received) == 3
    assert isinstance(error, httpx.RemoteProtocolError)
    assert all('"finishReason"' not in line for line in received)


def test_stall_after_n_events_hangs_until_the_client_gives_up(live_emulator: RunningEmulator) -> None:
    live_emulator.app.faults.add(Fault(stall_after=2))
    received, error = stream_events_until_error(live_emulator.url, gemini_body(EIGHT_WORDS), read_timeout=0.3)
    assert len(received) == 2
    assert isinstance(error, httpx.ReadTimeout)


def test_stall_for_a_bounded_time_then_the_stream_completes(live_emulator: RunningEmulator) -> None:
    live_emulator.app.faults.add(Fault(stall_after=1, stall_seconds=0.05))
    received, error = stream_events_until_error(live_emulator.url, gemini_body(EIGHT_WORDS))
    assert error is None
    assert len(received) == 8


def test_reset_before_headers_is_a_connection_error(live_emulator: RunningEmulator) -> None:
    live_emulator.app.faults.add(Fault(reset=True, times=1))
    with httpx.Client(timeout=5.0) as client:
        with pytest.raises(httpx.TransportError):
            client.post(live_emulator.url + model_path(MODEL, "generateContent"), json=gemini_body())
        healthy = client.post(live_emulator.url + model_path(MODEL, "generateContent"), json=gemini_body())
    assert healthy.status_code == 200


def test_silent_upstream_never_answers(live_emulator: RunningEmulator) -> None:
    live_emulator.app.faults.add(Fault(silent=True, model="gemini-2.5-pro"))
    with httpx.Client(timeout=httpx.Timeout(5.0, read=0.3)) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post(live_emulator.url + model_path("gemini-2.5-pro", "generateContent"), json=gemini_body())
        other = client.post(live_emulator.url + model_path(MODEL, "generateContent"), json=gemini_body())
    assert other.status_code == 200
    assert [r.model for r in live_emulator.app.requests] == ["gemini-2.5-pro", MODEL]


def test_cut_over_a_real_socket_for_claude_drops_message_stop(live_emulator: RunningEmulator) -> None:
    live_emulator.app.faults.add(Fault(cut_after=4))
    path = model_path("claude-sonnet-4-5@20250929", "streamRawPredict", publisher="anthropic", location="us-east5")
    lines, error = read_lines(live_emulator.url + path, claude_body(stream=True))
    assert isinstance(error, httpx.RemoteProtocolError)
    assert sum(1 for line in lines if line.startswith("event: ")) == 4


# -------------------------------------------------------------------------------------------- rule sources


def test_rules_load_from_yaml_and_json_files(tmp_path: Path) -> None:
    yaml_file = tmp_path / "faults.yaml"
    yaml_file.write_text(
        "- {location: europe-west4, model: '*', status: 429, retry_after: 3, times: 2}\n- {cut_after: 5}\n"
    )
    json_file = tmp_path / "faults.json"
    json_file.write_text('{"faults": [{"model": "claude-*", "status": 529}]}')
    from_yaml = load_faults_file(yaml_file)
    assert [(f.location, f.status, f.retry_after, f.times) for f in from_yaml[:1]] == [("europe-west4", 429, 3, 2)]
    assert from_yaml[1].cut_after == 5
    assert load_faults_file(json_file)[0].status == 529


def test_unknown_rule_field_is_an_error() -> None:
    with pytest.raises(ValueError, match="statsu"):
        fault_from_mapping({"statsu": 429})


async def test_fault_table_from_file_is_used_by_the_app(tmp_path: Path) -> None:
    rules = tmp_path / "f.yaml"
    rules.write_text("- {status: 503, times: 1}\n")
    app = create_app(require_auth=False, faults=FaultTable(load_faults_file(rules)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        statuses = [
            (await client.post(model_path(MODEL, "generateContent"), json=gemini_body())).status_code for _ in range(2)
        ]
    assert statuses == [503, 200]


async def test_control_endpoint_adds_lists_and_clears_faults(emulator: InProcessEmulator) -> None:
    client = emulator.client
    added = await client.post(
        "/_emulator/faults",
        json=[{"location": "us-central1", "status": 429, "times": 1}, {"status": 500, "location": "asia-*"}],
    )
    assert added.status_code == 200
    ids = [f["id"] for f in added.json()["faults"]]
    assert len(ids) == 2
    assert (await post(emulator)).status_code == 429
    listed = (await client.get("/_emulator/faults")).json()["faults"]
    assert [f["id"] for f in listed] == [ids[1]]
    assert (await client.delete(f"/_emulator/faults/{ids[1]}")).status_code == 200
    assert (await post(emulator, location="asia-east1")).status_code == 200
    await client.post("/_emulator/faults", json={"status": 500})
    await client.delete("/_emulator/faults")
    assert (await post(emulator)).status_code == 200


async def test_control_endpoint_rejects_a_bad_rule(emulator: InProcessEmulator) -> None:
    response = await emulator.client.post("/_emulator/faults", json={"stauts": 500})
    assert response.status_code == 400
    assert "stauts" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (model_path(MODEL, "streamGenerateContent"), gemini_body(EIGHT_WORDS)),
        (endpoint_path("openapi", "/chat/completions"), chat_body(EIGHT_WORDS, stream=True)),
        (
            model_path("claude-sonnet-4-5@20250929", "streamRawPredict", publisher="anthropic"),
            claude_body(EIGHT_WORDS, stream=True),
        ),
    ],
)
async def test_malformed_and_error_events_for_every_stream_flavor(
    emulator: InProcessEmulator, path: str, body: dict[str, object]
) -> None:
    healthy = (await emulator.client.post(path, json=body)).content
    emulator.app.faults.add(Fault(malformed_after=1, times=1))
    malformed = (await emulator.client.post(path, json=body)).content
    emulator.app.faults.add(Fault(error_after=1, status=429, times=1))
    errored = (await emulator.client.post(path, json=body)).content
    assert malformed != healthy
    assert len(malformed) > len(healthy)  # the broken event is extra; the healthy events all follow
    assert b"RESOURCE_EXHAUSTED" in errored or b"rate_limit_error" in errored
    assert len(errored) < len(healthy) + 200
