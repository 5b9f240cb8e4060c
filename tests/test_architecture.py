"""Imports flow one way (DESIGN.md §2): errors, types ← config ← auth, vertex, families ← routing ← _router ←
proxy, cli. Families never import routing, proxy or config loading; no production module imports the emulator
except the CLI and the demo."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "router"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "router" or name.startswith("router.")}


def _modules(area: str) -> list[Path]:
    root = PACKAGE / area
    return sorted(root.rglob("*.py")) if root.is_dir() else [PACKAGE / f"{area}.py"]


FORBIDDEN = {
    "errors": ("router.config", "router.auth", "router.vertex", "router.families", "router.routing", "router.proxy"),
    "types": ("router.config", "router.auth", "router.vertex", "router.families", "router.routing", "router.proxy"),
    "config": (
        "router.auth",
        "router.vertex.client",
        "router.families",
        "router.routing",
        "router.proxy",
        "router._router",
        "router.emulator",
    ),
    "families": (
        "router.routing",
        "router.proxy",
        "router.config.loader",
        "router._router",
        "router.emulator",
        "router.auth",
    ),
    "auth": ("router.routing", "router.proxy", "router.families", "router._router"),
    "vertex": ("router.routing", "router.proxy", "router._router", "router.emulator"),
    "routing": ("router.proxy", "router._router", "router.families", "router.vertex", "router.emulator"),
}


@pytest.mark.parametrize("area", sorted(FORBIDDEN))
def test_area_imports_only_downstream_modules(area: str) -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in _modules(area)
        for name in _imports(path)
        if name.startswith(FORBIDDEN[area])
    }
    assert not offenders, sorted(offenders)


def test_only_the_cli_and_demo_import_the_emulator() -> None:
    allowed = {PACKAGE / "cli.py", PACKAGE / "proxy" / "demo.py"}
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "emulator" not in path.relative_to(PACKAGE).parts
        and path not in allowed
        and any(name.startswith("router.emulator") for name in _imports(path))
    ]
    assert offenders == []
