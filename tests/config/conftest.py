from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from router.config import Config, load_config
from router.errors import ConfigError, ConfigProblem

Loader = Callable[..., Config]
ProblemsOf = Callable[..., list[ConfigProblem]]


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def _write(text: str, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def load(write: Callable[[str, str], Path]) -> Loader:
    """Load YAML text with an empty environment unless one is given."""

    def _load(text: str, *, environ: dict[str, str] | None = None, strict: bool = False) -> Config:
        return load_config(write(text, "config.yaml"), environ=environ or {}, strict=strict)

    return _load


@pytest.fixture
def problems_of(load: Loader) -> ProblemsOf:
    def _problems(text: str, **kw: object) -> list[ConfigProblem]:
        with pytest.raises(ConfigError) as info:
            load(text, **kw)
        return info.value.problems

    return _problems
