"""Templates (prompt text) and expressions (branch conditions) in Jinja2's sandbox.

Flows never run Python: text fields are Jinja2 templates (``{{ customer.first_name }}``) and
``branch`` conditions are Jinja2 expressions, both evaluated by an immutable sandboxed
environment. Syntax is checked at load time without compiling (compiling is deferred to the
first use, which keeps validation of large flows fast). Undefined names render as empty text
and compare as false, so a missing customer never crashes a live call.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from jinja2 import ChainableUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: what a failing template or condition may raise at run time (never out of the engine)
RUNTIME_ERRORS = (TemplateError, TypeError, ValueError, ArithmeticError, LookupError,
                  AttributeError, OverflowError, MemoryError)
MAX_EXPONENT = 100
MAX_REPEAT = 10_000


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox that also bounds ``**`` and repetition (``'x' * n``),
    so a flow cannot burn CPU or memory on a live call."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent above {MAX_EXPONENT}")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and \
                        len(seq) * n > MAX_REPEAT:
                    raise SecurityError(f"repetition longer than {MAX_REPEAT}")
        return super().call_binop(context, operator, left, right)


_ENV = _Sandbox(undefined=ChainableUndefined, autoescape=False, keep_trailing_newline=False,
                finalize=lambda value: "" if value is None else value)


def _unknown_names(tree: nodes.Node) -> str | None:
    """A message for the first filter or test the environment does not have."""
    found = [tree, *tree.find_all((nodes.Filter, nodes.Test))]
    for node in (n for n in found if isinstance(n, nodes.Filter | nodes.Test)):
        known = _ENV.filters if isinstance(node, nodes.Filter) else _ENV.tests
        if node.name not in known:
            kind = "filter" if isinstance(node, nodes.Filter) else "test"
            close = difflib.get_close_matches(node.name, list(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return f"unknown {kind} '{node.name}'{hint}"
    return None


def _looks_templated(source: str) -> bool:
    return "{" in source or "#}" in source or "%}" in source


class Template:
    """A text field. ``check()`` reports syntax errors; ``render(ctx)`` gives the text."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: Any = None

    def check(self) -> tuple[int, str] | None:
        """Return (line within the text, message) for a syntax error, or None."""
        if not _looks_templated(self.source):
            return None
        try:
            tree = _ENV.parse(self.source)
        except TemplateSyntaxError as exc:
            return exc.lineno or 1, f"template syntax error: {exc.message}"
        unknown = _unknown_names(tree)
        return None if unknown is None else (1, unknown)

    def render(self, context: Mapping[str, Any]) -> str:
        """Render with ``context``; a runtime failure renders as empty text."""
        if not _looks_templated(self.source):
            return self.source
        try:
            if self._compiled is None:
                self._compiled = _ENV.from_string(self.source)
            return self._compiled.render(context).strip()
        except RUNTIME_ERRORS:
            return ""

    def __repr__(self) -> str:
        return f"Template({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)


class Expression:
    """A condition such as ``customer.tier == 'gold' and auth.verified``."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: Any = None

    def check(self) -> str | None:
        """Return a message for a syntax error, or None."""
        try:
            parser = Parser(_ENV, self.source, state="variable")
            expr = parser.parse_expression()
            if not parser.stream.eos:
                raise TemplateSyntaxError(
                    f"unexpected '{parser.stream.current.value}'", 1
                )
        except TemplateSyntaxError as exc:
            return f"expression syntax error: {exc.message}"
        return _unknown_names(expr)

    def evaluate(self, context: Mapping[str, Any]) -> bool:
        """Evaluate to a truth value; errors and undefined names count as false."""
        try:
            if self._compiled is None:
                self._compiled = _ENV.compile_expression(self.source, undefined_to_none=True)
            return bool(self._compiled(**context))
        except RUNTIME_ERRORS:
            return False

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def mask(value: str) -> str:
    """Mask a sensitive value: long numbers keep their last four digits (``****4321``)."""
    text = str(value)
    if len(text) >= 8:
        return "****" + text[-4:]
    return "****"
