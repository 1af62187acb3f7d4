"""``return``: leave a subflow and continue at the calling ``subflow`` node's ``next``.

Reached in a flow that was not called as a subflow, it ends the call.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.nodes.subflow import SubflowNode
from voice.ivr.turn import Turn


@register("return")
@dataclass(frozen=True, kw_only=True)
class ReturnNode(Node):
    """No fields."""

    terminal = True

    @classmethod
    def parse(cls, r: NodeReader) -> ReturnNode:
        r.check_fields()
        return cls(id=r.node_id, line=r.raw.line)

    def enter(self, t: Turn) -> None:
        t.finish("returned")
        if not t.state.stack:
            t.end("flow-returned")
            return
        frame = t.state.stack.pop()
        caller = t.flows[frame["flow"]].nodes[frame["node"]]
        assert isinstance(caller, SubflowNode)
        t.state.flow = frame["flow"]
        t.goto(caller.next)
