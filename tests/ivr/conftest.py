"""Shared helpers for the IVR engine tests: inline flows, a fixed clock, a scripted caller.

Engine tests build flows from small inline YAML texts (``load_flows`` must report no
problems), start a ``Session`` at a fixed, timezone-aware time and feed it events. ``Call``
plays the adapter's part: it turns short caller tokens into events, fills in the pending
request id or timer name, moves the clock on one second per event and returns the actions.
``outline`` turns actions into short tuples so that tables of expected actions stay readable;
tests that care about every field compare the action dataclasses themselves.

Caller tokens (strings or tuples) understood by ``Call.send``:

* ``"1"``, ``"1234#"``: keys pressed (``DigitsReceived``)
* ``"say:words"``: speech (``SpeechRecognized``)
* ``"timeout"``: the pending timer runs out (``TimerFired`` for the pending request)
* ``"hangup"``, ``"prompt-finished"``
* ``"agent"`` / ``"agent:name"``: an agent answers (``AgentConnected``)
* ``("lookup", True, data)`` / ``("lookup", False, "error text")``
* ``("verify", True, customer)`` / ``("verify", False, "reason")``
* ``("transfer", True)`` / ``("transfer", False, "busy")``
* ``("recorded", "rec-1", 12.5)``
* an ``Event`` instance is sent as it is
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from voice.ivr import Flow, Schedule, Session, SessionState, load_flows, parse_schedules
from voice.ivr import actions as act
from voice.ivr import events as ev

#: Tuesday 2026-11-24, 15:00 UTC = 10:00 in New York (open on a weekday schedule)
AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
CALLER = "+15551230001"
DIALLED = "+15550100"

SCHEDULES_DOC: dict[str, Any] = {
    "schedules": {
        "support": {
            "timezone": "America/New_York",
            "hours": {"mon-fri": "08:00-20:00", "sat": "09:00-13:00", "sun": "closed"},
            "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}, "2027-01-01"],
        },
    },
}


def dedent(text: str) -> str:
    """Inline YAML may be indented like the code around it."""
    return textwrap.dedent(text).strip() + "\n"


def load(sources: str | Mapping[str, str], *,
         schedules: Mapping[str, Schedule] | None = None) -> dict[str, Flow]:
    """Flows from inline YAML (one text is ``t.yaml``, id ``t``); fails on any problem."""
    if isinstance(sources, str):
        sources = {"t.yaml": sources}
    texts = {name: dedent(text) for name, text in sources.items()}
    known = parse_schedules(SCHEDULES_DOC) if schedules is None else schedules
    flows, problems = load_flows(texts, schedules=set(known))
    assert problems == [], "\n".join(str(p) for p in problems)
    return flows


def outline(action: act.Action) -> tuple:
    """A short, readable tuple for one action (its type and the fields a caller notices)."""
    match action:
        case act.Say():
            return ("say", action.text)
        case act.Play():
            return ("play", action.audio)
        case act.Gather():
            return ("gather", *(outline(p)[1] for p in action.prompts))
        case act.StartRecording():
            return ("start-recording",)
        case act.PauseRecording():
            return ("pause-recording",)
        case act.ResumeRecording():
            return ("resume-recording",)
        case act.Record():
            return ("record",)
        case act.Lookup():
            return ("lookup", action.method, action.url)
        case act.VerifyCaller():
            return ("verify", action.method)
        case act.Enqueue():
            return ("enqueue", action.queue)
        case act.Dequeue():
            return ("dequeue", action.queue, action.reason)
        case act.Transfer():
            return ("transfer", action.to)
        case act.EmitEvent():
            return ("event", action.type)
        case act.StartTimer():
            return ("start-timer", action.seconds)
        case act.CancelTimer():
            return ("cancel-timer",)
        case act.HangUp():
            return ("hangup", action.reason)
    raise AssertionError(f"no outline for {action!r}")


def outlines(actions: list[act.Action]) -> list[tuple]:
    """``outline`` of each action, in order."""
    return [outline(a) for a in actions]


class Call:
    """A scripted caller and adapter around one ``Session`` (see module docstring)."""

    def __init__(self, flows: Mapping[str, Flow], flow_id: str,
                 schedules: Mapping[str, Schedule], at: datetime) -> None:
        self.flows = flows
        self.schedules = schedules
        self.session = Session(flows, flow_id=flow_id, schedules=schedules)
        self.now = at
        self.history: list[list[act.Action]] = []

    @property
    def state(self) -> SessionState:
        return self.session.state

    def tick(self) -> datetime:
        """The time for the next event (one second after the previous one)."""
        at = self.now
        self.now += timedelta(seconds=1)
        return at

    def start(self, *, from_number: str = CALLER, to_number: str = DIALLED,
              call_id: str = "call-1") -> list[act.Action]:
        """Send ``CallStarted``; returns the first actions."""
        return self.send(ev.CallStarted(at=self.tick(), call_id=call_id, channel="sim",
                                        from_number=from_number, to_number=to_number))

    def event(self, token: Any) -> ev.Event:
        """The event a caller token stands for (pending request ids filled in)."""
        if isinstance(token, ev.Event):
            return token
        wait = self.state.wait
        pending = wait.request if wait is not None and wait.request is not None else "none"
        at = self.tick()
        if isinstance(token, tuple):
            kind, *args = token
            if kind == "lookup":
                ok, payload = args
                return ev.LookupCompleted(at=at, request=pending, ok=ok,
                                          status=200 if ok else 503,
                                          data=payload if ok else None,
                                          error=None if ok else payload)
            if kind == "verify":
                ok, payload = args
                return ev.VerificationCompleted(at=at, request=pending, verified=ok,
                                                customer=payload if ok else None,
                                                reason=None if ok else payload)
            if kind == "transfer":
                return ev.TransferCompleted(at=at, request=pending, connected=args[0],
                                            reason=args[1] if len(args) > 1 else None)
            if kind == "recorded":
                return ev.RecordingFinished(at=at, request=pending, recording=args[0],
                                            duration=args[1] if len(args) > 1 else 0.0)
            raise AssertionError(f"unknown token {token!r}")
        if token == "timeout":
            return ev.TimerFired(at=at, timer=pending)
        if token == "hangup":
            return ev.CallerHungUp(at=at)
        if token == "prompt-finished":
            return ev.PromptFinished(at=at)
        if token.startswith("say:"):
            return ev.SpeechRecognized(at=at, text=token[4:], confidence=0.9)
        if token.startswith("agent"):
            return ev.AgentConnected(at=at, agent=token.partition(":")[2] or "agent-7")
        return ev.DigitsReceived(at=at, digits=token)

    def send(self, token: Any) -> list[act.Action]:
        """Feed one event (or caller token); returns its actions."""
        actions = self.session.handle(self.event(token))
        self.history.append(actions)
        return actions

    def feed(self, *tokens: Any) -> list[act.Action]:
        """Feed several events; returns the actions of the last one."""
        actions: list[act.Action] = []
        for token in tokens:
            actions = self.send(token)
        return actions

    def run(self, *tokens: Any) -> list[act.Action]:
        """Feed several events; returns all their actions, in order."""
        out: list[act.Action] = []
        for token in tokens:
            out.extend(self.send(token))
        return out

    # -- reading the outcome ------------------------------------------------------------
    def visits(self) -> list[str]:
        """Node ids in the IVR path, in order."""
        return [entry["node"] for entry in self.state.path]

    def entry(self, node: str) -> dict[str, Any]:
        """The last path entry for ``node``."""
        for entry in reversed(self.state.path):
            if entry["node"] == node:
                return entry
        raise AssertionError(f"node '{node}' was never visited: {self.visits()}")

    def outcome(self, node: str) -> Any:
        """The outcome of the last visit to ``node``."""
        return self.entry(node)["outcome"]


MakeCall = Callable[..., Call]


def make_call(sources: str | Mapping[str, str], *, flow_id: str | None = None,
              schedules: Mapping[str, Schedule] | None = None, at: datetime = AT,
              start: bool = True) -> Call:
    """A ``Call`` over inline flows; started (``call.history[0]``) unless ``start=False``."""
    known = parse_schedules(SCHEDULES_DOC) if schedules is None else schedules
    flows = load(sources, schedules=known)
    if flow_id is None:
        flow_id = "t" if isinstance(sources, str) else next(iter(flows))
    call = Call(flows, flow_id, known, at)
    if start:
        call.start()
    return call


@pytest.fixture
def call_factory() -> MakeCall:
    """``call_factory(yaml, flow_id=..., schedules=..., at=..., start=True) -> Call``."""
    return make_call


@pytest.fixture
def brief() -> Callable[[list[act.Action]], list[tuple]]:
    """``brief(actions)``: the actions as ``outline`` tuples."""
    return outlines
