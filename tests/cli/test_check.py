"""`vertex-router check`: exit codes, one line per problem, JSON for machines, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from router import cli

ROOT = Path(__file__).parents[2]
VALID = """\
model_list:
  - model_name: flash
    litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p, vertex_location: europe-west4}
  - model_name: flash
    litellm_params: {model: vertex_ai/gemini-2.5-flash, vertex_project: p, vertex_location: global}
"""
INVALID = """\
model_list:
  - model_name: flash
    litellm_params:
      model: vertex_ai/gemini-2.5-flash
      vertex_project: p
      vertex_locaton: europe-west4
router_settings:
  num_retries: "three"
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    out = {}
    for name, text in {"valid": VALID, "invalid": INVALID, "warn": VALID.replace("global", "us-east-1")}.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        out[name] = str(path)
    return out


@pytest.fixture(autouse=True)
def _no_vertex_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VERTEXAI_PROJECT", "VERTEX_PROJECT", "VERTEXAI_LOCATION", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)


def test_valid_file_exits_0_with_a_summary_line(files, capsys):
    assert cli.main(["check", files["valid"]]) == 0
    out = capsys.readouterr().out
    assert out == f"{files['valid']}: ok — 1 model group, 2 deployments, regions: europe-west4, global\n"


def test_invalid_file_exits_1_with_every_problem_positioned(files, capsys):
    assert cli.main(["check", files["invalid"]]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{files['invalid']}:6:7: model_list[0].litellm_params.vertex_locaton: unknown key 'vertex_locaton'; "
        "did you mean 'vertex_location'?",
        f"{files['invalid']}:8:16: router_settings.num_retries: expected an integer (got 'three')",
        f"{files['invalid']}: invalid — 2 errors",
    ]


def test_any_invalid_file_makes_the_run_fail_but_all_are_checked(files, capsys):
    assert cli.main(["check", files["valid"], files["invalid"]]) == 1
    out = capsys.readouterr().out
    assert f"{files['valid']}: ok" in out
    assert f"{files['invalid']}: invalid" in out


def test_warnings_pass_unless_strict(files, capsys):
    assert cli.main(["check", files["warn"]]) == 0
    out = capsys.readouterr().out
    assert "warning: 'us-east-1' is not a known Vertex AI location; did you mean 'us-east1'?" in out
    assert cli.main(["check", "--strict", files["warn"]]) == 1


def test_json_format_for_machines(files, capsys):
    assert cli.main(["check", "--format", "json", files["valid"], files["invalid"]]) == 1
    report = orjson.loads(capsys.readouterr().out)
    assert report["valid"] is False
    valid, invalid = report["files"]
    assert valid["summary"]["model_groups"] == ["flash"]
    assert valid["summary"]["deployments"] == 2
    assert valid["summary"]["regions"] == ["europe-west4", "global"]
    assert invalid["problems"][0] == {
        "file": files["invalid"],
        "line": 6,
        "column": 7,
        "key_path": "model_list[0].litellm_params.vertex_locaton",
        "message": "unknown key 'vertex_locaton'; did you mean 'vertex_location'?",
        "severity": "error",
    }


def test_missing_file_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["check", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["check"], ["frobnicate"], ["check", "--format", "xml", "x.yaml"]])
def test_bad_arguments_are_usage_errors(argv, capsys):
    assert cli.main(argv) == 2


def test_help_exits_0(capsys):
    assert cli.main(["--help"]) == 0
    assert "check" in capsys.readouterr().out


def test_a_crash_in_the_loader_is_reported_without_traceback(files, capsys, monkeypatch):
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(cli, "load_config", boom)
    assert cli.main(["check", files["valid"]]) == 1
    captured = capsys.readouterr()
    assert "internal error while checking (RuntimeError: kaput)" in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_yaml_syntax_error_exits_1(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text("model_list: [\n")
    assert cli.main(["check", str(path)]) == 1
    assert f"{path}:2:1: YAML syntax error" in capsys.readouterr().out


def test_schema_command_prints_the_checked_in_schema(capsys):
    assert cli.main(["schema"]) == 0
    assert capsys.readouterr().out == (ROOT / "schemas" / "config.schema.json").read_text()


def test_server_commands_report_a_missing_module_cleanly(monkeypatch, capsys):
    monkeypatch.setitem(cli._LAZY, "serve", ("router.proxy.not_written_yet", "serve_from_args"))
    assert cli.main(["serve", "--config", "x.yaml"]) == 1
    assert "not available in this build" in capsys.readouterr().err


def test_server_commands_pass_parsed_arguments(monkeypatch):
    seen = {}

    class Fake:
        @staticmethod
        def run_from_args(args: object) -> int:
            seen["args"] = args
            return 0

    monkeypatch.setitem(sys.modules, "fake_emulator_server", Fake)
    monkeypatch.setitem(cli._LAZY, "emulator", ("fake_emulator_server", "run_from_args"))
    assert cli.main(["--json-logs", "emulator", "--port", "9999", "--write-credentials", "sa.json"]) == 0
    args = seen["args"]
    assert (args.host, args.port, args.latency_ms, args.write_credentials, args.json_logs) == (
        "127.0.0.1",
        9999,
        0.0,
        "sa.json",
        True,
    )


def test_every_example_config_passes_check(capsys):
    examples = sorted(str(p) for p in (ROOT / "configs").glob("*.yaml"))
    assert cli.main(["check", *examples]) == 0


def test_python_dash_m_router_runs_check_in_a_fresh_process(files):
    result = subprocess.run(
        [sys.executable, "-m", "router", "check", files["invalid"]], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "did you mean 'vertex_location'?" in result.stdout
    assert "Traceback" not in result.stderr
