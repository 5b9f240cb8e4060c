"""The same matrix config served with a master key (how a shared gateway runs): faults are survived the same
way, and a wrong key is refused without touching the upstream."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
import yaml

from tests.faults.calls import call, run_case
from tests.faults.checks import assert_complete
from tests.faults.conftest import Matrix
from tests.faults.matrix import ROW_BY_KEY, group_name
from tests.faults.proxy import ServedProxy

KEY = "sk-fault-matrix-key"


@pytest.fixture(scope="module")
def keyed(matrix: Matrix, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProxy]:
    home = tmp_path_factory.mktemp("keyed")
    config = yaml.safe_load(matrix.config.read_text())
    config["general_settings"] = {"master_key": KEY}
    path = home / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    proxy = ServedProxy(path, home / "proxy.log")
    yield proxy
    proxy.stop()


@pytest.mark.parametrize("key", ["cut", "reset"])
def test_faults_are_survived_behind_a_master_key(matrix: Matrix, keyed: ServedProxy, key: str) -> None:
    client = openai.OpenAI(base_url=f"{keyed.url}/v1", api_key=KEY, max_retries=0, timeout=60)
    row = ROW_BY_KEY[key]
    reference = call(client, group_name("healthy", "garden", "stream"), stream=True)
    matrix.emulator.app.requests.clear()
    outcome = run_case(client, matrix.emulator.app, row, "garden", "stream")
    outcome.reference = reference.text
    assert_complete(outcome, row, "garden", "stream", answered_by="b", rescued=key == "cut")
    assert (outcome.count("a"), outcome.count("b")) == (1, 1)


def test_a_wrong_key_is_refused_before_any_upstream_call(matrix: Matrix, keyed: ServedProxy) -> None:
    client = openai.OpenAI(base_url=f"{keyed.url}/v1", api_key="sk-wrong", max_retries=0, timeout=60)
    matrix.emulator.app.requests.clear()
    outcome = call(client, group_name("healthy", "gemini", "unary"), stream=False)
    assert outcome.status == 401
    assert matrix.emulator.app.requests == []
