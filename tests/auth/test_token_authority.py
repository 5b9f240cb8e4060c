"""The emulator's OAuth side on its own: key trust, assertion checks, token expiry, metadata answers."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlencode

import orjson
from google.auth import crypt, jwt

from router.emulator.oauth import JWT_BEARER, TokenAuthority

TOKEN_URI = "http://127.0.0.1:9/token"


class FakeClock:
    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now


def _assertion(info: dict[str, str], **overrides: object) -> bytes:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": info["client_email"],
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now,
        "exp": now + 3600,
        "scope": "https://www.googleapis.com/auth/cloud-platform",
    }
    claims.update(overrides)
    signer = crypt.RSASigner.from_service_account_info(info)
    return jwt.encode(signer, claims)


def _form(assertion: bytes, grant: str = JWT_BEARER) -> bytes:
    return urlencode({"grant_type": grant, "assertion": assertion.decode()}).encode()


def test_signed_assertion_from_written_key_gets_a_bearer_token(tmp_path: Path) -> None:
    authority = TokenAuthority(token_ttl=1800)
    info = authority.write_credentials(tmp_path / "sa.json", token_uri=TOKEN_URI)
    status, body = authority.handle_token_request(_form(_assertion(info)), "application/x-www-form-urlencoded")
    assert status == 200
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1800
    assert authority.check_access_token(body["access_token"])
    assert authority.token_exchanges == 1


def test_written_file_is_a_service_account_file_readable_only_by_owner(tmp_path: Path) -> None:
    path = tmp_path / "sa.json"
    info = TokenAuthority().write_credentials(path, token_uri=TOKEN_URI, project_id="p-1")
    on_disk = orjson.loads(path.read_bytes())
    assert on_disk == info
    assert on_disk["type"] == "service_account"
    assert on_disk["project_id"] == "p-1"
    assert on_disk["token_uri"] == TOKEN_URI
    assert on_disk["client_email"].endswith("@p-1.iam.gserviceaccount.com")
    assert "BEGIN PRIVATE KEY" in on_disk["private_key"]
    assert path.stat().st_mode & 0o077 == 0


def test_existing_file_key_is_reused_and_trusted_by_a_new_authority(tmp_path: Path) -> None:
    path = tmp_path / "sa.json"
    first = TokenAuthority().write_credentials(path, token_uri=TOKEN_URI)
    second_authority = TokenAuthority()
    second = second_authority.write_credentials(path, token_uri="http://127.0.0.1:10/token")
    assert second["private_key"] == first["private_key"]
    assert orjson.loads(path.read_bytes())["token_uri"] == "http://127.0.0.1:10/token"
    status, _ = second_authority.handle_token_request(_form(_assertion(second)), "application/x-www-form-urlencoded")
    assert status == 200


def test_assertion_signed_by_an_unknown_key_is_rejected_as_invalid_grant(tmp_path: Path) -> None:
    stranger = TokenAuthority().service_account_info(token_uri=TOKEN_URI)
    authority = TokenAuthority()
    authority.write_credentials(tmp_path / "sa.json", token_uri=TOKEN_URI)
    status, body = authority.handle_token_request(_form(_assertion(stranger)), "application/x-www-form-urlencoded")
    assert status == 400
    assert body["error"] == "invalid_grant"
    assert authority.token_exchanges == 0


def test_tampered_claims_fail_the_signature_check() -> None:
    authority = TokenAuthority()
    info = authority.service_account_info(token_uri=TOKEN_URI)
    head, claims, sig = _assertion(info).split(b".")
    other_claims = _assertion(info, scope="https://www.googleapis.com/auth/other").split(b".")[1]
    forged = b".".join([head, other_claims, sig])
    assert claims != other_claims
    status, body = authority.handle_token_request(_form(forged), "application/x-www-form-urlencoded")
    assert (status, body["error_description"]) == (400, "Invalid JWT Signature.")


def test_wrong_audience_expired_assertion_and_missing_scope_are_rejected() -> None:
    authority = TokenAuthority()
    info = authority.service_account_info(token_uri=TOKEN_URI)
    long_ago = int(time.time()) - 7200
    for bad in (
        _assertion(info, aud="https://evil.example/token"),
        _assertion(info, iat=long_ago, exp=long_ago + 3600),
        _assertion(info, scope=""),
        _assertion(info, iss="someone@else.iam.gserviceaccount.com"),
    ):
        status, body = authority.handle_token_request(_form(bad), "application/x-www-form-urlencoded")
        assert (status, body["error"]) == (400, "invalid_grant"), body


def test_other_grant_types_and_garbage_are_400_with_google_error_shape() -> None:
    authority = TokenAuthority()
    status, body = authority.handle_token_request(
        b"grant_type=password&username=a", "application/x-www-form-urlencoded"
    )
    assert status == 400
    assert body["error"] == "unsupported_grant_type"
    assert "error_description" in body
    status, body = authority.handle_token_request(_form(b"not.a-jwt"), "application/x-www-form-urlencoded")
    assert status == 400
    assert body["error"] == "invalid_grant"


def test_access_tokens_expire_on_the_injected_clock() -> None:
    clock = FakeClock(1000.0)
    authority = TokenAuthority(token_ttl=60, clock=clock)
    token = authority.issue_token()
    short = authority.issue_token(ttl=5)
    assert authority.check_access_token(token)
    assert authority.check_access_token(short)
    clock.now += 10
    assert authority.check_access_token(token)
    assert not authority.check_access_token(short)
    clock.now += 60
    assert not authority.check_access_token(token)
    assert not authority.check_access_token(None)
    assert not authority.check_access_token("ya29.unknown")


def test_metadata_requires_the_flavor_header() -> None:
    authority = TokenAuthority()
    status, _, _ = authority.handle_metadata("/computeMetadata/v1/project/project-id", "", {})
    assert status == 403


def test_metadata_serves_probe_email_project_and_a_token() -> None:
    authority = TokenAuthority(token_ttl=900)
    info = authority.service_account_info(token_uri=TOKEN_URI, project_id="meta-proj")
    flavor = {"Metadata-Flavor": "Google"}
    assert authority.handle_metadata("/", "", flavor)[0] == 200
    status, body, _ = authority.handle_metadata("/computeMetadata/v1/project/project-id", "", flavor)
    assert (status, body) == (200, b"meta-proj")
    base = "/computeMetadata/v1/instance/service-accounts/default/"
    assert authority.handle_metadata(base + "email", "", flavor)[1] == info["client_email"].encode()
    status, body, content_type = authority.handle_metadata(base, "recursive=true", flavor)
    assert content_type == "application/json"
    assert orjson.loads(body)["email"] == info["client_email"]
    status, body, content_type = authority.handle_metadata(base + "token", "scopes=x", flavor)
    payload = orjson.loads(body)
    assert status == 200
    assert content_type == "application/json"
    assert payload["expires_in"] == 900
    assert authority.check_access_token(payload["access_token"])
    assert authority.token_exchanges == 1
    assert authority.handle_metadata("/computeMetadata/v1/nothing/here", "", flavor)[0] == 404


def test_issuing_a_token_directly_is_not_counted_as_an_exchange() -> None:
    authority = TokenAuthority()
    authority.issue_token()
    assert authority.token_exchanges == 0
