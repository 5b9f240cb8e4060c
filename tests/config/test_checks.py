"""Cross-reference checks: fallbacks, aliases, keys, duplicates, ids, locations, credentials paths."""

from __future__ import annotations

import pytest

from router.errors import ConfigError
from tests.config.helpers import only_error

TWO_GROUPS = """
model_list:
  - model_name: flash
    litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p}
  - model_name: pro
    litellm_params: {model: vertex_ai/gemini-2.5-pro, vertex_project: p}
"""


def test_fallback_cycle_is_an_error(problems_of):
    problem = only_error(
        problems_of(TWO_GROUPS + "router_settings:\n  fallbacks:\n    - flash: [pro]\n    - pro: [flash]\n")
    )
    assert problem.message == "fallbacks form a cycle: flash → pro → flash"
    assert problem.key_path == "router_settings.fallbacks[0].flash"
    assert (problem.line, problem.column) == (8, 7)


def test_self_fallback_is_a_cycle(problems_of):
    problem = only_error(problems_of(TWO_GROUPS + "router_settings:\n  context_window_fallbacks: [{pro: [pro]}]\n"))
    assert problem.message == "context_window_fallbacks form a cycle: pro → pro"


def test_fallback_chain_without_cycle_loads(load):
    config = load(TWO_GROUPS + "router_settings:\n  fallbacks: [{flash: [pro]}]\n  default_fallbacks: [pro]\n")
    assert config.router_settings.fallbacks == [{"flash": ["pro"]}]
    assert config.router_settings.default_fallbacks == ["pro"]


def test_fallback_source_typo_suggests_group(problems_of):
    problem = only_error(problems_of(TWO_GROUPS + "router_settings:\n  fallbacks: [{flsh: [pro]}]\n"))
    assert problem.message == "fallback source 'flsh' is not a model group; did you mean 'flash'?"


def test_fallbacks_from_litellm_settings_are_checked_and_used(problems_of, load):
    problem = only_error(problems_of(TWO_GROUPS + "litellm_settings:\n  fallbacks: [{flash: [nope]}]\n"))
    assert problem.key_path == "litellm_settings.fallbacks[0].flash[0]"
    config = load(TWO_GROUPS + "litellm_settings:\n  fallbacks: [{flash: [pro]}]\n  num_retries: 5\n")
    assert config.router_settings.fallbacks == [{"flash": ["pro"]}]
    assert config.router_settings.num_retries == 5


def test_router_settings_win_over_litellm_settings(load):
    config = load(TWO_GROUPS + "litellm_settings:\n  num_retries: 5\nrouter_settings:\n  num_retries: 1\n")
    assert config.router_settings.num_retries == 1


def test_request_timeout_becomes_the_router_timeout(load):
    config = load(TWO_GROUPS + "litellm_settings:\n  request_timeout: 42\n")
    assert config.router_settings.timeout == 42


def test_alias_target_must_exist(problems_of):
    problem = only_error(problems_of(TWO_GROUPS + "router_settings:\n  model_group_alias: {gpt-4: gpt4-turbo}\n"))
    assert problem.key_path == "router_settings.model_group_alias.gpt-4"
    assert "alias target 'gpt4-turbo' is not a model group" in problem.message


def test_alias_may_be_a_fallback_target_and_resolves(load):
    config = load(
        TWO_GROUPS
        + "router_settings:\n  model_group_alias:\n    big: {model: pro, hidden: true}\n  fallbacks: [{flash: [big]}]\n"
    )
    assert config.resolve_group("big") == "pro"
    assert config.aliases["big"].hidden is True
    assert [d.model_name for d in config.deployments("big")] == ["pro"]


def test_alias_named_like_a_group_is_an_error(problems_of):
    problem = only_error(problems_of(TWO_GROUPS + "router_settings:\n  model_group_alias: {pro: flash}\n"))
    assert "same name as a model group" in problem.message


def test_duplicate_deployment_is_an_error(problems_of):
    text = (
        TWO_GROUPS
        + "  - model_name: flash\n    litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p}\n"
    )
    problem = only_error(problems_of(text))
    assert problem.key_path == "model_list[2]"
    assert problem.message.startswith("duplicate deployment: same model_name, model, project, location and api_base")
    assert (problem.line, problem.column) == (6, 5)


