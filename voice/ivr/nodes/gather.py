"""``gather``: collect digits (or speech) into a variable, with retries.

``sensitive: true`` pauses the call recording for the entry, keeps the value as a secret
(masked in the IVR path, in templates and in the saved state) and resumes the recording.
"""

from __future__ import annotations

from dataclasses import dataclass

from voice.ivr.events import DigitsReceived, Event, SpeechRecognized
from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.nodes.prompting import DigitRules, ask
from voice.ivr.templates import Template, mask
from voice.ivr.turn import Turn

DEFAULT_NO_INPUT = Template("Sorry, I did not get that.")
DEFAULT_INVALID = Template("Sorry, that is not valid.")


@register("gather")
@dataclass(frozen=True, kw_only=True)
class GatherNode(Node):
    """``prompt``, ``digits: {min, max, finish_on}``, ``speech``, ``save_as``, ``next``."""

    prompt: Template
    rules: DigitRules
    speech: bool
    no_input: Template
    invalid: Template
    retries: int
    timeout: int
    sensitive: bool
    save_as: str
    next: str
    failure: str | None

    @classmethod
    def parse(cls, r: NodeReader) -> GatherNode:
        sensitive = r.bool("sensitive", default=False)
        speech = r.bool("speech", default=False)
        if speech and sensitive:
            r.problem("speech", "a sensitive gather takes keys only (speech would be sent "
                                "to a recogniser)")
        save_as = r.str("save_as", required=True, what="the variable to save the input in")
        if save_as is not None and not save_as.isidentifier():
            r.problem("save_as", f"'{save_as}' is not a valid variable name")
        node = cls(
            id=r.node_id, line=r.raw.line,
            prompt=r.text("prompt", required=True, what="the prompt is required")
            or Template(""),
            rules=DigitRules.parse(r, "digits", DigitRules()),
            speech=speech,
            no_input=r.text("no_input") or DEFAULT_NO_INPUT,
            invalid=r.text("invalid") or DEFAULT_INVALID,
            retries=r.int("retries", default=r.defaults.retries, maximum=10),
            timeout=r.int("timeout", default=r.defaults.timeout, minimum=1, maximum=60),
            sensitive=sensitive, save_as=save_as or "",
            next=r.target("next") or "",
            failure=r.target("failure", label="failure", required=False),
        )
        r.check_fields()
        return node

    def waits_for_caller(self) -> bool:
        return True

    def enter(self, t: Turn) -> None:
        t.scratch["tries"] = 0
        if self.sensitive:
            t.pause_recording()
        self._ask(t, ())

    def _ask(self, t: Turn, before: tuple) -> None:
        ask(t, (*before, *t.says(self.prompt)), rules=self.rules, timeout=self.timeout,
            speech=self.speech, sensitive=self.sensitive)

    def on_event(self, t: Turn, event: Event) -> None:
        value: str | None = None
        entered = False
        if isinstance(event, DigitsReceived):
            entered = True
            value = self.rules.read(event.digits)
        elif isinstance(event, SpeechRecognized):
            entered = True
            value = event.text.strip() if self.speech and event.text.strip() else None
        if value is not None:
            t.set_var(self.save_as, value, sensitive=self.sensitive)
            t.resume_recording()
            t.finish("collected", input=mask(value) if self.sensitive else value)
            t.goto(self.next)
            return
        t.scratch["tries"] += 1
        failed = "invalid" if entered else "no-input"
        if t.scratch["tries"] > self.retries:
            t.set_var(self.save_as, None)
            t.resume_recording()
            t.finish(failed, detail={"attempts": t.scratch["tries"]})
            t.goto(self.failure or self.next)
            return
        self._ask(t, t.says(self.invalid if entered else self.no_input))
