"""Each bad input of issue 2 gives its own message, at its own line and column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router.config import load_config, load_config_dict
from router.errors import ConfigError
from tests.config.helpers import only_error

GOOD_ENTRY = """
model_list:
  - model_name: flash
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      vertex_project: p
"""


def test_empty_file_says_it_is_empty(problems_of):
    problem = only_error(problems_of(""))
    assert "empty" in problem.message
    assert (problem.line, problem.column) == (1, 1)


def test_comment_only_file_counts_as_empty(problems_of):
    problem = only_error(problems_of("# nothing here\n"))
    assert "empty" in problem.message


def test_yaml_syntax_error_reports_yaml_position(problems_of):
    problem = only_error(
        problems_of(
            """
            model_list:
              - model_name: flash
                litellm_params: {model: vertex_ai/gemini-2.5-flash
            """
        )
    )
    assert problem.message.startswith("YAML syntax error")
    assert problem.line == 4


def test_bad_indentation_is_a_syntax_error_with_line(problems_of):
    problem = only_error(problems_of("model_list:\n  - model_name: a\n   litellm_params: {}\n"))
    assert "YAML syntax error" in problem.message
    assert problem.line == 3


def test_top_level_list_is_rejected(problems_of):
    problem = only_error(problems_of("- model_name: flash\n"))
    assert "top level must be a mapping" in problem.message
    assert (problem.line, problem.column) == (1, 1)


def test_list_where_a_mapping_belongs(problems_of):
    problem = only_error(
        problems_of(
            GOOD_ENTRY
            + """
router_settings:
  - num_retries: 2
"""
        )
    )
    assert problem.key_path == "router_settings"
    assert problem.message == "expected a mapping (key: value pairs), not a list"
    assert (problem.line, problem.column) == (8, 3)


def test_misspelled_top_level_key_suggests_the_right_one(problems_of):
    problem = only_error(problems_of(GOOD_ENTRY + "general_setting:\n  master_key: sk-x\n"))
    assert problem.message == "unknown key 'general_setting'; did you mean 'general_settings'?"
    assert (problem.line, problem.column) == (6, 1)


def test_misspelled_key_deep_in_litellm_params(problems_of):
    problem = only_error(
        problems_of(
            """
            model_list:
              - model_name: flash
                litellm_params:
                  model: vertex_ai/gemini-2.5-flash
                  vertex_project: p
                  vertex_locaton: europe-west4
            """
        )
    )
    assert problem.key_path == "model_list[0].litellm_params.vertex_locaton"
    assert problem.message == "unknown key 'vertex_locaton'; did you mean 'vertex_location'?"
    assert (problem.line, problem.column) == (6, 7)


def test_misspelled_key_in_nested_policy(problems_of):
    problem = only_error(
        problems_of(
            GOOD_ENTRY
            + """
router_settings:
  retry_policy:
    RateLimitErrorRetry: 3
"""
        )
    )
    assert problem.key_path == "router_settings.retry_policy.RateLimitErrorRetry"
    assert "did you mean 'RateLimitErrorRetries'?" in problem.message
    assert (problem.line, problem.column) == (9, 5)


def test_key_in_the_wrong_section_says_where_it_belongs(problems_of):
    problem = only_error(problems_of(GOOD_ENTRY + "litellm_settings:\n  routing_strategy: least-busy\n"))
    assert problem.message == "unknown key 'routing_strategy'; 'routing_strategy' belongs in router_settings"


def test_unknown_routing_strategy_lists_choices_and_suggests(problems_of):
    problem = only_error(problems_of(GOOD_ENTRY + "router_settings:\n  routing_strategy: latency-based\n"))
    assert problem.key_path == "router_settings.routing_strategy"
    assert problem.message.startswith("'latency-based' is not allowed here; did you mean 'latency-based-routing'?")
    assert "'usage-based-routing-v2'" in problem.message
    assert (problem.line, problem.column) == (7, 21)


def test_num_retries_as_a_word_is_not_an_integer(problems_of):
    problem = only_error(problems_of(GOOD_ENTRY + 'router_settings:\n  num_retries: "three"\n'))
    assert problem.key_path == "router_settings.num_retries"
    assert problem.message == "expected an integer (got 'three')"
    assert (problem.line, problem.column) == (7, 16)


def test_quoted_number_is_not_silently_an_integer(problems_of):
    problem = only_error(problems_of(GOOD_ENTRY + 'router_settings:\n  num_retries: "3"\n'))
    assert problem.message == "expected an integer (got '3')"


def test_negative_rpm_is_rejected_at_its_value(problems_of):
    text = GOOD_ENTRY.replace("vertex_project: p", "vertex_project: p\n      rpm: -5")
    problem = only_error(problems_of(text))
    assert problem.key_path == "model_list[0].litellm_params.rpm"
    assert "greater than or equal to 0" in problem.message
    assert (problem.line, problem.column) == (6, 12)


def test_fallback_to_a_group_that_does_not_exist(problems_of):
    problem = only_error(
        problems_of(
            GOOD_ENTRY
            + """
router_settings:
  fallbacks:
    - flash: [gemini-pro]
"""
        )
    )
    assert problem.key_path == "router_settings.fallbacks[0].flash[0]"
    assert problem.message == "fallback target 'gemini-pro' is not a model group; model groups are: flash"
    assert (problem.line, problem.column) == (9, 15)


def test_missing_environment_variable_names_key_and_variable(problems_of):
    problem = only_error(
        problems_of(
            """
            model_list:
              - model_name: flash
                litellm_params:
                  model: vertex_ai/gemini-2.5-flash
                  vertex_project: os.environ/GCP_PROJECT
            """
        )
    )
    assert problem.key_path == "model_list[0].litellm_params.vertex_project"
    assert problem.message.startswith("environment variable GCP_PROJECT is not set")
    assert (problem.line, problem.column) == (5, 23)


def test_missing_model_is_reported_at_litellm_params(problems_of):
    problem = only_error(problems_of("model_list:\n  - model_name: a\n    litellm_params:\n      vertex_project: p\n"))
    assert problem.key_path == "model_list[0].litellm_params"
    assert problem.message == "missing required key 'model'"
    assert (problem.line, problem.column) == (4, 7)


def test_unreadable_credentials_file(problems_of, tmp_path: Path):
    secret = tmp_path / "sa.json"
    secret.mkdir()  # a directory cannot be read as a file, even by root
    problem = only_error(problems_of(GOOD_ENTRY + f"      vertex_credentials: {secret}\n"))
    assert problem.key_path == "model_list[0].litellm_params.vertex_credentials"
    assert problem.message.startswith(f"credentials file {secret} cannot be read")
    assert (problem.line, problem.column) == (6, 27)


def test_malformed_credentials_file(problems_of, tmp_path: Path):
    secret = tmp_path / "sa.json"
    secret.write_text('{"type": "service_account", "private_key": ')
    problem = only_error(problems_of(GOOD_ENTRY + f"      vertex_credentials: {secret}\n"))
    assert problem.message.startswith(f"credentials file {secret} is not valid JSON")
    assert (problem.line, problem.column) == (6, 27)
    assert "private_key" not in problem.message  # never echo the content


def test_credentials_file_of_unknown_type(problems_of, tmp_path: Path):
    secret = tmp_path / "sa.json"
    secret.write_text(json.dumps({"type": "api_key", "key": "x"}))
    problem = only_error(problems_of(GOOD_ENTRY + f"      vertex_credentials: {secret}\n"))
    assert "has type 'api_key'; expected one of service_account, authorized_user, external_account" in problem.message


def test_every_problem_is_reported_at_once(problems_of):
    problems = problems_of(
        """
        model_list:
          - model_name: flash
            litellm_params:
              model: vertex_ai/gemini-2.5-flash
              vertex_project: p
              vertex_locaton: x
        router_settings:
          routing_strategy: nope
          num_retries: "three"
        general_setting: {}
        """
    )
    assert [p.key_path for p in problems] == [
        "model_list[0].litellm_params.vertex_locaton",
        "router_settings.routing_strategy",
        "router_settings.num_retries",
        "general_setting",
    ]


def test_duplicate_yaml_key_is_an_error(problems_of):
    problem = only_error(
        problems_of(
            """
            model_list:
              - model_name: flash
                litellm_params:
                  model: vertex_ai/gemini-2.5-flash
                  vertex_project: p
                  vertex_location: us-central1
                  vertex_location: europe-west4
            """
        )
    )
    assert "duplicate key 'vertex_location' (first written at line 6)" in problem.message
    assert (problem.line, problem.column) == (7, 7)


def test_unknown_provider_model_string_points_at_model(problems_of):
    text = GOOD_ENTRY.replace("vertex_ai/gemini-2.5-flash", "anthropic/claude-sonnet-4")
    problem = only_error(problems_of(text))
    assert problem.key_path == "model_list[0].litellm_params.model"
    assert problem.message.startswith("provider 'anthropic' is not served here")
    assert (problem.line, problem.column) == (4, 14)


def test_model_string_of_no_family_points_at_model(problems_of):
    problem = only_error(problems_of(GOOD_ENTRY.replace("gemini-2.5-flash", "totally-unknown-model")))
    assert problem.key_path == "model_list[0].litellm_params.model"
    assert "cannot tell which Vertex AI model family" in problem.message
    assert (problem.line, problem.column) == (4, 14)


def test_invalid_location_is_an_error(problems_of):
    problem = only_error(problems_of(GOOD_ENTRY + "      vertex_location: US_Central1\n"))
    assert problem.key_path == "model_list[0].litellm_params.vertex_location"
    assert "invalid Vertex location 'US_Central1'" in problem.message


def test_missing_file_is_a_config_error_without_traceback(tmp_path: Path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml", environ={})
    assert "cannot read the config file" in info.value.problems[0].message


def test_dict_configs_report_key_paths_without_positions():
    with pytest.raises(ConfigError) as info:
        load_config_dict({"model_list": [{"model_name": "a"}], "router_settings": {"num_retrys": 1}}, environ={})
    keys = {p.key_path for p in info.value.problems}
    assert keys == {"model_list[0]", "router_settings.num_retrys"}
    assert all((p.line, p.column) == (0, 0) and p.file == "<dict>" for p in info.value.problems)


def test_fallback_typo_is_reported_together_with_schema_errors(problems_of):
    problems = problems_of(
        GOOD_ENTRY
        + """
litellm_settings:
  num_retries: "three"
router_settings:
  fallbacks: [{flash: [flahs]}]
"""
    )
    assert [(p.key_path, p.line) for p in problems] == [
        ("litellm_settings.num_retries", 8),
        ("router_settings.fallbacks[0].flash[0]", 10),
    ]
    assert problems[1].message == "fallback target 'flahs' is not a model group; did you mean 'flash'?"


def test_misspelled_required_key_is_one_error_not_two(problems_of):
    problem = only_error(
        problems_of(
            GOOD_ENTRY
            + """      safety_settings:
        - {categroy: HARM_CATEGORY_HARASSMENT, threshold: BLOCK_NONE}
"""
        )
    )
    assert problem.key_path == "model_list[0].litellm_params.safety_settings[0].categroy"
    assert problem.message == "unknown key 'categroy'; did you mean 'category'?"
    assert (problem.line, problem.column) == (7, 12)


def test_typo_inside_a_union_mapping_is_reported_once(problems_of):
    problem = only_error(
        problems_of(GOOD_ENTRY + "router_settings:\n  model_group_alias:\n    gpt: {model: flash, hiden: true}\n")
    )
    assert problem.key_path == "router_settings.model_group_alias.gpt.hiden"
    assert problem.message == "unknown key 'hiden'; did you mean 'hidden'?"


def test_model_info_key_written_in_litellm_params_of_a_later_entry(problems_of):
    text = GOOD_ENTRY + (
        "  - model_name: emb\n"
        "    litellm_params: {model: vertex_ai/text-embedding-005, vertex_project: p, mode: embedding}\n"
    )
    problem = only_error(problems_of(text))
    assert problem.key_path == "model_list[1].litellm_params.mode"
    assert problem.message == "unknown key 'mode'; 'mode' belongs in model_list[].model_info"
    assert (problem.line, problem.column) == (7, 78)


def test_fallback_typo_is_reported_even_when_its_own_section_has_another_error(problems_of):
    problems = problems_of(GOOD_ENTRY + 'router_settings:\n  num_retries: "three"\n  fallbacks: [{flash: [flahs]}]\n')
    assert [p.key_path for p in problems] == ["router_settings.num_retries", "router_settings.fallbacks[0].flash[0]"]
