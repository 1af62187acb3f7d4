"""``menu``: one key (or a spoken keyword) picks a branch; retries, then ``failure``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from voice.ivr.events import DigitsReceived, Event, SpeechRecognized
from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.nodes.prompting import DigitRules, ask
from voice.ivr.templates import Template
from voice.ivr.turn import Turn

KEYS = "0123456789*#"
ONE_KEY = DigitRules(1, 1, None)
KEY_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4",
             "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "star": "*",
             "pound": "#", "hash": "#"}
DEFAULT_NO_INPUT = Template("Sorry, I did not hear a choice.")
DEFAULT_NO_MATCH = Template("Sorry, that is not one of the choices.")


@register("menu")
@dataclass(frozen=True, kw_only=True)
class MenuNode(Node):
    """``prompt``, ``choices: {key: node}``, optional ``speech: {keyword: key}``."""

    prompt: Template
    choices: tuple[tuple[str, str], ...]
    speech: tuple[tuple[str, str], ...]
    no_input: Template
    no_match: Template
    retries: int
    timeout: int
    failure: str

    @classmethod
    def parse(cls, r: NodeReader) -> MenuNode:
        prompt = r.text("prompt", required=True, what="the menu prompt is required")
        raw = r.mapping("choices", required=True, what="choices like {\"1\": billing}")
        choices: list[tuple[str, str]] = []
        for key, target in (raw or {}).items():
            line = raw.line_of(key) if raw is not None else r.line("choices")
            if len(key) != 1 or key not in KEYS:
                r.problem("choices", f"'{key}' is not a single key (0-9, * or #)", line)
                continue
            node = r.add_edge(key, target, "choices", line)
            if node is not None:
                choices.append((key, node))
        speech: list[tuple[str, str]] = []
        raw_speech = r.mapping("speech")
        for word, key in (raw_speech or {}).items():
            key = str(key)
            if key not in dict(choices):
                r.problem("speech", f"'{word}' maps to '{key}', which is not one of the "
                                    "choices", raw_speech.line_of(word) if raw_speech else None)
                continue
            speech.append((word.lower(), key))
        node = cls(
            id=r.node_id, line=r.raw.line, prompt=prompt or Template(""),
            choices=tuple(choices), speech=tuple(speech),
            no_input=r.text("no_input") or DEFAULT_NO_INPUT,
            no_match=r.text("no_match") or DEFAULT_NO_MATCH,
            retries=r.int("retries", default=r.defaults.retries, maximum=10),
            timeout=r.int("timeout", default=r.defaults.timeout, minimum=1, maximum=60),
            failure=r.target("failure", label="failure",
                             what="where to go after the retries run out (a menu needs a "
                                  "way out)") or "",
        )
        r.check_fields()
        return node

    def waits_for_caller(self) -> bool:
        return True

    def enter(self, t: Turn) -> None:
        t.scratch["tries"] = 0
        self._ask(t, ())

    def _ask(self, t: Turn, before: tuple) -> None:
        ask(t, (*before, *t.says(self.prompt)), rules=ONE_KEY, timeout=self.timeout,
            speech=bool(self.speech), hints=[w for w, _ in self.speech])

    def on_event(self, t: Turn, event: Event) -> None:
        choice: str | None = None
        heard: str | None = None
        if isinstance(event, DigitsReceived):
            heard = event.digits
            key = event.digits[:1]
            choice = key if key in dict(self.choices) else None
        elif isinstance(event, SpeechRecognized):
            heard = event.text
            choice = self.match_speech(event.text)
        if choice is not None:
            t.finish(choice, input=heard, detail={"attempts": t.scratch["tries"] + 1})
            t.goto(dict(self.choices)[choice])
            return
        t.scratch["tries"] += 1
        failed = "no-input" if heard is None else "no-match"
        if t.scratch["tries"] > self.retries:
            t.finish(failed, input=heard, detail={"attempts": t.scratch["tries"]})
            t.goto(self.failure)
            return
        self._ask(t, t.says(self.no_input if heard is None else self.no_match))

    def match_speech(self, text: str) -> str | None:
        """The choice key for an utterance: a whole keyword, or the one key said by name
        ("two", "2", "star")."""
        if not self.speech:
            return None
        words = [KEY_WORDS.get(w, w) for w in re.findall(r"[\w'*#]+", text.lower())]
        said = " " + " ".join(words) + " "
        for word, key in self.speech:
            if f" {word} " in said:
                return key
        keys = [w for w in words if w in dict(self.choices)]
        return keys[0] if len(keys) == 1 else None
