"""``set``: set flow variables (text values are templates), then go on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.templates import Template
from voice.ivr.turn import Turn


@register("set")
@dataclass(frozen=True, kw_only=True)
class SetNode(Node):
    """``vars: {name: value}``; setting ``language`` changes the prompt language."""

    values: tuple[tuple[str, Any], ...]
    next: str

    @classmethod
    def parse(cls, r: NodeReader) -> SetNode:
        raw = r.mapping("vars", required=True, what="the variables to set, e.g. {language: es-US}")
        values: list[tuple[str, Any]] = []
        for name, value in (raw or {}).items():
            line = raw.line_of(name) if raw is not None else r.line("vars")
            if not name.isidentifier():
                r.problem("vars", f"'{name}' is not a valid variable name (letters, digits, _)",
                          line)
                continue
            if isinstance(value, str):
                value = r.template(value, "vars", line)
            elif isinstance(value, dict | list):
                r.problem("vars", f"'{name}': values must be text, numbers or true/false", line)
                continue
            values.append((name, value))
        nxt = r.target("next")
        r.check_fields()
        return cls(id=r.node_id, line=r.raw.line, values=tuple(values), next=nxt or "")

    def enter(self, t: Turn) -> None:
        context = t.context()
        for name, value in self.values:
            t.set_var(name, value.render(context) if isinstance(value, Template) else value)
        t.finish("set")
        t.goto(self.next)
