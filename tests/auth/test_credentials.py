"""vertex_credentials → google-auth credentials; every bad input is a CredentialsError naming the source only."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest
from google.auth import identity_pool
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from router.auth import load_credentials, load_credentials_and_project
from router.emulator.oauth import TokenAuthority
from router.errors import CredentialsError

TOKEN_URI = "http://127.0.0.1:9/token"


@pytest.fixture
def sa_info() -> dict[str, str]:
    return TokenAuthority().service_account_info(token_uri=TOKEN_URI, project_id="p-sa")


def test_path_json_string_and_mapping_all_load_a_service_account(sa_info: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "sa.json"
    path.write_bytes(orjson.dumps(sa_info))
    for source in (str(path), path, orjson.dumps(sa_info).decode(), sa_info):
        creds, project = load_credentials_and_project(source)
        assert isinstance(creds, service_account.Credentials)
        assert creds.service_account_email == sa_info["client_email"]
        assert creds.scopes == ["https://www.googleapis.com/auth/cloud-platform"]
        assert project == "p-sa"


def test_authorized_user_credentials_carry_the_quota_project() -> None:
    info = {
        "type": "authorized_user",
        "client_id": "cid.apps.googleusercontent.com",
        "client_secret": "sec-ret-value-1234",
        "refresh_token": "1//refresh-token-value",
        "quota_project_id": "billing-proj",
    }
    creds, project = load_credentials_and_project(info)
    assert isinstance(creds, user_credentials.Credentials)
    assert creds.quota_project_id == "billing-proj"
    assert project == "billing-proj"


def test_external_account_with_a_file_source_is_an_identity_pool_credential(tmp_path: Path) -> None:
    subject = tmp_path / "oidc-token"
    subject.write_text("header.payload.sig")
    info = {
        "type": "external_account",
        "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/x",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "token_url": "https://sts.googleapis.com/v1/token",
        "credential_source": {"file": str(subject)},
    }
    assert isinstance(load_credentials(info), identity_pool.Credentials)


def test_file_that_is_not_json_names_the_file_and_not_its_content(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("SECRET-CONTENT-xyz, definitely not json")
    with pytest.raises(CredentialsError) as info:
        load_credentials(str(path))
    assert info.value.source == f"file {path}"
    assert "not valid JSON" in str(info.value)
    assert "SECRET-CONTENT" not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_inline_json_with_an_unknown_type_names_inline_json() -> None:
    with pytest.raises(CredentialsError, match="unknown credentials type 'banana'") as info:
        load_credentials('{"type": "banana", "private_key": "SECRET-KEY-MATERIAL-1234"}')
    assert info.value.source == "inline JSON"
    assert "SECRET-KEY-MATERIAL" not in str(info.value)


def test_broken_private_key_names_the_source_without_the_key(sa_info: dict[str, str]) -> None:
    broken = dict(sa_info, private_key=sa_info["private_key"][:200] + "GARBAGE" + sa_info["private_key"][260:])
    with pytest.raises(CredentialsError, match="service_account credentials are unusable") as info:
        load_credentials(broken)
    assert info.value.source == "mapping"
    assert "PRIVATE KEY" not in str(info.value)
    assert sa_info["private_key"][40:80] not in str(info.value)
    assert info.value.__cause__ is None


def test_service_account_missing_fields_is_a_credentials_error(sa_info: dict[str, str]) -> None:
    incomplete = {k: v for k, v in sa_info.items() if k != "client_email"}
    with pytest.raises(CredentialsError, match="unusable"):
        load_credentials(incomplete)


def test_unreadable_file_is_a_credentials_error_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(CredentialsError, match="cannot read the credentials file") as info:
        load_credentials(str(missing))
    assert info.value.source == f"file {missing}"


def test_file_holding_a_json_array_is_rejected_as_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(CredentialsError, match="not an object"):
        load_credentials(path)


def test_base64_encoded_json_is_recognised_and_not_echoed(sa_info: dict[str, str]) -> None:
    encoded = base64.b64encode(orjson.dumps(sa_info)).decode()
    with pytest.raises(CredentialsError, match="base64") as info:
        load_credentials(encoded)
    assert info.value.source == "inline value"
    assert encoded[:40] not in str(info.value)


def test_a_pasted_pem_key_is_not_used_as_a_file_name(sa_info: dict[str, str]) -> None:
    with pytest.raises(CredentialsError) as info:
        load_credentials(sa_info["private_key"])
    assert info.value.source == "inline value"
    assert "PRIVATE KEY" not in str(info.value)


def test_adc_without_any_credentials_is_a_credentials_error_naming_adc(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("GCE_METADATA_DETECT_RETRIES", "1")
    monkeypatch.setattr("google.auth.compute_engine._metadata._METADATA_DETECT_RETRIES", 1)
    monkeypatch.setattr("google.auth.compute_engine._metadata.detect_gce_residency_linux", lambda: False)
    with pytest.raises(CredentialsError) as info:
        load_credentials(None)
    assert info.value.source == "ADC"


def test_adc_reads_google_application_credentials(
    sa_info: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "adc.json"
    path.write_bytes(orjson.dumps(sa_info))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    creds, project = load_credentials_and_project(None)
    assert isinstance(creds, service_account.Credentials)
    assert project == "p-sa"


def test_adc_finds_gcloud_user_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    user = {
        "type": "authorized_user",
        "client_id": "cid.apps.googleusercontent.com",
        "client_secret": "sec-ret-value-1234",
        "refresh_token": "1//refresh-token-value",
        "quota_project_id": "gcloud-proj",
    }
    (tmp_path / "application_default_credentials.json").write_bytes(orjson.dumps(user))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    creds, project = load_credentials_and_project(None)
    assert isinstance(creds, user_credentials.Credentials)
    assert project == "gcloud-proj"
