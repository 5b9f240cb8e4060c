"""Bearer-token checks on Vertex routes, the token/metadata routes, and the request log."""

from __future__ import annotations

import httpx

from router.emulator.app import create_app
from router.emulator.oauth import TokenAuthority
from tests.emulator_helpers import InProcessEmulator, gemini_body, model_path

PATH = model_path("gemini-2.5-flash", "generateContent")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_valid_token_is_accepted(authed_emulator: InProcessEmulator) -> None:
    assert (await authed_emulator.client.post(PATH, json=gemini_body())).status_code == 200


async def test_missing_token_is_401_with_googles_body(authed_emulator: InProcessEmulator) -> None:
    response = await authed_emulator.client.post(PATH, json=gemini_body(), headers={"authorization": ""})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["status"] == "UNAUTHENTICATED"
    assert error["message"].startswith("Request is missing required authentication credential.")
    assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_unknown_token_is_401(authed_emulator: InProcessEmulator) -> None:
    response = await authed_emulator.client.post(PATH, json=gemini_body(), headers={"authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("Request had invalid authentication credentials.")


async def test_expired_token_is_401() -> None:
    clock = FakeClock()
    authority = TokenAuthority(token_ttl=60, clock=clock)
    app = create_app(authority=authority, clock=clock)
    token = authority.issue_token()
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://e", headers=headers
    ) as client:
        fresh = await client.post(PATH, json=gemini_body())
        clock.now += 61
        expired = await client.post(PATH, json=gemini_body())
    assert (fresh.status_code, expired.status_code) == (200, 401)


async def test_auth_is_checked_before_faults(authed_emulator: InProcessEmulator) -> None:
    from router.emulator.faults import Fault

    fault = authed_emulator.app.faults.add(Fault(status=503))
    response = await authed_emulator.client.post(PATH, json=gemini_body(), headers={"authorization": ""})
    assert response.status_code == 401
    assert fault.hits == 0


async def test_token_endpoint_is_delegated_to_the_authority(authed_emulator: InProcessEmulator) -> None:
    response = await authed_emulator.client.post(
        "/token",
        content=b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=not.a.jwt",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "error" in response.json()


async def test_metadata_server_token_route(authed_emulator: InProcessEmulator) -> None:
    path = "/computeMetadata/v1/instance/service-accounts/default/token"
    response = await authed_emulator.client.get(path, headers={"metadata-flavor": "Google"})
    assert response.status_code == 200
    assert response.headers["metadata-flavor"] == "Google"
    token = response.json()["access_token"]
    vertex = await authed_emulator.client.post(PATH, json=gemini_body(), headers={"authorization": f"Bearer {token}"})
    assert vertex.status_code == 200


async def test_control_routes_need_no_token(authed_emulator: InProcessEmulator) -> None:
    response = await authed_emulator.client.get("/_emulator/health", headers={"authorization": ""})
    assert response.json() == {"status": "ok"}


# -------------------------------------------------------------------------------------------- request log


async def test_request_log_records_location_model_body_and_headers_without_authorization(
    authed_emulator: InProcessEmulator,
) -> None:
    await authed_emulator.client.post(
        model_path("gemini-2.5-pro", "generateContent", location="europe-west4"),
        json=gemini_body("logged"),
        headers={"x-goog-user-project": "billing"},
    )
    record = authed_emulator.app.requests[-1]
    assert (record.method, record.location, record.model, record.status) == (
        "POST",
        "europe-west4",
        "gemini-2.5-pro",
        200,
    )
    assert record.body == gemini_body("logged")
    assert record.headers["x-goog-user-project"] == "billing"
    assert "authorization" not in record.headers
    assert record.path.endswith(":generateContent")


async def test_requests_to_filters_by_location_and_model(emulator: InProcessEmulator) -> None:
    for location in ("us-central1", "us-central1", "europe-west4"):
        await emulator.client.post(
            model_path("gemini-2.5-flash", "generateContent", location=location), json=gemini_body()
        )
    assert len(emulator.app.requests_to(location="us-central1")) == 2
    assert len(emulator.app.requests_to(location="europe-west4", model="gemini-2.5-flash")) == 1


async def test_request_log_over_http_and_reset(emulator: InProcessEmulator) -> None:
    await emulator.client.post(PATH, json=gemini_body())
    await emulator.client.post(
        model_path("gemini-2.5-flash", "generateContent", location="asia-east1"), json=gemini_body()
    )
    listed = (await emulator.client.get("/_emulator/requests?location=asia-east1")).json()["requests"]
    assert [r["location"] for r in listed] == ["asia-east1"]
    assert listed[0]["status"] == 200
    assert (await emulator.client.post("/_emulator/reset")).status_code == 200
    assert emulator.app.requests == []
    assert (await emulator.client.get("/_emulator/requests")).json()["requests"] == []


async def test_rejected_requests_are_recorded_with_their_status(emulator: InProcessEmulator) -> None:
    await emulator.client.post(PATH, json={"contents": []})
    assert emulator.app.requests[-1].status == 400


async def test_request_log_is_bounded() -> None:
    from router.emulator.call import EmulatorSettings

    app = create_app(require_auth=False, settings=EmulatorSettings(record_limit=4))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        for i in range(6):
            await client.post(PATH, json=gemini_body(f"n{i}"))
    assert len(app.requests) <= 4
    assert app.requests[-1].body == gemini_body("n5")


async def test_jobs_and_storage_routes_are_mounted(emulator: InProcessEmulator) -> None:
    response = await emulator.client.get("/v1/projects/p/locations/us-central1/batchPredictionJobs")
    assert response.status_code == 200
    assert "batchPredictionJobs" in response.json()
