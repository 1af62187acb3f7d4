"""The layer rule: ``voice/ivr`` is sans-I/O.

Nothing under ``voice/ivr`` may import web, SIP, database, HTTP, process, socket, clock or
randomness modules, nor read the clock, open files, print or eval. This test parses every
module (so a commented-out import does not count and an indented one does).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from source_tree import parse_module

IVR = Path(__file__).resolve().parents[1] / "voice" / "ivr"
FORBIDDEN_MODULES = {
    "flask", "pjsua2", "sqlalchemy", "alembic", "psycopg", "requests", "httpx", "urllib",
    "http", "socket", "ssl", "subprocess", "time", "random", "secrets", "uuid", "os",
    "pathlib", "shutil", "threading", "asyncio", "logging", "twilio", "vosk", "voice.store",
    "voice.web", "voice.flows", "voice.cli", "voice.compose", "voice.settings",
}
CLOCK_METHODS = {"now", "utcnow", "today", "monotonic", "perf_counter", "time_ns"}
FORBIDDEN_BUILTINS = {"open", "input", "print", "eval", "exec"}


def _modules() -> list[Path]:
    return sorted(IVR.rglob("*.py"))


def _violations(path: Path) -> list[str]:
    tree = parse_module(path)
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_MODULES):
                found.append(f"{path.name}:{node.lineno}: imports {name}")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in CLOCK_METHODS:
                found.append(f"{path.name}:{node.lineno}: calls {func.attr}()")
            elif isinstance(func, ast.Name) and func.id in FORBIDDEN_BUILTINS:
                found.append(f"{path.name}:{node.lineno}: calls {func.id}()")
    return found


def test_there_are_ivr_modules_to_check() -> None:
    assert len(_modules()) >= 20


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(IVR)))
def test_ivr_module_does_no_io(path: Path) -> None:
    assert _violations(path) == []


def test_the_checker_catches_violations(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import time\nfrom sqlalchemy import select\n"
                   "def f():\n    import random\n    return datetime.now(), open('x')\n")
    assert _violations(bad) == [
        "bad.py:1: imports time", "bad.py:2: imports sqlalchemy",
        "bad.py:4: imports random", "bad.py:5: calls now()", "bad.py:5: calls open()",
    ]
