"""``authenticate``: built-in caller authentication, driven as a dialogue.

Methods run in the order given; each proves more (``ani`` weak: caller ID matches, it
identifies but proves nothing; ``knowledge`` medium: stored answers such as ZIP or date of
birth; ``account_pin`` strong). The engine asks for what a method needs, then emits
``VerifyCaller`` (the only action that carries the PIN) and waits for
``VerificationCompleted``. A failed ``account_pin``/``knowledge`` check uses one of
``attempts``; the caller hears the same retry prompt whatever the reason (wrong PIN, unknown
account, locked account). A failed ``ani`` costs no attempt: later methods must identify.

The result lands in ``auth`` (verified, identified, method, level, customer_id, reason) and
``customer`` (display fields, account masked) for templates, branches and the screen pop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voice.ivr import actions as act
from voice.ivr.events import DigitsReceived, Event, TimerFired, VerificationCompleted
from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.nodes.prompting import DigitRules, ask
from voice.ivr.templates import Template, mask
from voice.ivr.turn import Turn

LEVELS = {"ani": "weak", "knowledge": "medium", "account_pin": "strong"}
RANK = {None: 0, "weak": 1, "medium": 2, "strong": 3}
QUESTIONS = {"zip": DigitRules(5, 5, "#"), "dob": DigitRules(8, 8, "#")}
ACCOUNT = DigitRules(4, 16, "#")
PIN = DigitRules(4, 8, "#")
PROMPTS = {
    "account": "Please enter your account number, followed by the pound key.",
    "pin": "Please enter your PIN, followed by the pound key.",
    "zip": "Please enter the five digit ZIP code on your account.",
    "dob": "Please enter your date of birth as eight digits: month, day and year.",
    "retry": "Sorry, that did not match our records. Let's try again.",
    "failed": "Sorry, we could not verify your identity.",
}
ACCOUNT_KEY, ANSWERS_KEY = "_auth.account", "_auth.answers"


@register("authenticate")
@dataclass(frozen=True, kw_only=True)
class AuthenticateNode(Node):
    """``methods``, ``attempts``, ``knowledge``, ``prompts``, ``success``, ``failure``."""

    methods: tuple[str, ...]
    attempts: int
    knowledge: tuple[str, ...]
    prompts: dict[str, Template]
    timeout: int
    success: str
    failure: str

    @classmethod
    def parse(cls, r: NodeReader) -> AuthenticateNode:
        methods = r.str_list("methods", required=True, choices=tuple(LEVELS))
        if len(set(methods)) != len(methods):
            r.problem("methods", "lists a method twice")
        knowledge = r.str_list("knowledge", choices=tuple(QUESTIONS))
        if "knowledge" in methods and not knowledge:
            knowledge = ("zip",)
        elif knowledge and "knowledge" not in methods:
            r.problem("knowledge", "has no effect unless 'knowledge' is one of the methods")
        prompts = {k: Template(v) for k, v in PROMPTS.items()}
        raw = r.mapping("prompts")
        for key, value in (raw or {}).items():
            line = raw.line_of(key) if raw is not None else None
            if key not in PROMPTS:
                r.problem("prompts", f"unknown prompt '{key}' (use {', '.join(PROMPTS)})", line)
            elif not isinstance(value, str):
                r.problem("prompts", f"'{key}' must be text", line)
            else:
                prompts[key] = r.template(value, "prompts", line or r.line("prompts"))
        node = cls(
            id=r.node_id, line=r.raw.line, methods=methods, knowledge=knowledge,
            attempts=r.int("attempts", default=3, minimum=1, maximum=10),
            prompts=prompts,
            timeout=r.int("timeout", default=r.defaults.timeout, minimum=1, maximum=60),
            success=r.target("success", label="success",
                             what="where verified callers go") or "",
            failure=r.target("failure", label="failure",
                             what="where callers go when verification fails") or "",
        )
        r.check_fields()
        return node

    def waits_for_caller(self) -> bool:
        return any(m != "ani" for m in self.methods)

    # -- dialogue -------------------------------------------------------------------
    def enter(self, t: Turn) -> None:
        t.scratch.update(m=0, used=0, passed=[], level=None, reason=None, customer=None)
        self._start_method(t, ())

    def _start_method(self, t: Turn, before: tuple) -> None:
        s = t.scratch
        if s["m"] >= len(self.methods):
            self._complete(t)
            return
        method = self.methods[s["m"]]
        if method == "ani":
            t.emit(*before)
            self._verify(t, "ani")
        elif method == "knowledge" and s["customer"]:
            self._ask(t, f"q:{self.knowledge[0]}", before)
        else:
            self._ask(t, "account", before)

    def _step(self, step: str) -> tuple[DigitRules, Template, bool]:
        if step == "account":
            return ACCOUNT, self.prompts["account"], False
        if step == "pin":
            return PIN, self.prompts["pin"], True
        key = step[2:]
        return QUESTIONS[key], self.prompts[key], True

    def _ask(self, t: Turn, step: str, before: tuple) -> None:
        t.scratch["step"] = step
        rules, prompt, sensitive = self._step(step)
        if sensitive:
            t.pause_recording()
        ask(t, (*before, *t.says(prompt)), rules=rules, timeout=self.timeout,
            sensitive=sensitive)

    def on_event(self, t: Turn, event: Event) -> None:
        if isinstance(event, VerificationCompleted):
            self._answered(t, event)
            return
        step = t.scratch["step"]
        rules, _, sensitive = self._step(step)
        value = rules.read(event.digits) if isinstance(event, DigitsReceived) else None
        if sensitive:
            t.resume_recording()
        if value is None:
            self._failed_attempt(t, "no-input" if isinstance(event, TimerFired) else "invalid")
        elif step == "account":
            t.state.secrets[ACCOUNT_KEY] = value
            if self.methods[t.scratch["m"]] == "account_pin":
                self._ask(t, "pin", ())
            else:
                self._ask(t, f"q:{self.knowledge[0]}", ())
        elif step == "pin":
            self._verify(t, "account_pin", secret=value)
        else:
            answers = t.state.secrets.setdefault(ANSWERS_KEY, {})
            answers[step[2:]] = value
            index = self.knowledge.index(step[2:]) + 1
            if index < len(self.knowledge):
                self._ask(t, f"q:{self.knowledge[index]}", ())
            else:
                self._verify(t, "knowledge", answers=dict(answers))

    def _verify(self, t: Turn, method: str, *, secret: str | None = None,
                answers: dict[str, str] | None = None) -> None:
        request = t.request_id("verify")
        t.scratch["step"] = "verify"
        customer = t.scratch["customer"] or {}
        t.emit(act.VerifyCaller(
            request=request, method=method, caller_id=t.state.call.get("from", ""),
            account=t.state.secrets.get(ACCOUNT_KEY), customer_id=customer.get("id"),
            secret=secret, answers=answers,
        ))
        t.wait("verify", request)

    def _answered(self, t: Turn, event: VerificationCompleted) -> None:
        s = t.scratch
        method = self.methods[s["m"]]
        t.state.secrets.pop(ANSWERS_KEY, None)
        if event.verified:
            s["passed"].append(method)
            if RANK[LEVELS[method]] > RANK[s["level"]]:
                s["level"] = LEVELS[method]
            customer = dict(event.customer or {})
            if customer.get("account"):
                customer["account"] = mask(str(customer["account"]))
            s["customer"] = {**(s["customer"] or {}), **customer}
        elif method != "ani":
            self._failed_attempt(t, event.reason or "no-match")
            return
        else:
            s["reason"] = event.reason or "no-match"
        s["m"] += 1
        self._start_method(t, ())

    def _failed_attempt(self, t: Turn, reason: str) -> None:
        s = t.scratch
        s["used"] += 1
        s["reason"] = reason
        t.state.secrets.pop(ACCOUNT_KEY, None)
        t.state.secrets.pop(ANSWERS_KEY, None)
        if s["used"] >= self.attempts:
            t.emit(t.say(self.prompts["failed"]))
            self._complete(t, gave_up=True)
        else:
            self._start_method(t, t.says(self.prompts["retry"]))

    def _complete(self, t: Turn, *, gave_up: bool = False) -> None:
        s = t.scratch
        success = not gave_up and bool(s["passed"]) and all(
            m in s["passed"] for m in self.methods if m != "ani")
        customer: dict[str, Any] | None = s["customer"] or None
        verified = success and RANK[s["level"]] >= RANK["medium"]
        t.state.auth = {
            "verified": verified, "identified": customer is not None,
            "method": "+".join(s["passed"]) or None, "level": s["level"],
            "customer_id": (customer or {}).get("id"),
            "reason": None if success else s["reason"] or "no-match",
            "failed_attempts": s["used"],
        }
        t.state.customer = customer
        t.state.secrets.pop(ACCOUNT_KEY, None)
        t.emit(act.EmitEvent(type="ivr.authenticated",
                             data={**t.state.auth, "customer": customer}))
        outcome = "verified" if verified else "identified" if success else "failed"
        t.finish(outcome, input=(customer or {}).get("account"),
                 detail={"method": t.state.auth["method"], "level": s["level"],
                         "customer_id": t.state.auth["customer_id"]})
        t.goto(self.success if success else self.failure)
