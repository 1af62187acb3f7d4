"""The flow simulator: run a flow with no telephony and show the dialogue.

It plays the adapter's part: it feeds the engine caller input (scripted tokens or typed at
the terminal), answers ``VerifyCaller`` with a verifier, ``Lookup`` with canned answers or a
real HTTP lookup service, ``Record`` with a pretend message, and turns every action into a
line of dialogue. Caller tokens: keys (``1``, ``1234#``), ``timeout`` (no input),
``say:<words>`` (speech), ``hangup``, and while queued ``agent[:name]`` or ``timeout``;
while transferring ``busy`` (the transfer fails). The clock starts at ``at`` and moves on a
few seconds per step, so the IVR path has believable times.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from voice.auth.verifier import Verifier
from voice.flows.catalog import PinnedFlows
from voice.ivr import Schedule, Session, SessionState
from voice.ivr import actions as act
from voice.ivr import events as ev
from voice.ivr.templates import mask
from voice.lookups import LookupResult

STEP = timedelta(seconds=2)


class LookupResponder(Protocol):
    """Answers lookups during a simulation (canned answers, or a real HTTP service)."""

    def perform(self, action: act.Lookup) -> LookupResult:
        """Answer one lookup."""
        ...


#: the caller's number when a simulation names none (the CLI's and the editor's panel)
DEFAULT_FROM = "+15550199"


def canned_answer(entry: str) -> tuple[str, Any]:
    """A canned lookup answer ``NODE=JSON`` or ``NODE=error...`` as (node, answer);
    ValueError says what is wrong with it."""
    node, sep, value = entry.partition("=")
    node, value = node.strip(), value.strip()
    if not sep or not node:
        raise ValueError(f"'{entry}' must look like NODE=JSON or NODE=error")
    if value.startswith("error"):
        return node, value
    try:
        return node, json.loads(value)
    except ValueError:
        raise ValueError(f"'{value}' is not JSON (e.g. crm={{\"vip\": true}})") from None


@dataclass(frozen=True)
class CannedLookups:
    """Answers by node id (``{"crm": {...}}`` or ``"error"``); the rest go to ``fallback``."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    fallback: LookupResponder | None = None

    def perform(self, action: act.Lookup) -> LookupResult:
        node = action.request.split(":", 1)[0]
        if node in self.answers:
            answer = self.answers[node]
            if isinstance(answer, str) and answer.startswith("error"):
                return LookupResult(False, None, None, answer.partition(":")[2].strip()
                                    or "error (simulated)")
            return LookupResult(True, 200, answer)
        if self.fallback is not None:
            return self.fallback.perform(action)
        return LookupResult(False, None, None, "not performed in simulation (give a canned "
                                               "answer or use live lookups)")


@dataclass
class Line:
    """One line of dialogue: ``speaker`` is ivr, caller or system."""

    speaker: str
    text: str


@dataclass
class SimulationResult:
    """Everything a simulation produced."""

    call_id: str
    flow_id: str
    versions: dict[str, int]
    started_at: datetime
    ended_at: datetime
    lines: list[Line]
    actions: list[dict[str, Any]]
    final: dict[str, Any]
    state: SessionState

    @property
    def path(self) -> list[dict[str, Any]]:
        """The IVR path (inputs masked)."""
        return self.state.path

    def heard(self) -> list[str]:
        """The prompts the caller heard, in order."""
        return [line.text for line in self.lines if line.speaker == "ivr"]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary (no secrets)."""
        state = self.state.to_dict()
        return {"call_id": self.call_id, "flow": self.flow_id, "versions": self.versions,
                "started_at": self.started_at.isoformat(), "ended_at": self.ended_at.isoformat(),
                "dialogue": [asdict(line) for line in self.lines], "actions": self.actions,
                "final": self.final, "path": state["path"], "vars": state["vars"],
                "auth": state["auth"], "customer": state["customer"]}


NextInput = Callable[[str], "str | None"]


class Simulator:
    """Runs one simulated call at a time (see module docstring)."""

    def __init__(self, pinned: PinnedFlows, *, schedules: Mapping[str, Schedule],
                 verifier: Verifier, lookups: LookupResponder,
                 on_line: Callable[[Line], None] | None = None) -> None:
        self.pinned = pinned
        self.schedules = schedules
        self.verifier = verifier
        self.lookups = lookups
        self.on_line = on_line

    def run(self, next_input: NextInput, *, call_id: str, from_number: str,
            to_number: str, at: datetime) -> SimulationResult:
        """Simulate one call; ``next_input(kind)`` gives the caller's next token or None."""
        run = _Run(self, next_input, at)
        run.call(call_id, from_number, to_number)
        return SimulationResult(call_id, self.pinned.root, dict(self.pinned.versions), at,
                                run.now, run.lines, run.actions, run.final, run.session.state)


