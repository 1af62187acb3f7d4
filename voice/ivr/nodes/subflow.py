"""``subflow``: run another flow; its ``return`` node comes back to this node's ``next``."""

from __future__ import annotations

from dataclasses import dataclass

from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.turn import Turn


@register("subflow")
@dataclass(frozen=True, kw_only=True)
class SubflowNode(Node):
    """``flow`` names the flow to run; ``next`` is where its ``return`` resumes."""

    flow: str
    next: str

    @classmethod
    def parse(cls, r: NodeReader) -> SubflowNode:
        flow = r.str("flow", required=True, what="the id of the flow to run")
        nxt = r.target("next", what="where to continue when the subflow returns")
        r.check_fields()
        return cls(id=r.node_id, line=r.raw.line, flow=flow or "", next=nxt or "")

    def enter(self, t: Turn) -> None:
        t.finish("called", detail={"flow": self.flow})
        t.state.stack.append({"flow": t.state.flow, "node": self.id})
        t.state.flow = self.flow
        t.goto(t.flows[self.flow].start)
