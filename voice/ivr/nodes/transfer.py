"""``transfer``: connect the caller to an outside number or SIP URI.

When the transfer connects, the IVR part of the call is over. When it fails (busy, no
answer), the call goes to ``on_failure`` or, without one, hears an apology and ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice.ivr import actions as act
from voice.ivr.events import Event, TransferCompleted
from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.templates import Template
from voice.ivr.turn import Turn

SORRY = Template("Sorry, we could not connect your call. Goodbye.")


@register("transfer")
@dataclass(frozen=True, kw_only=True)
class TransferNode(Node):
    """``to`` (number or SIP URI, templated), ``timeout`` (s), ``on_failure``."""

    terminal = True
    to: Template
    timeout: int
    on_failure: str | None

    @classmethod
    def parse(cls, r: NodeReader) -> TransferNode:
        to = r.text("to", required=True, what="the number or SIP URI to transfer to")
        if to is not None and not to.source.strip():
            r.problem("to", "must not be empty")
        node = cls(id=r.node_id, line=r.raw.line, to=to or Template(""),
                   timeout=r.int("timeout", default=30, minimum=5, maximum=300),
                   on_failure=r.target("on_failure", label="failed", required=False))
        r.check_fields()
        return node

    def waits_for_caller(self) -> bool:
        return True

    def enter(self, t: Turn) -> None:
        request = t.request_id("transfer")
        t.emit(act.Transfer(request=request, to=t.render(self.to), timeout=self.timeout))
        t.wait("transfer", request)

    def on_event(self, t: Turn, event: Event) -> None:
        assert isinstance(event, TransferCompleted)
        if event.connected:
            t.finish("connected")
            t.wait("connected")
            return
        t.finish("failed", detail={"reason": event.reason})
        if self.on_failure is not None:
            t.goto(self.on_failure)
        else:
            t.emit(t.say(SORRY))
            t.end("transfer-failed")
