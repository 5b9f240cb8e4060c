"""Project, location and credentials: deployment → litellm_settings → environment → the credential's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.config.helpers import only_error

ENTRY = """
model_list:
  - model_name: flash
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
{params}
{settings}
"""


def _text(params: str = "", settings: str = "") -> str:
    return ENTRY.format(params=params, settings=settings)


def _sa(tmp_path: Path, project: str = "from-key", name: str = "sa.json") -> Path:
    path = tmp_path / name
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": project,
                "client_email": "x@y.iam.gserviceaccount.com",
                "private_key": "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n",
                "token_uri": "http://127.0.0.1:1/token",
            }
        )
    )
    return path


FULL_ENV = {"VERTEXAI_PROJECT": "from-env", "VERTEXAI_LOCATION": "asia-east1"}


def test_deployment_values_win_over_everything(load, tmp_path):
    config = load(
        _text(
            f"      vertex_project: own\n      vertex_location: europe-west4\n"
            f"      vertex_credentials: {_sa(tmp_path)}",
            "litellm_settings:\n  vertex_project: shared\n  vertex_location: us-east1",
        ),
        environ=FULL_ENV,
    )
    deployment = config.model_list[0]
    assert (deployment.project, deployment.location) == ("own", "europe-west4")
    assert deployment.credentials == str(tmp_path / "sa.json")


def test_litellm_settings_win_over_environment(load):
    config = load(
        _text(settings="litellm_settings:\n  vertex_project: shared\n  vertex_location: us-east1"), environ=FULL_ENV
    )
    deployment = config.model_list[0]
    assert (deployment.project, deployment.location) == ("shared", "us-east1")


def test_environment_wins_over_the_credentials_own_project(load, tmp_path):
    config = load(_text(f"      vertex_credentials: {_sa(tmp_path)}"), environ=FULL_ENV)
    assert (config.model_list[0].project, config.model_list[0].location) == ("from-env", "asia-east1")


def test_vertex_project_alias_env_names(load):
    config = load(_text(), environ={"VERTEX_PROJECT": "second-name", "VERTEX_LOCATION": "europe-west1"})
    assert (config.model_list[0].project, config.model_list[0].location) == ("second-name", "europe-west1")


def test_vertexai_names_win_over_vertex_names(load):
    config = load(_text(), environ={"VERTEX_PROJECT": "b", "VERTEXAI_PROJECT": "a"})
    assert config.model_list[0].project == "a"


def test_credentials_own_project_is_the_last_resort(load, tmp_path):
    config = load(_text(f"      vertex_credentials: {_sa(tmp_path)}"))
    assert config.model_list[0].project == "from-key"


def test_authorized_user_quota_project_is_used(load, tmp_path):
    user = tmp_path / "adc.json"
    user.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "c",
                "client_secret": "s",
                "refresh_token": "r",
                "quota_project_id": "quota",
            }
        )
    )
    config = load(_text(f"      vertex_credentials: {user}"))
    assert config.model_list[0].project == "quota"


def test_google_application_credentials_is_used_without_deployment_credentials(load, tmp_path):
    path = _sa(tmp_path, "gac-project")
    config = load(_text(), environ={"GOOGLE_APPLICATION_CREDENTIALS": str(path)})
    deployment = config.model_list[0]
    assert deployment.credentials == str(path)
    assert deployment.project == "gac-project"


def test_no_credentials_anywhere_means_adc(load):
    config = load(_text("      vertex_project: p"))
    assert config.model_list[0].credentials is None


def test_location_defaults_to_us_central1(load):
    config = load(_text("      vertex_project: p"))
    assert config.model_list[0].location == "us-central1"


def test_no_project_anywhere_with_adc_is_a_warning_and_left_to_adc(load):
    """Cloud Run's metadata server names the project; the config may leave it out (a warning says so)."""
    config = load(_text())
    assert config.model_list[0].project == ""
    (warning,) = [w for w in config.warnings if w.key_path == "model_list[0]"]
    assert warning.message.startswith("no Vertex project configured")
    assert (warning.line, warning.column) == (2, 5)


def test_environment_variables_section_supplies_defaults(load):
    config = load(_text(settings="environment_variables:\n  VERTEXAI_PROJECT: file-default"))
    assert config.model_list[0].project == "file-default"


def test_process_environment_wins_over_environment_variables_section(load):
    text = _text(settings="environment_variables:\n  VERTEXAI_PROJECT: file-default")
    assert load(text, environ={"VERTEXAI_PROJECT": "deploy-time"}).model_list[0].project == "deploy-time"


def test_relative_credentials_path_is_relative_to_the_config_file(load, tmp_path):
    _sa(tmp_path, name="key.json")
    config = load(_text("      vertex_credentials: key.json"))
    assert config.model_list[0].credentials == str(tmp_path / "key.json")


def test_inline_json_credentials_become_a_mapping(load):
    creds = json.dumps({"type": "service_account", "project_id": "inline", "client_email": "a@b", "private_key": "k"})
    config = load(_text(f"      vertex_credentials: '{creds}'"))
    deployment = config.model_list[0]
    assert isinstance(deployment.credentials, dict)
    assert deployment.project == "inline"


def test_credentials_mapping_in_yaml(load):
    config = load(
        _text(
            "      vertex_credentials:\n        type: external_account\n        audience: aud\n"
            "        subject_token_type: urn:ietf:params:oauth:token-type:jwt\n      vertex_project: p"
        )
    )
    assert config.model_list[0].credentials == {
        "type": "external_account",
        "audience": "aud",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
    }


@pytest.mark.parametrize("key", ["vertex_ai_project", "vertex_project"])
def test_both_project_spellings_resolve(load, key):
    config = load(_text(f"      {key}: spelled"))
    assert config.model_list[0].project == "spelled"
    assert config.model_list[0].litellm_params.vertex_project == "spelled"


def test_both_spellings_at_once_is_an_error(problems_of):
    problem = only_error(problems_of(_text("      vertex_project: a\n      vertex_ai_project: b")))
    assert "both vertex_project and its alias vertex_ai_project are set" in problem.message
    assert problem.key_path == "model_list[0].litellm_params"


def test_default_vertex_config_reads_default_env_names(load):
    config = load(
        _text("      vertex_project: p", "default_vertex_config:\n  vertex_location: europe-west4"),
        environ={"DEFAULT_VERTEXAI_PROJECT": "passthrough"},
    )
    assert config.default_vertex_config is not None
    assert (config.default_vertex_config.project, config.default_vertex_config.location) == (
        "passthrough",
        "europe-west4",
    )


def test_files_bucket_comes_from_settings_else_gcs_bucket_name(load):
    text = _text(
        "      vertex_project: p",
        "files_settings:\n  - vertex_project: p\n  - {vertex_project: p, gcs_bucket_name: own}",
    )
    config = load(text, environ={"GCS_BUCKET_NAME": "shared-bucket/prefix"})
    assert [t.gcs_bucket_name for t in config.files_settings] == ["shared-bucket/prefix", "own"]


def test_config_env_reads_process_environment_then_file_defaults(load):
    config = load(_text("      vertex_project: p", "environment_variables:\n  GCS_BUCKET_NAME: from-file"))
    assert config.env("GCS_BUCKET_NAME", environ={}) == "from-file"
    assert config.env("GCS_BUCKET_NAME", environ={"GCS_BUCKET_NAME": "deploy"}) == "deploy"
    assert config.env("NOPE", environ={}) is None
