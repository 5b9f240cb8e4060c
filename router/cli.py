"""``vertex-router``: serve | check | schema | emulator | demo | batch.

Exit codes: 0 success, 1 an invalid config (or a failed command), 2 a usage error. ``check`` never prints a
traceback: every problem is one ``FILE:LINE:COL: key.path: message`` line.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import orjson
import structlog

from router.config.loader import load_config
from router.config.reference import markdown_reference
from router.config.settings_models import config_json_schema
from router.errors import ConfigError, ConfigProblem
from router.logging import configure_logging

log = structlog.get_logger(__name__)

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vertex-router", description="Google Vertex AI models behind one OpenAI-compatible API."
    )
    _log_flags(parser, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = sub.add_parser("check", help="validate config files (exit 0 valid, 1 invalid, 2 usage)")
    check.add_argument("files", nargs="+", metavar="FILE", help="config files to check")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    _log_flags(check, argparse.SUPPRESS)

    schema = sub.add_parser("schema", help="print the JSON Schema of the config file")
    schema.add_argument(
        "--format", choices=("json", "markdown"), default="json", help="JSON Schema, or the README's reference tables"
    )
    _log_flags(schema, argparse.SUPPRESS)

    emulator = sub.add_parser("emulator", help="run the local Vertex AI emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8089)
    emulator.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every response")
    emulator.add_argument("--faults", metavar="FILE", help="fault injection rules (YAML or JSON)")
    emulator.add_argument("--write-credentials", metavar="PATH", help="write a service-account file for the emulator")
    _log_flags(emulator, argparse.SUPPRESS)

    serve = sub.add_parser("serve", help="run the OpenAI-compatible proxy server")
    serve.add_argument("--config", required=True, metavar="FILE", help="config file")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=4000)
    serve.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    serve.add_argument("--no-auth", action="store_true", help="serve without any API key (local use only)")
    _log_flags(serve, argparse.SUPPRESS)

    demo = sub.add_parser("demo", help="the emulator and the proxy together, offline")
    demo.add_argument("--port", type=int, default=4000)
    demo.add_argument("--emulator-port", type=int, default=8089)
    _log_flags(demo, argparse.SUPPRESS)

    from router.jobs_cli import add_batch_parser  # submit / wait for Vertex batch jobs (router/jobs_cli.py)

    add_batch_parser(sub)
    return parser


def _log_flags(parser: argparse.ArgumentParser, default: Any) -> None:
    # Accepted before and after the subcommand; SUPPRESS keeps a subparser from overwriting the main value.
    parser.add_argument("--json-logs", action="store_true", default=default, help="log JSON lines")
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default=default, help="log level")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.json_logs = getattr(args, "json_logs", False)
    args.log_level = getattr(args, "log_level", "info")
    configure_logging(json=args.json_logs, level=args.log_level)
    command = args.command
    if command == "check":
        return run_check(args.files, strict=args.strict, fmt=args.format, out=sys.stdout, err=sys.stderr)
    if command == "schema":
        sys.stdout.write(schema_text() if args.format == "json" else markdown_reference())
        return EXIT_OK
    return _run_lazy(command, args)


_LAZY = {
    "emulator": ("router.emulator.server", "run_from_args"),
    "serve": ("router.proxy.server", "serve_from_args"),
    "demo": ("router.proxy.demo", "run_demo"),
    "batch": ("router.jobs_cli", "run_batch"),
}


def _run_lazy(command: str, args: argparse.Namespace) -> int:
    """Server commands live in modules imported only when asked for (they pull in the ASGI stack)."""
    module_name, function = _LAZY[command]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise
        sys.stderr.write(f"vertex-router {command}: not available in this build ({module_name} is missing)\n")
        return EXIT_INVALID
    try:
        return int(getattr(module, function)(args))
    except ConfigError as exc:
        _print_problems(exc.problems, sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return EXIT_OK


def schema_text() -> str:
    """The JSON Schema exactly as checked in under schemas/config.schema.json."""
    return orjson.dumps(config_json_schema(), option=orjson.OPT_INDENT_2).decode() + "\n"


# check ------------------------------------------------------------------------------------------------


def run_check(files: Sequence[str], *, strict: bool, fmt: str, out: TextIO, err: TextIO) -> int:
    missing = [f for f in files if not pathlib.Path(f).is_file()]
    if missing:
        for name in missing:
            err.write(f"vertex-router check: {name}: no such file\n")
        return EXIT_USAGE
    results = [_check_one(name, strict) for name in files]
    if fmt == "json":
        body = {"valid": all(r["valid"] for r in results), "files": results}
        out.write(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        for result in results:
            _print_problems([_problem_from(p) for p in result["problems"]], out)
            if result["valid"]:
                out.write(f"{result['file']}: ok — {result['summary']['text']}\n")
            else:
                errors = sum(1 for p in result["problems"] if p["severity"] == "error")
                out.write(f"{result['file']}: invalid — {errors} error{'s' if errors != 1 else ''}\n")
    return EXIT_OK if all(r["valid"] for r in results) else EXIT_INVALID


def _check_one(name: str, strict: bool) -> dict[str, Any]:
    try:
        config = load_config(name, strict=strict)
    except ConfigError as exc:
        return {"file": name, "valid": False, "summary": None, "problems": [_problem_dict(p) for p in exc.problems]}
    except Exception as exc:  # a bug in the loader must still not print a traceback at a user
        log.error("check_crashed", file=name, error=type(exc).__name__)
        problem = ConfigProblem(name, 1, 1, "", f"internal error while checking ({type(exc).__name__}: {exc})")
        return {"file": name, "valid": False, "summary": None, "problems": [_problem_dict(problem)]}
    summary = {
        "model_groups": config.group_names(),
        "deployments": len(config.model_list),
        "regions": config.regions(),
        "text": config.summary(),
    }
    return {"file": name, "valid": True, "summary": summary, "problems": [_problem_dict(p) for p in config.warnings]}


def _problem_dict(problem: ConfigProblem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "key_path": problem.key_path,
        "message": problem.message,
        "severity": problem.severity,
    }


def _problem_from(data: dict[str, Any]) -> ConfigProblem:
    return ConfigProblem(**data)


def _print_problems(problems: Sequence[ConfigProblem], out: TextIO) -> None:
    for problem in problems:
        out.write(f"{problem}\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