class _Run:
    """State of one simulation run."""

    def __init__(self, sim: Simulator, next_input: NextInput, at: datetime) -> None:
        self.sim = sim
        self.next_input = next_input
        self.now = at
        self.session = Session(sim.pinned.flows, flow_id=sim.pinned.root,
                               schedules=sim.schedules)
        self.lines: list[Line] = []
        self.actions: list[dict[str, Any]] = []
        self.answers: deque[ev.Event] = deque()
        self.final: dict[str, Any] = {}
        self.gather: act.Gather | None = None

    def say(self, speaker: str, text: str) -> None:
        line = Line(speaker, text)
        self.lines.append(line)
        if self.sim.on_line is not None:
            self.sim.on_line(line)

    def call(self, call_id: str, from_number: str, to_number: str) -> None:
        self.call_id = call_id
        self.say("system", f"call {call_id} from {from_number} to {to_number}, flow "
                           f"'{self.sim.pinned.root}' at {self.now.isoformat()}")
        self.feed(ev.CallStarted(at=self.now, call_id=call_id, channel="sim",
                                 from_number=from_number, to_number=to_number))
        while not self.session.ended:
            event = self.answers.popleft() if self.answers else self.caller_event()
            if event is None:
                return
            self.now += STEP
            self.feed(event)
        if not self.final:
            self.final = {"type": "hangup", "reason": self.session.state.end_reason}

    def feed(self, event: ev.Event) -> None:
        for action in self.session.handle(event):
            self.act(action)

    def caller_event(self) -> ev.Event | None:
        wait = self.session.state.wait
        kind = wait.kind if wait is not None else "nothing"
        if kind == "connected":
            return None
        token = self.next_input(kind)
        if token is None:
            self.final = self.final or {"type": "waiting", "for": kind,
                                        "node": self.session.state.node}
            self.say("system", f"(no more caller input while waiting for {kind}: "
                               "simulation stops)")
            return None
        token = token.strip()
        if token == "hangup":
            self.say("caller", "(hangs up)")
            self.final = {"type": "caller-hangup", "node": self.session.state.node}
            return ev.CallerHungUp(at=self.now)
        if kind == "queue":
            return self.queue_event(token, wait.request if wait else None)
        if kind == "transfer":
            connected = token not in ("busy", "failed", "no-answer")
            self.say("system", "transfer connected" if connected else f"transfer {token}")
            return ev.TransferCompleted(at=self.now, request=wait.request or "",
                                        connected=connected, reason=None if connected else token)
        if token == "timeout":
            self.say("caller", "(says nothing)")
            self.now += timedelta(seconds=self.gather.timeout if self.gather else 5)
            return ev.TimerFired(at=self.now, timer=wait.request if wait else "")
        if token.startswith("say:"):
            self.say("caller", f"\"{token[4:].strip()}\"")
            return ev.SpeechRecognized(at=self.now, text=token[4:].strip(), confidence=0.9)
        sensitive = self.gather is not None and self.gather.sensitive
        self.say("caller", f"presses {mask(token) if sensitive else token}")
        return ev.DigitsReceived(at=self.now, digits=token)

    def queue_event(self, token: str, timer: str | None) -> ev.Event:
        if token.startswith("agent"):
            agent = token.partition(":")[2] or "agent-1"
            self.say("system", f"agent {agent} answers")
            self.final = {**self.final, "type": "agent", "agent": agent}
            return ev.AgentConnected(at=self.now, agent=agent)
        self.say("system", "maximum wait reached")
        self.final = {}
        return ev.TimerFired(at=self.now, timer=timer or "")

    def act(self, action: act.Action) -> None:
        self.actions.append(self.describe(action))
        if isinstance(action, act.Say):
            self.say("ivr", action.text)
        elif isinstance(action, act.Play):
            self.say("ivr", f"[plays {action.audio}]")
        elif isinstance(action, act.Gather):
            self.gather = action
            for prompt in action.prompts:
                self.say("ivr", prompt.text if isinstance(prompt, act.Say)
                         else f"[plays {prompt.audio}]")
        elif isinstance(action, act.VerifyCaller):
            self.verify(action)
        elif isinstance(action, act.Lookup):
            self.lookup(action)
        elif isinstance(action, act.Record):
            self.say("system", f"records a message (up to {action.max_length} s)")
            self.answers.append(ev.RecordingFinished(at=self.now, request=action.request,
                                                     recording="sim-message", duration=8.0))
        elif isinstance(action, act.Enqueue):
            self.say("system", f"queued in '{action.queue}' (priority {action.priority}"
                               f"{', skills ' + ', '.join(action.skills) if action.skills else ''}"
                               f"{f', max wait {action.max_wait} s' if action.max_wait else ''})")
            self.final = {"type": "enqueue", "queue": action.queue,
                          "priority": action.priority, "skills": list(action.skills)}
        elif isinstance(action, act.Transfer):
            self.say("system", f"transfers to {action.to}")
            self.final = {"type": "transfer", "to": action.to}
        elif isinstance(action, act.HangUp):
            self.say("system", "hangs up")
        elif isinstance(action, act.StartRecording | act.PauseRecording | act.ResumeRecording):
            word = {act.StartRecording: "started", act.PauseRecording: "paused",
                    act.ResumeRecording: "resumed"}[type(action)]
            self.say("system", f"(call recording {word})")

    def verify(self, action: act.VerifyCaller) -> None:
        result = self.sim.verifier.verify(action, getattr(self, "call_id", None))
        who = action.caller_id if action.method == "ani" else mask(action.account or "")
        customer = result.customer or {}
        name = f" ({customer.get('first_name', '')} {customer.get('last_name', '')})" \
            if customer else ""
        self.say("system", f"verifies {action.method} for {who}: "
                           f"{'verified' + name if result.verified else 'not verified'}")
        self.answers.append(ev.VerificationCompleted(
            at=self.now, request=action.request, verified=result.verified,
            customer=result.customer, reason=result.reason))

    def lookup(self, action: act.Lookup) -> None:
        result = self.sim.lookups.perform(action)
        shown = self.hide_secrets(f"{action.method} {action.url}")
        self.say("system", f"lookup {shown}: " + (f"ok {result.status}" if result.ok
                                                   else f"error: {result.error}"))
        self.answers.append(ev.LookupCompleted(at=self.now, request=action.request,
                                               ok=result.ok, status=result.status,
                                               data=result.data, error=result.error))

    def hide_secrets(self, text: str) -> str:
        for value in self.session.state.secrets.values():
            if isinstance(value, str) and value:
                text = text.replace(value, mask(value))
        return text

    def describe(self, action: act.Action) -> dict[str, Any]:
        data = {"action": type(action).__name__, **asdict(action)}
        if isinstance(action, act.VerifyCaller):
            data.pop("secret", None)
            data.pop("answers", None)
            data["account"] = mask(action.account) if action.account else None
        if isinstance(action, act.Lookup):
            data["url"] = self.hide_secrets(action.url)
            if action.body is not None:
                data["body"] = {k: self.hide_secrets(str(v)) for k, v in action.body.items()}
        if isinstance(action, act.Gather):
            data["prompts"] = [p.get("text") or p.get("audio") for p in data["prompts"]]
        return data
