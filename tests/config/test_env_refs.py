"""``os.environ/NAME`` resolved wherever a string is written."""

from __future__ import annotations

from tests.config.helpers import only_error

BASE = """
model_list:
  - model_name: flash
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      vertex_project: os.environ/GCP_PROJECT
      rpm: os.environ/FLASH_RPM
      drop_params: os.environ/DROP
"""


def test_references_resolve_and_numbers_and_booleans_convert(load):
    config = load(BASE, environ={"GCP_PROJECT": "proj", "FLASH_RPM": "600", "DROP": "true"})
    deployment = config.model_list[0]
    assert deployment.project == "proj"
    assert deployment.litellm_params.rpm == 600
    assert deployment.drop_params is True


def test_nested_references_resolve(load):
    text = BASE + "general_settings:\n  keys:\n    - {name: ci, key: os.environ/CI_KEY}\n"
    config = load(text, environ={"GCP_PROJECT": "p", "FLASH_RPM": "1", "DROP": "false", "CI_KEY": "sk-ci"})
    assert (config.general_settings.keys or [])[0].key == "sk-ci"


def test_every_missing_variable_is_reported(problems_of):
    problems = problems_of(BASE, environ={"DROP": "true"})
    assert [p.key_path for p in problems] == [
        "model_list[0].litellm_params.vertex_project",
        "model_list[0].litellm_params.rpm",
    ]
    assert problems[1].message.startswith("environment variable FLASH_RPM is not set")
    assert (problems[1].line, problems[1].column) == (6, 12)


def test_non_numeric_value_from_environment_is_reported_without_echoing_it(problems_of):
    problem = only_error(problems_of(BASE, environ={"GCP_PROJECT": "p", "FLASH_RPM": "lots", "DROP": "true"}))
    assert problem.key_path == "model_list[0].litellm_params.rpm"
    assert problem.message == "expected an integer (value came from an environment variable)"


def test_environment_variables_section_is_a_default_for_references(load):
    text = BASE + "environment_variables:\n  GCP_PROJECT: from-file\n  FLASH_RPM: 60\n  DROP: false\n"
    config = load(text)
    assert config.model_list[0].project == "from-file"
    assert config.model_list[0].litellm_params.rpm == 60
    assert config.environment_variables == {"GCP_PROJECT": "from-file", "FLASH_RPM": "60", "DROP": "false"}


def test_environment_variables_may_point_at_process_variables(load):
    text = BASE + "environment_variables:\n  GCP_PROJECT: os.environ/REAL_PROJECT\n  FLASH_RPM: 1\n  DROP: true\n"
    assert load(text, environ={"REAL_PROJECT": "real"}).model_list[0].project == "real"


def test_reference_without_a_name_is_an_error(problems_of):
    problem = only_error(
        problems_of(BASE.replace("os.environ/GCP_PROJECT", "os.environ/"), environ={"FLASH_RPM": "1", "DROP": "1"})
    )
    assert problem.message == "'os.environ/' does not name an environment variable"


def test_credentials_json_from_environment_becomes_a_mapping(load):
    creds = '{"type": "service_account", "project_id": "k", "client_email": "a@b", "private_key": "pk"}'
    text = BASE.replace("vertex_project: os.environ/GCP_PROJECT", "vertex_credentials: os.environ/SA_JSON")
    config = load(text, environ={"SA_JSON": creds, "FLASH_RPM": "1", "DROP": "0"})
    assert isinstance(config.model_list[0].credentials, dict)
    assert config.model_list[0].project == "k"


def test_malformed_credentials_json_from_environment_names_no_content(problems_of):
    text = BASE.replace("vertex_project: os.environ/GCP_PROJECT", "vertex_credentials: os.environ/SA_JSON")
    problem = only_error(problems_of(text, environ={"SA_JSON": '{"private_key": "sec', "FLASH_RPM": "1", "DROP": "0"}))
    assert problem.message.startswith("the credentials JSON string is not valid JSON")
    assert "sec" not in problem.message


def test_unresolved_credentials_reference_is_not_also_checked_as_a_path(problems_of):
    text = BASE.replace("rpm: os.environ/FLASH_RPM", "vertex_credentials: os.environ/SA_FILE")
    problems = problems_of(text, environ={"GCP_PROJECT": "p", "DROP": "1"})
    assert [p.message.split(" (")[0] for p in problems] == ["environment variable SA_FILE is not set"]
