"""``vertex-router batch``: submit an OpenAI batch file to Vertex and wait for it with a progress bar.

- ``vertex-router batch submit FILE.jsonl --config C [--model M] [--wait] [--output OUT.jsonl]``: check and
  upload the file (errors name the line), create the batch job, print the file and batch ids.
- ``vertex-router batch wait ID --config C [--interval S] [--output OUT.jsonl]``: poll until the job ends,
  drawing the state and counts; write the OpenAI output lines to ``--output``. Exit 0 when completed, 1 when
  failed, cancelled or expired (or on a bad file / config), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from router.errors import ConfigError, RouterError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_TERMINAL = frozenset({"completed", "failed", "cancelled", "expired"})
BAR_WIDTH = 30


def add_batch_parser(subparsers: Any) -> argparse.ArgumentParser:
    batch: argparse.ArgumentParser = subparsers.add_parser(
        "batch", help="submit an OpenAI batch file to Vertex and wait for it"
    )
    actions = batch.add_subparsers(dest="batch_command", metavar="ACTION", required=True)
    submit = actions.add_parser("submit", help="check, upload and start a batch file")
    submit.add_argument("file", metavar="FILE.jsonl", help="OpenAI batch input (one request per line)")
    submit.add_argument("--model", help="model group (from the config) for every line; else each line's body.model")
    submit.add_argument("--wait", action="store_true", help="wait for the job to finish")
    _common(submit)
    wait = actions.add_parser("wait", help="wait for a batch job, showing its state and counts")
    wait.add_argument("batch_id", metavar="ID", help="the batch id printed by submit")
    _common(wait)
    return batch


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, metavar="FILE", help="config file (files_settings, model_list)")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between polls (default 10)")
    parser.add_argument("--output", metavar="FILE", help="write the output lines here when the job completes")
    # Accepted after the action too, like every other command (SUPPRESS keeps the main parser's value).
    parser.add_argument("--json-logs", action="store_true", default=argparse.SUPPRESS, help="log JSON lines")
    levels = ("debug", "info", "warning", "error")
    parser.add_argument("--log-level", choices=levels, default=argparse.SUPPRESS, help="log level")


def run_batch(
    args: argparse.Namespace,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    router: Any = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    own = router is None
    if router is None:
        try:
            from router import Router  # imported here: the parser is built without loading the Router

            router = Router.from_yaml(args.config)
        except ConfigError as exc:
            for problem in exc.problems:
                err.write(f"{problem}\n")
            return EXIT_FAILED
    try:
        if args.batch_command == "submit":
            return _submit(router, args, out, err, sleep)
        return _wait(router, args.batch_id, args, out, err, sleep)
    except ConfigError as exc:
        for problem in exc.problems:
            err.write(f"{problem}\n")
        return EXIT_FAILED
    except RouterError as exc:
        err.write(f"vertex-router batch: {exc.message}\n")
        return EXIT_FAILED
    finally:
        if own:
            router.close()


def _submit(router: Any, args: argparse.Namespace, out: TextIO, err: TextIO, sleep: Callable[[float], None]) -> int:
    path = Path(args.file)
    if not path.is_file():
        err.write(f"vertex-router batch submit: {path}: no such file\n")
        return EXIT_USAGE
    with path.open("rb") as handle:
        file_obj = router.create_file(handle, purpose="batch", model=args.model)
    batch = router.create_batch(file_obj.id, endpoint="/v1/chat/completions")
    out.write(f"file:  {file_obj.id}\nbatch: {batch.id}\n")
    out.flush()
    if not args.wait:
        return EXIT_OK
    return _wait(router, batch.id, args, out, err, sleep)


def _wait(
    router: Any, batch_id: str, args: argparse.Namespace, out: TextIO, err: TextIO, sleep: Callable[[float], None]
) -> int:
    started = time.monotonic()
    progress = Progress(err)
    while True:
        batch = router.retrieve_batch(batch_id)
        progress.show(batch, time.monotonic() - started)
        if batch.status in _TERMINAL:
            break
        sleep(args.interval)
    progress.done()
    if batch.status != "completed":
        detail = batch.errors.data[0].message if batch.errors and batch.errors.data else ""
        err.write(f"batch {batch.id} {batch.status}{': ' + detail if detail else ''}\n")
        return EXIT_FAILED
    out.write(f"output: {batch.output_file_id}\n")
    if args.output and batch.output_file_id:
        Path(args.output).write_bytes(router.file_content(batch.output_file_id))
        out.write(f"wrote {args.output}\n")
    return EXIT_OK


class Progress:
    """One status line: redrawn in place on a terminal, a new line per change otherwise (logs, CI)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last = ""

    def show(self, batch: Any, elapsed: float) -> None:
        line = render(batch, elapsed)
        if self.tty:
            self.stream.write("\r" + line.ljust(len(self.last)))
        elif _without_time(line) != _without_time(self.last):
            self.stream.write(line + "\n")
        self.stream.flush()
        self.last = line

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def render(batch: Any, elapsed: float) -> str:
    counts = batch.request_counts
    total = counts.total if counts else 0
    finished = (counts.completed + counts.failed) if counts else 0
    fraction = 1.0 if batch.status == "completed" else finished / total if total else 0.0
    filled = round(fraction * BAR_WIDTH)
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    state = getattr(batch, "vertex_state", None) or batch.status
    failed = counts.failed if counts else 0
    minutes, seconds = divmod(int(elapsed), 60)
    return f"[{bar}] {batch.status:<11} {finished}/{total} done, {failed} failed ({state}) {minutes:02d}:{seconds:02d}"


def _without_time(line: str) -> str:
    return line.rsplit(" ", 1)[0]
