"""``hangup``: optionally say goodbye, then end the call."""

from __future__ import annotations

from dataclasses import dataclass

from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.templates import Template
from voice.ivr.turn import Turn


@register("hangup")
@dataclass(frozen=True, kw_only=True)
class HangupNode(Node):
    """``text`` (optional) is spoken before the call ends."""

    terminal = True
    text: Template | None

    @classmethod
    def parse(cls, r: NodeReader) -> HangupNode:
        text = r.text("text")
        r.check_fields()
        return cls(id=r.node_id, line=r.raw.line, text=text)

    def enter(self, t: Turn) -> None:
        t.emit(t.say(self.text))
        t.finish("hangup")
        t.end("flow")
