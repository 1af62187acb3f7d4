"""Parse this project's own modules for the layering tests.

CPython 3.11 (before 3.11.8) keeps the AST constructor's recursion counter in state shared by
all threads (python/cpython#106905). Another thread that calls ``ast.parse`` at the same
moment, for example a test server thread printing a traceback (3.11's traceback module parses
the failing line to draw its ``^^^`` marks), makes the parse raise a spurious
``SystemError: AST constructor recursion depth mismatch``. The source is fine, so parse again.
"""

from __future__ import annotations

import ast
from pathlib import Path

_RETRIES = 4


def parse_module(path: Path) -> ast.Module:
    """The module at ``path`` parsed, retried past CPython 3.11's cross-thread AST race."""
    source = path.read_text(encoding="utf-8")
    for _ in range(_RETRIES):
        try:
            return ast.parse(source, str(path))
        except SystemError:
            continue
    return ast.parse(source, str(path))
