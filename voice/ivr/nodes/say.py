"""``say``: speak a text (TTS) or play an audio file, then go on."""

from __future__ import annotations

from dataclasses import dataclass

from voice.ivr import actions as act
from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.templates import Template
from voice.ivr.turn import Turn


@register("say")
@dataclass(frozen=True, kw_only=True)
class SayNode(Node):
    """``{text: ...}`` or ``{audio: file.wav}``, and ``next``."""

    text: Template | None
    audio: str | None
    next: str

    @classmethod
    def parse(cls, r: NodeReader) -> SayNode:
        text = r.text("text")
        audio = r.str("audio")
        if text is None and audio is None:
            r.problem("text", "missing: give 'text' to speak or 'audio' to play")
        elif text is not None and audio is not None:
            r.problem("audio", "give either 'text' or 'audio', not both")
        nxt = r.target("next")
        r.check_fields()
        return cls(id=r.node_id, line=r.raw.line, text=text, audio=audio, next=nxt or "")

    def enter(self, t: Turn) -> None:
        if self.audio is not None:
            t.emit(act.Play(audio=self.audio))
        else:
            t.emit(t.say(self.text))
        t.finish("played" if self.audio is not None else "said")
        t.goto(self.next)
