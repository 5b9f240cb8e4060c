"""Every example under configs/ loads on a machine without Google credentials or environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.config import load_config

CONFIGS = sorted((Path(__file__).parents[2] / "configs").glob("*.yaml"))
SCHEMA_LINE = "# yaml-language-server: $schema=../schemas/config.schema.json"


def test_the_examples_the_issue_asks_for_exist():
    names = {p.stem for p in CONFIGS}
    assert {"gemini", "gemini-multi-region", "claude", "maas", "codestral-fim", "embeddings", "imagen"} <= names
    assert {"safety", "fallbacks", "emulator"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_example_loads_without_environment(path: Path):
    config = load_config(path, environ={})
    assert config.model_list
    if path.stem != "emulator":
        assert config.warnings == []


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_example_points_editors_at_the_schema(path: Path):
    assert path.read_text().splitlines()[0] == SCHEMA_LINE


def test_multi_region_example_has_order_tiers_and_global_spill():
    config = load_config(Path(CONFIGS[0]).parent / "gemini-multi-region.yaml", environ={})
    tiers = {(d.location, d.order) for d in config.model_list}
    assert ("global", 2) in tiers
    assert {order for _, order in tiers} == {1, 2}


def test_emulator_example_points_at_the_local_emulator():
    config = load_config(Path(CONFIGS[0]).parent / "emulator.yaml", environ={})
    assert {d.api_base for d in config.model_list} == {"http://127.0.0.1:8089"}
    assert all(str(d.credentials).endswith("/.emulator/sa.json") for d in config.model_list)
    assert [w.severity for w in config.warnings] == ["warning"]  # the file the emulator writes, not there yet
