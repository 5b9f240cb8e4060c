"""Every config taken from the guide loads, and differs from the guide only where it must reach the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.config import load_config
from router.emulator.oauth import TokenAuthority

from .conftest import CONFIGS

GUIDE_CONFIGS = sorted(CONFIGS.glob("*.yaml"))
# Loading it is the failure test_proxy_partners.test_guide_multimodal_embeddings_vertex_sdk_passthrough records.
ONLY_DEFAULT_VERTEX_CONFIG = "default-vertex-config.yaml"
ENVIRON = {"GUIDE_EMULATOR_URL": "http://127.0.0.1:8089", "VERTEX_FILE_PATH_ENV_VAR": "/nonexistent/sa.json"}


@pytest.mark.parametrize(
    "path", [p for p in GUIDE_CONFIGS if p.name != ONLY_DEFAULT_VERTEX_CONFIG], ids=lambda p: p.name
)
def test_guide_config_loads_and_points_at_the_emulator(path: Path, tmp_path: Path) -> None:
    sa = tmp_path / "sa.json"
    TokenAuthority().write_credentials(sa, token_uri="http://127.0.0.1:8089/token")
    config = load_config(path, environ={**ENVIRON, "GUIDE_SA_FILE": str(sa), "VERTEX_FILE_PATH_ENV_VAR": str(sa)})
    assert config.model_list or config.default_vertex_config is not None
    assert {d.api_base for d in config.model_list} <= {"http://127.0.0.1:8089"}


@pytest.mark.parametrize("path", GUIDE_CONFIGS, ids=lambda p: p.name)
def test_guide_config_is_used_by_a_test(path: Path) -> None:
    sources = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    assert f'"{path.name}"' in sources
