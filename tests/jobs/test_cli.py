"""``vertex-router batch submit`` / ``wait`` against the emulator; the wait loop's sleep advances the job clock."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import orjson
import pytest
import yaml

from router.jobs.types import Batch, BatchRequestCounts
from router.jobs_cli import add_batch_parser, render, run_batch

from .conftest import JobsStack


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vertex-router")
    add_batch_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def write_config(stack: JobsStack, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(stack.config()))
    return path


def write_batch(tmp_path: Path, count: int, *, with_model: bool = False) -> Path:
    lines = []
    for i in range(count):
        body: dict[str, object] = {"messages": [{"role": "user", "content": f"ping {i}"}], "max_tokens": 5}
        if with_model:
            body["model"] = "gemini-flash"
        lines.append(
            orjson.dumps({"custom_id": f"c{i}", "method": "POST", "url": "/v1/chat/completions", "body": body})
        )
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"\n".join(lines))
    return path


def test_submit_with_wait_shows_progress_and_writes_the_output(jobs_stack: JobsStack, tmp_path: Path) -> None:
    config = write_config(jobs_stack, tmp_path)
    batch_file = write_batch(tmp_path, 4)
    output = tmp_path / "out.jsonl"
    args = parse(["batch", "submit", str(batch_file), "--model", "gemini-flash", "--config", str(config), "--wait",
                  "--interval", "4", "--output", str(output)])  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    code = run_batch(args, out=out, err=err, sleep=jobs_stack.jobs.advance)
    assert code == 0, err.getvalue()
    assert "batch: 3814889423749775" in out.getvalue()
    progress = err.getvalue().splitlines()
    assert [line.split("]")[1].split()[0] for line in progress] == ["validating", "in_progress", "completed"]
    assert progress[-1].startswith("[" + "#" * 30 + "] completed   4/4 done, 0 failed (JOB_STATE_SUCCEEDED)")
    rows = [orjson.loads(line) for line in output.read_bytes().splitlines()]
    assert sorted(r["custom_id"] for r in rows) == ["c0", "c1", "c2", "c3"]


def test_wait_on_a_cancelled_batch_exits_1(jobs_stack: JobsStack, tmp_path: Path) -> None:
    config = write_config(jobs_stack, tmp_path)
    router = jobs_stack.router()
    file_obj = router.create_file(write_batch(tmp_path, 1, with_model=True).read_bytes(), purpose="batch")
    batch = router.create_batch(file_obj.id)
    router.cancel_batch(batch.id)
    err = io.StringIO()
    code = run_batch(parse(["batch", "wait", batch.id, "--config", str(config)]), out=io.StringIO(), err=err)
    assert code == 1 and f"batch {batch.id} cancelled" in err.getvalue()
    router.close()


def test_submit_of_a_bad_file_exits_1_naming_the_line(jobs_stack: JobsStack, tmp_path: Path) -> None:
    config = write_config(jobs_stack, tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(orjson.dumps({"custom_id": "a", "url": "/v1/chat/completions", "body": {}}) + b"\nnot json\n")
    err = io.StringIO()
    code = run_batch(parse(["batch", "submit", str(bad), "--model", "gemini-flash", "--config", str(config)]),
                     out=io.StringIO(), err=err)  # fmt: skip
    assert code == 1
    assert "line 1: body.messages must be a non-empty list" in err.getvalue()


def test_progress_line_counts_and_bar() -> None:
    batch = Batch(id="1", created_at=0, input_file_id="gs://b/x", status="in_progress",
                  request_counts=BatchRequestCounts(total=10, completed=4, failed=1))  # fmt: skip
    line = render(batch, 75)
    assert line == "[" + "#" * 15 + "-" * 15 + "] in_progress 5/10 done, 1 failed (in_progress) 01:15"


def test_vertex_router_batch_through_the_main_cli(
    jobs_stack: JobsStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from router.cli import main

    config = write_config(jobs_stack, tmp_path)
    batch_file = write_batch(tmp_path, 2, with_model=True)
    assert main(["batch", "submit", str(batch_file), "--config", str(config)]) == 0
    batch_id = capsys.readouterr().out.split("batch: ")[1].split()[0]
    jobs_stack.jobs.finish_all()  # the job is done before wait polls, so wait never sleeps
    output = tmp_path / "out.jsonl"
    assert main(["batch", "wait", batch_id, "--config", str(config), "--output", str(output)]) == 0
    assert sorted(orjson.loads(line)["custom_id"] for line in output.read_bytes().splitlines()) == ["c0", "c1"]
