"""Deployment ids, groups, aliases and lookup."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from router.errors import UnknownModelError
from router.routing import DeploymentSpec, DeploymentTable, RoutingSettings, deployment_id


def spec(group: str = "g", **kw: object) -> DeploymentSpec:
    base: dict[str, object] = {"model": "vertex_ai/gemini-2.5-flash", "project": "p", "location": "europe-west4"}
    base.update(kw)
    return DeploymentSpec(model_name=group, **base)  # type: ignore[arg-type]


def test_id_is_a_short_hash_of_the_identity_and_survives_unrelated_edits() -> None:
    a = spec()
    assert len(a.id) == 16
    assert a.id == deployment_id("vertex_ai/gemini-2.5-flash", "p", "europe-west4", None)
    assert spec(rpm=10, weight=3, timeout=9, order=2).id == a.id
    assert spec(location="us-central1").id != a.id
    assert spec(api_base="https://example.test").id != a.id
    assert spec(project="q").id != a.id


def test_id_is_the_same_in_another_process() -> None:
    code = (
        "from router.routing.deployments import deployment_id;"
        "print(deployment_id('vertex_ai/gemini-2.5-flash', 'p', 'europe-west4', None))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == spec().id


def test_model_info_id_wins() -> None:
    assert spec(id="eu-primary").id == "eu-primary"


def test_duplicate_identity_in_one_group_gets_a_stable_suffix() -> None:
    table = DeploymentTable([spec(), spec(), spec(group="other")])
    ids = [d.id for d in table.members("g")]
    assert ids == [spec().id, spec().id + "-2"]
    assert table.members("other")[0].id == spec().id, "same upstream in another group shares its health record"


def test_resolve_by_group_alias_and_deployment_id() -> None:
    a, b = spec(id="a"), spec(id="b", location="us-east1")
    table = DeploymentTable([a, b, spec("pro", id="p")], {"fast": "g"})
    assert table.resolve("g") == ("g", (a, b))
    assert table.resolve("fast") == ("g", (a, b))
    assert table.resolve("b") == ("g", (b,))
    assert table.group_names() == ["g", "pro"]
    with pytest.raises(UnknownModelError) as info:
        table.resolve("nope")
    assert "fast" in str(info.value)


def test_alias_in_litellm_dict_form_with_hidden_flag() -> None:
    table = DeploymentTable([spec(id="a")], {"secret": {"model": "g", "hidden": True}})
    assert table.resolve("secret")[0] == "g"


def test_alias_to_unknown_group_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown group"):
        DeploymentTable([spec()], {"x": "missing"})


def test_settings_normalise_litellm_fallback_shapes_and_reject_unknown_keys() -> None:
    s = RoutingSettings(fallbacks=[{"a": ["b"]}, {"*": ["z"]}], context_window_fallbacks={"a": "big"})
    assert dict(s.fallbacks) == {"a": ("b",), "*": ("z",)}
    assert dict(s.context_window_fallbacks) == {"a": ("big",)}
    with pytest.raises(ValueError, match="RateLimitErorRetries"):
        RoutingSettings(retry_policy={"RateLimitErorRetries": 1})
    with pytest.raises(ValueError, match="routing_strategy"):
        RoutingSettings(routing_strategy="fastest")
    assert dataclasses.is_dataclass(s)
