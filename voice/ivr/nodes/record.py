"""``record``: leave a message (voicemail) after a prompt and a beep, then go on."""

from __future__ import annotations

from dataclasses import dataclass

from voice.ivr import actions as act
from voice.ivr.events import Event, RecordingFinished
from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.templates import Template
from voice.ivr.turn import Turn


@register("record")
@dataclass(frozen=True, kw_only=True)
class RecordNode(Node):
    """``prompt``, ``max_length`` (s), ``beep``, ``finish_on``, ``save_as``, ``next``."""

    prompt: Template | None
    max_length: int
    beep: bool
    finish_on: str
    save_as: str | None
    next: str

    @classmethod
    def parse(cls, r: NodeReader) -> RecordNode:
        node = cls(
            id=r.node_id, line=r.raw.line, prompt=r.text("prompt"),
            max_length=r.int("max_length", default=120, minimum=1, maximum=3600),
            beep=r.bool("beep", default=True),
            finish_on=r.str("finish_on", default="#", choices=("#", "*")) or "#",
            save_as=r.str("save_as"), next=r.target("next") or "",
        )
        r.check_fields()
        return node

    def waits_for_caller(self) -> bool:
        return True

    def enter(self, t: Turn) -> None:
        request = t.request_id("record")
        t.emit(t.say(self.prompt),
               act.Record(request=request, max_length=self.max_length, beep=self.beep,
                          finish_on=self.finish_on))
        t.wait("record", request)

    def on_event(self, t: Turn, event: Event) -> None:
        assert isinstance(event, RecordingFinished)
        if self.save_as:
            t.set_var(self.save_as, event.recording)
        t.finish("recorded", detail={"recording": event.recording,
                                     "duration": event.duration})
        t.goto(self.next)
