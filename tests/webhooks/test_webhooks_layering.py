"""The ``webhooks`` package stays below the web layer: it never imports flask, the web or
CLI adapters or the composition root (services hand it events; it does not reach up)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from source_tree import parse_module

PACKAGE = Path(__file__).resolve().parents[2] / "webhooks"
FORBIDDEN = ("flask", "werkzeug", "voice.web", "voice.cli", "voice.compose", "voice.app")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(parse_module(path)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_there_are_modules_to_check() -> None:
    assert len(list(PACKAGE.glob("*.py"))) >= 8


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_webhooks_module_does_not_reach_up(path: Path) -> None:
    bad = [name for name in _imports(path)
           if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []
