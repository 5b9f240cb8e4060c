"""Console lines for people, JSON lines with --json-logs; stdlib records rendered the same way."""

from __future__ import annotations

import logging

import orjson
import structlog

from router.logging import configure_logging, level_for, wants_json_logs


def test_json_logs_are_one_json_object_per_line(capsys):
    configure_logging(json=True)
    structlog.get_logger("t").info("deployment_cooled_down", deployment="abc", seconds=5)
    logging.getLogger("uvicorn").warning("stdlib says hi")
    lines = capsys.readouterr().err.splitlines()
    first, second = (orjson.loads(line) for line in lines)
    assert (first["event"], first["deployment"], first["seconds"], first["level"]) == (
        "deployment_cooled_down",
        "abc",
        5,
        "info",
    )
    assert "timestamp" in first
    assert (second["event"], second["level"], second["logger"]) == ("stdlib says hi", "warning", "uvicorn")


def test_console_logs_are_readable_text(capsys):
    configure_logging(json=False)
    structlog.get_logger("t").info("config_loaded", deployments=3)
    err = capsys.readouterr().err
    assert "config_loaded" in err and "deployments=3" in err
    assert not err.lstrip().startswith("{")


def test_level_filters_debug_events(capsys):
    configure_logging(json=True, level="info")
    structlog.get_logger("t").debug("noise")
    assert capsys.readouterr().err == ""


def test_json_logs_setting_or_flag_and_set_verbose():
    assert wants_json_logs(False, True) and wants_json_logs(True, False) and not wants_json_logs(False, False)
    assert level_for(True) == "debug" and level_for(False) == "info"
