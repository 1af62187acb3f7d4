"""The IVR engine: events in, actions out, no I/O (the h11 idea).

Theory of operation
-------------------
A ``Session`` holds one call's ``SessionState`` (plain data) and the flows it runs, pinned at
call start (a call keeps the versions it started with). ``handle(event)`` first decides
whether the event is legal *without touching the state*; an illegal event raises
``IvrProtocolError`` and the state is exactly as before. A legal event is given to the
current node, which may move the call on; the engine then enters nodes one after another
until one waits (for input, a lookup, the verifier, an agent...) or the call ends, and
returns the actions those nodes emitted, in order.

The rules, as data:

* ``new``: only ``CallStarted``.
* ``active``: ``CallerHungUp`` and ``PromptFinished`` always; otherwise the event must be
  one that ``LEGAL[wait.kind]`` lists, and an answer must carry the ``request`` id of the
  pending action. A ``TimerFired`` for a timer that is no longer pending is stale (timers race
  with input) and is ignored.
* ``ended``: only ``CallerHungUp``, ``TimerFired`` and ``PromptFinished``, all ignored (they
  race with our own hang-up).

Every node visit appends an IVR path entry (seq, time, flow, node, type, outcome, masked
input), which is what ``voice calls list`` and the screen pop show.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voice.ivr import actions as act
from voice.ivr import events as ev
from voice.ivr.errors import IvrProtocolError
from voice.ivr.model import Flow
from voice.ivr.schedules import Schedule
from voice.ivr.state import ACTIVE, ENDED, NEW, SessionState
from voice.ivr.turn import Turn

#: wait kind -> the events legal while waiting (besides CallerHungUp and PromptFinished)
LEGAL: dict[str, tuple[type[ev.Event], ...]] = {
    "input": (ev.DigitsReceived, ev.SpeechRecognized, ev.TimerFired),
    "lookup": (ev.LookupCompleted,),
    "verify": (ev.VerificationCompleted,),
    "record": (ev.RecordingFinished,),
    "queue": (ev.AgentConnected, ev.TimerFired, ev.DigitsReceived),
    "transfer": (ev.TransferCompleted,),
    "connected": (),
}

#: node visits allowed while handling one event; validation rejects loops without input,
#: so reaching this means a flow changed under a running call: end it politely
MAX_STEPS = 500


class Session:
    """One call's IVR session over ``flows`` (flow id -> Flow, subflows included)."""

    def __init__(self, flows: Mapping[str, Flow], *, flow_id: str | None = None,
                 schedules: Mapping[str, Schedule] | None = None,
                 state: SessionState | None = None) -> None:
        if state is None:
            if flow_id is None or flow_id not in flows:
                raise ValueError(f"unknown flow '{flow_id}'")
            state = SessionState(flow=flow_id)
        elif state.flow not in flows:
            raise ValueError(f"the state runs flow '{state.flow}', which was not given")
        self.flows = flows
        self.schedules: Mapping[str, Schedule] = schedules or {}
        self.state = state

    @property
    def ended(self) -> bool:
        """True once the IVR part of the call is over."""
        return self.state.status == ENDED

    def handle(self, event: ev.Event) -> list[act.Action]:
        """Apply one event; return the actions to carry out, in order."""
        state = self.state
        if isinstance(event, ev.CallStarted):
            if state.status != NEW:
                raise IvrProtocolError("CallStarted: this call has already started")
            return self._start(event)
        if state.status == NEW:
            raise IvrProtocolError(f"{type(event).__name__}: the call has not started yet")
        if state.status == ENDED:
            if isinstance(event, ev.CallerHungUp | ev.TimerFired | ev.PromptFinished):
                return []  # the far end and timers race with our own hang-up
            raise IvrProtocolError(f"{type(event).__name__}: the call has ended")
        if isinstance(event, ev.PromptFinished):
            return []
        if isinstance(event, ev.CallerHungUp):
            return self._hang_up(event)
        if self._is_stale_timer(event):
            return []
        self._check_legal(event)
        turn = Turn(state, self.flows, self.schedules, event.at)
        turn.node.on_event(turn, event)
        self._run(turn)
        return turn.actions

    # -- legality (no state changes) ---------------------------------------------------
    def _is_stale_timer(self, event: ev.Event) -> bool:
        wait = self.state.wait
        return isinstance(event, ev.TimerFired) and (
            wait is None or ev.TimerFired not in LEGAL[wait.kind] or wait.request is None
            or event.timer != wait.request
        )

    def _check_legal(self, event: ev.Event) -> None:
        wait = self.state.wait
        if wait is None or not isinstance(event, LEGAL[wait.kind]):
            waiting = "nothing" if wait is None else wait.kind
            raise IvrProtocolError(f"{type(event).__name__} is not expected while waiting "
                                   f"for {waiting} at node '{self.state.node}'")
        request = getattr(event, "request", None)
        if request is not None and request != wait.request:
            raise IvrProtocolError(f"{type(event).__name__} answers request '{request}', "
                                   f"but the pending request is '{wait.request}'")

    # -- transitions --------------------------------------------------------------------
    def _start(self, event: ev.CallStarted) -> list[act.Action]:
        state = self.state
        flow = self.flows[state.flow]
        state.status = ACTIVE
        state.call = {"id": event.call_id, "channel": event.channel, "from": event.from_number,
                      "to": event.to_number, "flow": flow.id,
                      "started_at": event.at.isoformat()}
        state.auth = {"verified": False, "identified": False, "method": None, "level": None}
        turn = Turn(state, self.flows, self.schedules, event.at)
        if flow.record_calls:
            state.recording = "on"
            turn.emit(act.StartRecording())
        turn.next_node = flow.start
        self._run(turn)
        return turn.actions

    def _hang_up(self, event: ev.CallerHungUp) -> list[act.Action]:
        turn = Turn(self.state, self.flows, self.schedules, event.at)
        if self.state.path and self.state.path[-1].get("outcome") is None:
            turn.finish(turn.node.on_hangup(turn))
        turn.end("caller-hangup", hang_up=False)
        return turn.actions

    def _run(self, turn: Turn) -> None:
        steps = 0
        while turn.next_node is not None and self.state.status == ACTIVE:
            steps += 1
            if steps > MAX_STEPS:
                turn.end("flow-loop")
                return
            self._enter(turn, turn.next_node)

    def _enter(self, turn: Turn, node_id: str) -> None:
        state = self.state
        turn.next_node = None
        node = self.flows[state.flow].nodes[node_id]
        state.node = node_id
        state.scratch = {}
        state.wait = None
        state.path.append({"seq": len(state.path) + 1, "at": turn.now.isoformat(),
                           "flow": state.flow, "node": node_id, "type": node.type_name,
                           "outcome": None, "input": None})
        node.enter(turn)

    # -- conveniences for adapters ------------------------------------------------------
    def path(self) -> list[dict[str, Any]]:
        """The IVR path so far (JSON-ready, inputs masked)."""
        return [dict(entry) for entry in self.state.path]
