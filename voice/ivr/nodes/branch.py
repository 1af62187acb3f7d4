"""``branch``: go to the first rule whose condition holds, else to ``else``.

Conditions are sandboxed Jinja2 expressions over ``call``, ``vars``, ``customer`` and
``auth`` (e.g. ``customer.tier == 'gold' and auth.verified``); never ``eval``.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.templates import Expression
from voice.ivr.turn import Turn
from voice.ivr.yamlsource import LList, LMap


@register("branch")
@dataclass(frozen=True, kw_only=True)
class BranchNode(Node):
    """``when: [{if: expr, goto: node}, ...]`` and ``else: node``."""

    rules: tuple[tuple[Expression, str], ...]
    otherwise: str

    @classmethod
    def parse(cls, r: NodeReader) -> BranchNode:
        rules: list[tuple[Expression, str]] = []
        when = r.raw.get("when")
        r.has("when")
        if not isinstance(when, LList) or not when:
            r.problem("when", "missing: a list of rules like {if: \"vars.x == '1'\", goto: node}"
                      if when is None else "expected a non-empty list of {if:, goto:} rules")
        else:
            for i, rule in enumerate(when):
                line = when.line_of(i)
                if not isinstance(rule, LMap):
                    r.problem("when", f"rule {i + 1}: expected {{if: ..., goto: ...}}", line)
                    continue
                extra = sorted(set(rule) - {"if", "goto"})
                if extra:
                    r.problem("when", f"rule {i + 1}: unknown key '{extra[0]}' "
                                      "(a rule has 'if' and 'goto')", rule.line_of(extra[0]))
                if "if" not in rule or "goto" not in rule:
                    r.problem("when", f"rule {i + 1}: needs both 'if' and 'goto'", line)
                    continue
                expr = r.expression(rule["if"], "when", rule.line_of("if"))
                target = r.add_edge(f"if {expr.source}", rule["goto"], "when",
                                    rule.line_of("goto"))
                if target is not None:
                    rules.append((expr, target))
        otherwise = r.target("else", label="else",
                             what="where to go when no rule matches")
        r.check_fields()
        return cls(id=r.node_id, line=r.raw.line, rules=tuple(rules),
                   otherwise=otherwise or "")

    def enter(self, t: Turn) -> None:
        context = t.context()
        for expr, target in self.rules:
            if expr.evaluate(context):
                t.finish(f"if {expr.source}")
                t.goto(target)
                return
        t.finish("else")
        t.goto(self.otherwise)
