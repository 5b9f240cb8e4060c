"""The config models: LiteLLM's vocabulary loads, every field is documented, defaults resolve per deployment."""

from __future__ import annotations

import json
from pathlib import Path

import pydantic

from router.config import ConfigFile, load_config
from router.config.base import ConfigModel

LITELLM_DOCS_STYLE = """
model_list:
  - model_name: gemini-pro
    litellm_params:
      model: vertex_ai/gemini-1.5-pro
      vertex_project: "project-id"
      vertex_location: "us-central1"
      vertex_credentials: os.environ/VERTEX_FILE_PATH_ENV_VAR
  - model_name: gemini-experimental
    litellm_params:
      model: vertex_ai/gemini-experimental
      vertex_project: litellm-epic
      vertex_location: us-central1
      safety_settings:
        - category: HARM_CATEGORY_HARASSMENT
          threshold: BLOCK_NONE
  - model_name: anthropic-vertex
    litellm_params:
      model: vertex_ai/claude-3-sonnet@20240229
      vertex_ai_project: "my-test-project"
      vertex_ai_location: "us-east5"
  - model_name: vertex-tts
    litellm_params:
      model: vertex_ai/
      vertex_project: "adroit-crow-413218"
      vertex_location: "us-central1"
litellm_settings:
  vertex_project: "hardy-device-38811"
  vertex_location: "us-central1"
  drop_params: True
  vertex_ai_safety_settings:
    - category: HARM_CATEGORY_HARASSMENT
      threshold: BLOCK_NONE
    - category: HARM_CATEGORY_HATE_SPEECH
      threshold: BLOCK_NONE
    - category: HARM_CATEGORY_SEXUALLY_EXPLICIT
      threshold: BLOCK_NONE
    - category: HARM_CATEGORY_DANGEROUS_CONTENT
      threshold: BLOCK_NONE
default_vertex_config:
  vertex_project: "adroit-crow-413218"
  vertex_location: "us-central1"
finetune_settings:
  - custom_llm_provider: "vertex_ai"
    vertex_project: "adroit-crow-413218"
    vertex_location: "us-central1"
general_settings:
  master_key: sk-1234
"""


def _all_models() -> set[type[pydantic.BaseModel]]:
    seen: set[type[pydantic.BaseModel]] = set()
    stack: list[type[pydantic.BaseModel]] = [ConfigFile]
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        stack += [m for m in ConfigModel.__subclasses__() if m not in seen]
    return seen


def test_every_field_of_every_model_has_a_description():
    undocumented = [
        f"{model.__name__}.{name}"
        for model in _all_models()
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert undocumented == []


def test_every_model_forbids_unknown_keys():
    assert all(model.model_config.get("extra") == "forbid" for model in _all_models())


def test_litellm_docs_style_vertex_config_loads(load, tmp_path: Path):
    sa = tmp_path / "sa.json"
    sa.write_text(json.dumps({"type": "service_account", "client_email": "a@b", "private_key": "k", "project_id": "x"}))
    config = load(LITELLM_DOCS_STYLE, environ={"VERTEX_FILE_PATH_ENV_VAR": str(sa)})
    assert config.group_names() == ["gemini-pro", "gemini-experimental", "anthropic-vertex", "vertex-tts"]
    pro, experimental, claude, tts = config.model_list
    assert (pro.project, pro.location, pro.credentials) == ("project-id", "us-central1", str(sa))
    assert (claude.project, claude.location, claude.parsed.family) == ("my-test-project", "us-east5", "anthropic")
    assert tts.parsed.family == "tts"
    assert all(d.drop_params for d in config.model_list)
    assert experimental.call_defaults["safety_settings"] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}
    ]
    assert len(pro.call_defaults["safety_settings"]) == 4  # the global setting
    assert "safety_settings" not in claude.call_defaults  # Gemini only
    assert config.default_vertex_config is not None and config.default_vertex_config.project == "adroit-crow-413218"
    assert [t.project for t in config.finetune_settings] == ["adroit-crow-413218"]
    assert config.general_settings.master_key == "sk-1234"


