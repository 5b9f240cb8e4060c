"""Every golden case: the request we build and the answer we produce match the files exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from .golden import UPDATE, case_id, cases, read, run, write


@pytest.mark.parametrize("path", cases(), ids=case_id)
def test_golden_case_matches(path: Path) -> None:
    sent, result = run(path)
    vertex_path = path.with_name(path.name.replace(".openai.json", ".vertex.json"))
    out_path = path.with_name(path.name.replace(".openai.json", ".out.json"))
    if UPDATE:
        write(vertex_path, sent)
        if result is not None:
            write(out_path, result)
    assert sent == read(vertex_path)
    if result is not None or out_path.exists():
        assert result == read(out_path)


def test_every_partner_family_has_golden_cases() -> None:
    families = {p.parent.name for p in cases()}
    assert families == {"anthropic", "openai_compat", "model_garden", "mistral", "ai21", "palm"}
