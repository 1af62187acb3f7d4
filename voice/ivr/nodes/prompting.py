"""Shared helpers for nodes that ask the caller for input (menu, gather, authenticate).

``ask`` emits a ``Gather`` and waits for input; ``read_digits`` turns a ``DigitsReceived``
into the entered value (finish key removed) if it fits the length rules; ``DigitRules``
parses the ``digits: {min, max, finish_on}`` field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voice.ivr import actions as act
from voice.ivr.model import NodeReader
from voice.ivr.turn import Turn

FINISH_KEYS = ("#", "*")


@dataclass(frozen=True)
class DigitRules:
    """How many digits to accept and which key ends the entry early."""

    min: int = 1
    max: int = 20
    finish_on: str | None = "#"

    @classmethod
    def parse(cls, r: NodeReader, name: str, default: DigitRules) -> DigitRules:
        """Read ``name: {min, max, finish_on}``; problems are reported on the node."""
        raw = r.mapping(name)
        if raw is None:
            return default
        lo, hi, finish = default.min, default.max, default.finish_on
        for key, value in raw.items():
            line = raw.line_of(key)
            if key in ("min", "max"):
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
                    r.problem(name, f"'{key}' must be a whole number from 1 to 64", line)
                elif key == "min":
                    lo = value
                else:
                    hi = value
            elif key == "finish_on":
                if value is not None and str(value) not in FINISH_KEYS:
                    r.problem(name, "'finish_on' must be '#', '*' or empty", line)
                else:
                    finish = None if value is None else str(value)
            else:
                r.problem(name, f"unknown key '{key}' (use min, max, finish_on)", line)
        if lo > hi:
            r.problem(name, f"min ({lo}) is larger than max ({hi})", raw.line)
        return cls(lo, hi, finish)

    def read(self, digits: str) -> str | None:
        """The entered value without the finish key, or None if it breaks the rules."""
        value = digits
        if self.finish_on and value.endswith(self.finish_on):
            value = value[: -len(self.finish_on)]
        if not value.isdigit() or not self.min <= len(value) <= self.max:
            return None
        return value


def ask(t: Turn, prompts: Sequence[act.Say | act.Play], *, rules: DigitRules,
        timeout: int, speech: bool = False, hints: Sequence[str] = (),
        sensitive: bool = False) -> None:
    """Emit a Gather for the current node and wait for the caller's input."""
    request = t.request_id("input")
    t.emit(act.Gather(
        request=request, prompts=tuple(prompts),
        input="dtmf speech" if speech else "dtmf",
        min_digits=rules.min, max_digits=rules.max, finish_on=rules.finish_on,
        timeout=timeout, hints=tuple(hints), language=t.language, sensitive=sensitive,
    ))
    t.wait("input", request)