def test_call_defaults_hold_request_params_only(load):
    config = load(
        """
        model_list:
          - model_name: flash
            litellm_params:
              model: vertex_ai/gemini-2.5-flash
              vertex_project: p
              rpm: 10
              timeout: 30
              temperature: 0.3
              max_tokens: 512
              reasoning_effort: low
              thinking: {type: enabled, budget_tokens: 1024}
              labels: {team: search}
        """
    )
    deployment = config.model_list[0]
    assert dict(deployment.call_defaults) == {
        "temperature": 0.3,
        "max_tokens": 512,
        "reasoning_effort": "low",
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "labels": {"team": "search"},
    }
    assert deployment.litellm_params.rpm == 10
    assert deployment.litellm_params.timeout == 30


def test_deployment_drop_params_wins_over_litellm_settings(load):
    config = load(
        """
        model_list:
          - model_name: a
            litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p, drop_params: false}
          - model_name: b
            litellm_params: {model: vertex_ai/gemini-2.5-pro, vertex_project: p}
        litellm_settings: {drop_params: true}
        """
    )
    assert [d.drop_params for d in config.model_list] == [False, True]


def test_deployment_exposes_parsed_model_position_and_order(load):
    config = load(
        """
        model_list:
          - model_name: endpoint
            litellm_params: {model: vertex_ai/gemini/1234567890, vertex_project: p}
            model_info: {order: 2}
          - model_name: llama
            litellm_params: {model: vertex_ai/meta/llama-3.3-70b-instruct-maas, vertex_project: p}
        """
    )
    endpoint, llama = config.model_list
    assert (endpoint.parsed.family, endpoint.parsed.endpoint_id) == ("gemini", "1234567890")
    assert endpoint.order == 2
    assert endpoint.position == (2, 5)
    assert (llama.parsed.family, llama.parsed.publisher) == ("openai_compat", "meta")
    assert llama.position == (5, 5)


def test_unimplemented_litellm_keys_are_named_never_silent(load, problems_of):
    config = load(
        """
        model_list:
          - model_name: a
            litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p}
        litellm_settings:
          success_callback: [langfuse]
          cache: true
        """
    )
    assert [(w.key_path, w.severity) for w in config.warnings] == [
        ("litellm_settings.success_callback", "warning"),
        ("litellm_settings.cache", "warning"),
    ]
    assert config.warnings[0].message.endswith("; ignored")
    assert (config.warnings[0].line, config.warnings[0].column) == (5, 3)
    problems = problems_of(
        """
        model_list:
          - model_name: a
            litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p}
        general_settings:
          database_url: os.environ/DATABASE_URL
        guardrails: []
        """
    )
    assert [(p.key_path, p.severity) for p in problems] == [
        ("general_settings.database_url", "error"),
        ("guardrails", "error"),
    ]
    assert "keeps no database" in problems[0].message


def test_vertex_credentials_written_inline_as_flow_mapping(load):
    config = load(
        """
        model_list:
          - model_name: a
            litellm_params:
              model: vertex_ai/gemini-2.5-flash
              vertex_project: p
              vertex_credentials: {"type": "authorized_user", "client_id": "c", "client_secret": "s",
                                   "refresh_token": "r"}
        """
    )
    credentials = config.model_list[0].credentials
    assert isinstance(credentials, dict) and credentials["type"] == "authorized_user"


def test_router_settings_for_the_routing_engine_have_defaults(load):
    config = load(
        "model_list:\n  - model_name: a\n    litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p}\n"
    )
    settings = config.router_settings
    assert (settings.routing_strategy, settings.num_retries, settings.allowed_fails) == ("simple-shuffle", 2, 3)
    assert (settings.cooldown_time, settings.max_fallbacks, settings.stream_rescue, settings.timeout) == (
        5.0,
        5,
        "off",
        600.0,
    )
    assert settings.fallbacks == [] and settings.retry_policy is None


def test_load_config_accepts_a_path_string(write):
    path = write(
        "model_list:\n  - model_name: a\n    litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p}\n"
    )
    config = load_config(str(path), environ={})
    assert config.source == str(path)
    assert config.summary() == "1 model group, 1 deployment, regions: us-central1"
