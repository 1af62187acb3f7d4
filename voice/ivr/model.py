"""The parsed flow model and the field reader node types parse themselves with.

``Flow`` is an immutable, validated flow: its nodes (one object per node, of the class the
node-type registry picked by ``type:``), its edges (for validation and graphs) and where
everything came from (file and line). ``NodeReader`` reads one node's YAML mapping field by
field, recording a ``Problem`` with file, line, node and field for anything wrong, so that a
flow reports every problem at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from voice.ivr.errors import Problem
from voice.ivr.templates import Expression, Template
from voice.ivr.yamlsource import LList, LMap

if TYPE_CHECKING:
    from voice.ivr.nodes.base import Node


@dataclass(frozen=True)
class Defaults:
    """Flow-wide defaults for prompts and input."""

    language: str = "en-US"
    voice: str | None = None
    timeout: int = 5
    retries: int = 2


@dataclass(frozen=True)
class Edge:
    """A way from one node to another: ``label`` is the key, outcome or condition."""

    label: str
    target: str
    field: str
    line: int


@dataclass(frozen=True)
class Flow:
    """A parsed flow. ``nodes`` keeps the file's order; ``edges`` maps node id to edges."""

    id: str
    name: str
    start: str
    numbers: tuple[str, ...]
    defaults: Defaults
    nodes: Mapping[str, Node]
    edges: Mapping[str, tuple[Edge, ...]]
    file: str
    record_calls: bool = True
    lines: Mapping[str, int] = field(default_factory=dict)
    #: days this flow's recordings and transcripts are kept (None: the service's default)
    retention_days: int | None = None

    def line_of(self, key: str) -> int:
        """Line of a top-level field or of a node id (1 if unknown)."""
        return self.lines.get(key, 1)


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or empty text."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class NodeReader:
    """Reads the fields of one node, recording problems instead of raising."""

    def __init__(self, file: str, node_id: str, raw: LMap, defaults: Defaults,
                 problems: list[Problem]) -> None:
        self.file = file
        self.node_id = node_id
        self.raw = raw
        self.defaults = defaults
        self.problems = problems
        self.edges: list[Edge] = []
        #: a required way on is missing or malformed: the flow's graph is incomplete
        self.graph_incomplete = False
        self._seen: set[str] = {"type", "description"}

    # -- problems -----------------------------------------------------------------------
    def problem(self, field_name: str | None, message: str, line: int | None = None) -> None:
        """Record a problem on this node (at the field's line unless ``line`` is given)."""
        if line is None:
            line = self.raw.line_of(field_name) if field_name else self.raw.line
        self.problems.append(Problem(self.file, line, self.node_id, field_name, message))

    def line(self, field_name: str) -> int:
        """The line of ``field_name`` in this node (the node's line if absent)."""
        return self.raw.line_of(field_name)

    def has(self, field_name: str) -> bool:
        """Whether the node sets ``field_name`` (marks it as known)."""
        self._seen.add(field_name)
        return field_name in self.raw

    def _get(self, name: str, required: bool, what: str) -> Any:
        self._seen.add(name)
        if name not in self.raw or self.raw[name] is None:
            if required:
                self.problem(name, f"missing: {what}")
            return None
        return self.raw[name]

    # -- typed fields -------------------------------------------------------------------
    def str(self, name: str, *, required: bool = False, default: str | None = None,
            choices: tuple[str, ...] | None = None, what: str = "a value is required") -> Any:
        """A plain string field (numbers are accepted and turned into text)."""
        value = self._get(name, required, what)
        if value is None:
            return default
        if isinstance(value, (LMap | LList, bool)):
            self.problem(name, f"expected text, got {_kind(value)}")
            return default
        value = str(value)
        if choices is not None and value not in choices:
            self.problem(name, f"'{value}' is not one of: {', '.join(choices)}"
                               f"{suggest(value, choices)}")
            return default
        return value

    def text(self, name: str, *, required: bool = False,
             what: str = "the text to speak is required") -> Template | None:
        """A template field; syntax errors are reported at the right line."""
        value = self.str(name, required=required, what=what)
        return None if value is None else self.template(value, name,
                                                        self.raw.value_line_of(name))

    def template(self, source: str, name: str, line: int) -> Template:
        """Check and return a template whose text starts at ``line`` of field ``name``."""
        tpl = Template(source)
        error = tpl.check()
        if error is not None:
            self.problem(name, error[1], line + error[0] - 1)
        return tpl

    def expression(self, source: Any, name: str, line: int) -> Expression:
        """Check and return a condition expression found at ``line``."""
        expr = Expression(str(source) if source is not None else "")
        error = expr.check() if source is not None and str(source).strip() else \
            "expression is empty"
        if error is not None:
            self.problem(name, error, line)
        return expr

    def target(self, name: str, *, label: str | None = None, required: bool = True,
               what: str | None = None) -> str | None:
        """A node id this node can go to; existence is checked once all nodes are known."""
        value = self.str(name, required=required,
                         what=what or f"which node comes next (a '{self.raw.get('type')}' "
                                      "node with no way on is a dead end)")
        if value is not None:
            self.edges.append(Edge(label or name, value, name, self.line(name)))
        elif required:
            self.graph_incomplete = True
        return value

    def add_edge(self, label: str, target: Any, name: str, line: int) -> str | None:
        """Record an edge found inside a nested field (menu choices, branch rules)."""
        if target is None or isinstance(target, LMap | LList):
            self.problem(name, f"'{label}' must name a node", line)
            self.graph_incomplete = True
            return None
        self.edges.append(Edge(label, str(target), name, line))
        return str(target)

    def int(self, name: str, *, default: int | None, minimum: int = 0,
            maximum: int | None = None, required: bool = False) -> Any:
        """A whole-number field within [minimum, maximum]."""
        value = self._get(name, required, "a number is required")
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(name, f"expected a whole number, got {_kind(value)} '{value}'")
            return default
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
            self.problem(name, f"{value} is out of range (must be {bound})")
            return default
        return value

    def bool(self, name: str, *, default: bool) -> bool:
        """A true/false field."""
        value = self._get(name, False, "")
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(name, f"expected true or false, got '{value}'")
            return default
        return value

    def str_list(self, name: str, *, required: bool = False,
                 choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """A list of texts (a single text is accepted as a one-item list)."""
        value = self._get(name, required, "a list is required")
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out: list[str] = []
        for i, item in enumerate(items):
            line = value.line_of(i) if isinstance(value, LList) else self.line(name)
            if isinstance(item, LMap | LList) or item is None:
                self.problem(name, f"item {i + 1}: expected text, got {_kind(item)}", line)
                continue
            text = str(item)
            if choices is not None and text not in choices:
                self.problem(name, f"'{text}' is not one of: {', '.join(choices)}"
                                   f"{suggest(text, choices)}", line)
                continue
            out.append(text)
        return tuple(out)

    def mapping(self, name: str, *, required: bool = False,
                what: str = "a mapping is required") -> LMap | None:
        """A nested mapping field."""
        value = self._get(name, required, what)
        if value is None:
            return None
        if not isinstance(value, LMap):
            self.problem(name, f"expected a mapping, got {_kind(value)}")
            return None
        return value

    def check_fields(self, extra_ok: Callable[[str], bool] | None = None) -> None:
        """Report fields no reader method asked for (typos, fields of another node type)."""
        known = sorted(self._seen - {"type", "description"})
        for name in self.raw:
            if name in self._seen or (extra_ok is not None and extra_ok(name)):
                continue
            self.problem(name, f"unknown field{suggest(name, known)}; a "
                               f"'{self.raw.get('type')}' node takes: {', '.join(known)}")


def _kind(value: Any) -> str:
    if isinstance(value, LMap):
        return "a mapping"
    if isinstance(value, LList):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return "text"
