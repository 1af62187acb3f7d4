"""``queue``: hand the caller to the ACD; an agent answers or ``max_wait`` runs out.

Without ``max_wait`` the caller waits until an agent answers or hangs up. Hanging up while
queued is recorded as ``abandoned`` and takes the caller out of the queue. With
``callback: true`` the hold announcements offer "press 1 to be called back": the caller keeps
their place in line, hears a confirmation and the call ends (outcome ``callback``); the
service calls the agent, then the caller, when their turn comes.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice.ivr import actions as act
from voice.ivr.events import AgentConnected, DigitsReceived, Event, TimerFired
from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.turn import Turn

CALLBACK_CONFIRMATION = ("Thank you. You keep your place in line, and we will call you back "
                         "at this number as soon as an agent is free. Goodbye.")


@register("queue")
@dataclass(frozen=True, kw_only=True)
class QueueNode(Node):
    """``queue``, ``priority``, ``skills``, ``announce_position``, ``max_wait``,
    ``callback``, ``music``, ``on_timeout``."""

    terminal = True
    queue: str
    priority: int
    skills: tuple[str, ...]
    announce_position: bool
    max_wait: int | None
    callback: bool
    music: str | None
    on_timeout: str | None
    #: days recordings of calls that waited in this queue are kept (overrides the flow's)
    retention_days: int | None = None

    @classmethod
    def parse(cls, r: NodeReader) -> QueueNode:
        node = cls(
            id=r.node_id, line=r.raw.line,
            queue=r.str("queue", required=True, what="the queue name is required") or "",
            priority=r.int("priority", default=0, maximum=100),
            skills=r.str_list("skills"),
            announce_position=r.bool("announce_position", default=True),
            max_wait=r.int("max_wait", default=None, minimum=1, maximum=86400),
            callback=r.bool("callback", default=False),
            music=r.str("music"),
            on_timeout=r.target("on_timeout", label="timeout", required=False),
            retention_days=r.int("retention_days", default=None, minimum=1, maximum=36500),
        )
        if node.max_wait is not None and node.on_timeout is None:
            r.problem("on_timeout", "missing: where callers go when max_wait runs out",
                      r.line("max_wait"))
        if node.on_timeout is not None and node.max_wait is None:
            r.problem("on_timeout", "has no effect without max_wait")
        r.check_fields()
        return node

    def waits_for_caller(self) -> bool:
        return True

    def enter(self, t: Turn) -> None:
        timer = t.request_id("queue")
        t.emit(act.Enqueue(queue=self.queue, priority=self.priority, skills=self.skills,
                           announce_position=self.announce_position, max_wait=self.max_wait,
                           callback=self.callback, music=self.music))
        if self.max_wait is not None:
            t.emit(act.StartTimer(timer=timer, seconds=float(self.max_wait)))
        t.wait("queue", timer if self.max_wait is not None else None)

    def on_event(self, t: Turn, event: Event) -> None:
        timer = t.state.wait.request if t.state.wait else None
        if isinstance(event, AgentConnected):
            if self.max_wait is not None and timer is not None:
                t.emit(act.CancelTimer(timer=timer))
            t.finish("agent", detail={"agent": event.agent, "queue": self.queue})
            t.wait("connected")
        elif isinstance(event, DigitsReceived):
            if not self.callback or not event.digits.startswith("1"):
                return  # other keys while on hold mean nothing
            if self.max_wait is not None and timer is not None:
                t.emit(act.CancelTimer(timer=timer))
            number = str(t.state.call.get("from") or "")
            t.emit(act.RequestCallback(queue=self.queue, number=number),
                   act.Say(text=CALLBACK_CONFIRMATION, language=t.language,
                           voice=t.defaults.voice))
            t.finish("callback", detail={"queue": self.queue})
            t.end("callback")
        elif isinstance(event, TimerFired):
            t.emit(act.Dequeue(queue=self.queue, reason="timeout"))
            t.finish("timeout", detail={"queue": self.queue})
            t.goto(self.on_timeout or "")

    def on_hangup(self, t: Turn) -> str:
        wait = t.state.wait
        if wait is not None and wait.kind == "queue":
            if self.max_wait is not None and wait.request is not None:
                t.emit(act.CancelTimer(timer=wait.request))
            t.emit(act.Dequeue(queue=self.queue, reason="abandoned"))
            return "abandoned"
        return "hangup"