def test_same_model_in_two_regions_is_not_a_duplicate(load):
    text = TWO_GROUPS + (
        "  - model_name: flash\n"
        "    litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p, vertex_location: europe-west4}\n"
    )
    config = load(text)
    ids = [d.id for d in config.model_list]
    assert len(set(ids)) == 3


def test_repeated_model_info_id_is_an_error(problems_of):
    text = """
model_list:
  - model_name: a
    litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p}
    model_info: {id: one}
  - model_name: b
    litellm_params: {model: vertex_ai/gemini-2.5-pro, vertex_project: p}
    model_info: {id: one}
"""
    problem = only_error(problems_of(text))
    assert problem.key_path == "model_list[1].model_info.id"
    assert "model_info.id 'one' repeated" in problem.message
    assert (problem.line, problem.column) == (7, 22)


def test_deployment_id_is_stable_and_ignores_unrelated_params(load):
    first = load(TWO_GROUPS).model_list[0].id
    second = (
        load(TWO_GROUPS.replace("vertex_project: p}", "vertex_project: p, rpm: 10, temperature: 0.1}")).model_list[0].id
    )
    assert first == second


def test_unknown_but_wellformed_location_is_a_warning_with_suggestion(load, problems_of):
    text = TWO_GROUPS.replace(
        "gemini-2.5-pro, vertex_project: p", "gemini-2.5-pro, vertex_project: p, vertex_location: us-east-1"
    )
    config = load(text)
    (warning,) = config.warnings
    assert warning.message == "'us-east-1' is not a known Vertex AI location; did you mean 'us-east1'?"
    assert warning.key_path == "model_list[1].litellm_params.vertex_location"
    problem = only_error(problems_of(text, strict=True))
    assert problem.message == warning.message


@pytest.mark.parametrize("location", ["global", "us", "eu", "europe-west4"])
def test_every_location_kind_is_accepted(load, location):
    config = load(
        TWO_GROUPS.replace(
            "gemini-2.5-pro, vertex_project: p", f"gemini-2.5-pro, vertex_project: p, vertex_location: {location}"
        )
    )
    assert config.warnings == []
    assert config.model_list[1].location == location


def test_missing_credentials_file_warns_and_fails_under_strict(load, problems_of, tmp_path):
    text = TWO_GROUPS.replace(
        "gemini-2.5-pro, vertex_project: p", "gemini-2.5-pro, vertex_project: p, vertex_credentials: gone.json"
    )
    config = load(text)
    (warning,) = config.warnings
    assert warning.severity == "warning"
    assert warning.message == f"credentials file {tmp_path / 'gone.json'} does not exist (an error with --strict)"
    assert config.model_list[1].credentials == str(tmp_path / "gone.json")
    assert only_error(problems_of(text, strict=True)).key_path == "model_list[1].litellm_params.vertex_credentials"


def test_api_keys_must_name_existing_groups_and_be_unique(problems_of):
    text = TWO_GROUPS + (
        "general_settings:\n  master_key: sk-admin\n  keys:\n"
        "    - {name: team-a, key: sk-a, models: [flash, nope]}\n"
        "    - {name: team-a, key: sk-admin}\n"
    )
    problems = problems_of(text)
    messages = sorted(p.message for p in problems)
    assert any("model group 'nope' is not a model group" in m for m in messages)
    assert any("key name 'team-a' repeated" in m for m in messages)
    assert any("used twice" in m for m in messages)
    assert "sk-admin" not in "".join(messages)


def test_named_keys_load(load):
    config = load(TWO_GROUPS + "general_settings:\n  keys:\n    - {name: ci, key: sk-ci, models: [pro], rpm: 10}\n")
    keys = config.general_settings.keys or []
    assert [(k.name, k.models, k.rpm) for k in keys] == [("ci", ["pro"], 10)]


def test_conflicting_order_values_are_an_error(problems_of):
    text = TWO_GROUPS.replace(
        "vertex_project: p}\n  - model_name: pro",
        "vertex_project: p, order: 1}\n    model_info: {order: 2}\n  - model_name: pro",
    )
    problem = only_error(problems_of(text))
    assert problem.key_path == "model_list[0].model_info.order"


def test_empty_model_list_is_an_error():
    from router.config import load_config_dict

    with pytest.raises(ConfigError) as info:
        load_config_dict({"model_list": []}, environ={})
    assert "model_list is empty" in info.value.problems[0].message
