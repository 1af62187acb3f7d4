"""The engine's rules (engine.py's docstring and ``LEGAL``) as tables of (state, event, result).

An illegal event raises ``IvrProtocolError`` and leaves the state exactly as it was; a stale
timer and ``PromptFinished`` are accepted and change nothing; a saved state resumes anywhere;
every node visit is in the IVR path.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from voice.ivr import LEGAL, IvrProtocolError, Session, SessionState
from voice.ivr import actions as act
from voice.ivr import events as ev

FLOW = """
    id: t
    name: rules test
    start: code
    nodes:
      code:
        type: gather
        prompt: Your code?
        digits: {min: 8, max: 8}
        sensitive: true
        save_as: code
        next: pick
      pick:
        type: menu
        prompt: Pick one.
        choices: {"1": crm, "2": auth, "3": voicemail, "4": line, "5": claims, "9": bye}
        failure: bye
      crm: {type: lookup, url: "https://crm.example/{{ vars.code }}", save_as: crm, next: bye}
      auth: {type: authenticate, methods: [ani], success: bye, failure: bye}
      voicemail: {type: record, next: bye}
      line: {type: queue, queue: general, max_wait: 60, on_timeout: bye}
      claims: {type: transfer, to: "+15550199", on_failure: bye}
      bye: {type: hangup}
"""
CODE = "87654321"

#: how to reach each state from a fresh session (None: do not start the call)
REACH = {
    "new": None,
    "input": [CODE],
    "lookup": [CODE, "1"],
    "verify": [CODE, "2"],
    "record": [CODE, "3"],
    "queue": [CODE, "4"],
    "transfer": [CODE, "5"],
    "connected": [CODE, "5", ("transfer", True)],
    "ended": [CODE, "9"],
}

EVENTS = ("CallStarted", "DigitsReceived", "SpeechRecognized", "PromptFinished", "TimerFired",
          "RecordingFinished", "LookupCompleted", "VerificationCompleted", "AgentConnected",
          "TransferCompleted", "CallerHungUp")

# A: accepted (the session moves on), I: ignored (no actions, no change), R: IvrProtocolError,
# L: legal but meaningless here (keys on hold without a callback offer): no actions, no change
#                Call Digi Spch Prmt Timr Rcrd Lkup Vrfy Agnt Trns Hang
GRID = {
    "new":       "A    R    R    R    R    R    R    R    R    R    R",
    "input":     "R    A    A    I    A    R    R    R    R    R    A",
    "lookup":    "R    R    R    I    I    R    A    R    R    R    A",
    "verify":    "R    R    R    I    I    R    R    A    R    R    A",
    "record":    "R    R    R    I    I    A    R    R    R    R    A",
    "queue":     "R    L    R    I    A    R    R    R    A    R    A",
    "transfer":  "R    R    R    I    I    R    R    R    R    A    A",
    "connected": "R    R    R    I    I    R    R    R    R    R    A",
    "ended":     "R    R    R    I    I    R    R    R    R    R    I",
}
CASES = [(state, event, code)
         for state, row in GRID.items() for event, code in zip(EVENTS, row.split(), strict=True)]


def reach(call_factory, state: str):
    steps = REACH[state]
    call = call_factory(FLOW, start=steps is not None)
    if steps:
        call.feed(*steps)
    if state == "ended":
        assert call.session.ended
    elif state != "new":
        assert call.state.wait is not None and call.state.wait.kind == state
    return call


def make_event(name: str, call) -> ev.Event:
    """An event of type ``name`` answering whatever the session waits for."""
    wait = call.state.wait
    pending = wait.request if wait is not None and wait.request else "none"
    at = call.tick()
    return {
        "CallStarted": lambda: ev.CallStarted(at=at, call_id="c", channel="sim",
                                              from_number="+15551230001", to_number="1000"),
        "DigitsReceived": lambda: ev.DigitsReceived(at=at, digits="1"),
        "SpeechRecognized": lambda: ev.SpeechRecognized(at=at, text="hello"),
        "PromptFinished": lambda: ev.PromptFinished(at=at),
        "TimerFired": lambda: ev.TimerFired(at=at, timer=pending),
        "RecordingFinished": lambda: ev.RecordingFinished(at=at, request=pending,
                                                          recording="rec-1"),
        "LookupCompleted": lambda: ev.LookupCompleted(at=at, request=pending, ok=True, data={}),
        "VerificationCompleted": lambda: ev.VerificationCompleted(at=at, request=pending,
                                                                  verified=False),
        "AgentConnected": lambda: ev.AgentConnected(at=at, agent="alice"),
        "TransferCompleted": lambda: ev.TransferCompleted(at=at, request=pending,
                                                          connected=True),
        "CallerHungUp": lambda: ev.CallerHungUp(at=at),
    }[name]()


def test_grid_covers_every_wait_kind_and_event_type() -> None:
    assert set(GRID) == {"new", "ended", *LEGAL}
    assert tuple(t.__name__ for t in ev.EVENT_TYPES) == EVENTS


def test_grid_agrees_with_the_legal_table() -> None:
    for kind, legal in LEGAL.items():
        accepted = {e for e, code in zip(EVENTS, GRID[kind].split(), strict=True)
                    if code in ("A", "L")}
        assert accepted == {t.__name__ for t in legal} | {"CallerHungUp"}, kind


@pytest.mark.parametrize(("state", "event", "code"), CASES,
                         ids=[f"{s}-{e}" for s, e, _ in CASES])
def test_legality(call_factory, state, event, code) -> None:
    call = reach(call_factory, state)
    before = copy.deepcopy(call.state.to_dict(include_secrets=True))
    if state not in ("new", "ended"):
        assert before["secrets"] == {"code": CODE}  # the state holds a secret worth keeping
    message = make_event(event, call)
    if code == "R":
        with pytest.raises(IvrProtocolError):
            call.session.handle(message)
        assert call.state.to_dict(include_secrets=True) == before
    elif code in ("I", "L"):
        assert call.session.handle(message) == []
        assert call.state.to_dict(include_secrets=True) == before
    else:
        call.session.handle(message)
        assert call.state.to_dict(include_secrets=True) != before


@pytest.mark.parametrize(("state", "event"), [
    ("lookup", ev.LookupCompleted), ("verify", ev.VerificationCompleted),
    ("record", ev.RecordingFinished), ("transfer", ev.TransferCompleted),
])
@pytest.mark.parametrize("wrong", ["nope", "pick:input:2", "{pending}x", ""])
def test_answer_with_the_wrong_request_id_is_refused(call_factory, state, event, wrong) -> None:
    call = reach(call_factory, state)
    pending = call.state.wait.request
    before = copy.deepcopy(call.state.to_dict(include_secrets=True))
    fields = {ev.LookupCompleted: {"ok": True}, ev.VerificationCompleted: {"verified": True},
              ev.RecordingFinished: {"recording": "r"},
              ev.TransferCompleted: {"connected": True}}[event]
    answer = event(at=call.tick(), request=wrong.format(pending=pending), **fields)
    with pytest.raises(IvrProtocolError, match="pending request"):
        call.session.handle(answer)
    assert call.state.to_dict(include_secrets=True) == before


@pytest.mark.parametrize("state", ["input", "queue"])
def test_a_timer_that_is_not_pending_is_ignored(call_factory, state) -> None:
    call = reach(call_factory, state)
    before = copy.deepcopy(call.state.to_dict(include_secrets=True))
    assert call.session.handle(ev.TimerFired(at=call.tick(), timer="code:input:1")) == []
    assert call.state.to_dict(include_secrets=True) == before


def test_second_call_started_is_refused(call_factory) -> None:
    call = reach(call_factory, "input")
    before = copy.deepcopy(call.state.to_dict(include_secrets=True))
    with pytest.raises(IvrProtocolError, match="already started"):
        call.start()
    assert call.state.to_dict(include_secrets=True) == before


# -- call start -----------------------------------------------------------------------------

@pytest.mark.parametrize(("record", "recording"), [
    ("", [act.StartRecording()]),
    ("record: true", [act.StartRecording()]),
    ("record: false", []),
], ids=["default", "true", "false"])
def test_start_recording_follows_the_flow_record_flag(call_factory, record, recording) -> None:
    call = call_factory(f"""
        id: t
        name: rules test
        start: bye
        {record}
        nodes:
          bye: {{type: hangup, text: Hi.}}
    """)
    assert call.history[0] == [*recording, act.Say(text="Hi.", language="en-US"),
                               act.HangUp(reason="flow")]
    assert call.state.recording == ("on" if recording else "off")


def test_call_started_fills_the_call_and_auth(call_factory) -> None:
    call = reach(call_factory, "input")
    assert call.state.status == "active"
    assert call.state.call == {"id": "call-1", "channel": "sim", "from": "+15551230001",
                               "to": "+15550100", "flow": "t",
                               "started_at": "2026-11-24T15:00:00+00:00"}
    assert call.state.auth == {"verified": False, "identified": False, "method": None,
                               "level": None}


def test_session_needs_a_known_flow(call_factory) -> None:
    flows = reach(call_factory, "new").flows
    with pytest.raises(ValueError, match="unknown flow 'nope'"):
        Session(flows, flow_id="nope")
    with pytest.raises(ValueError, match="runs flow 'other'"):
        Session(flows, state=SessionState(flow="other"))
    with pytest.raises(ValueError, match="unknown session state keys"):
        SessionState.from_dict({**SessionState(flow="t").to_dict(), "extra": 1})


# -- the IVR path ---------------------------------------------------------------------------

def test_every_node_visit_is_in_the_path(call_factory) -> None:
    call = call_factory(FLOW)
    call.feed(CODE, "say:what", "4", "agent:alice")
    t0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    at = [(t0 + timedelta(seconds=s)).isoformat() for s in range(5)]
    assert call.state.path == [
        {"seq": 1, "at": at[0], "flow": "t", "node": "code", "type": "gather",
         "outcome": "collected", "input": "****4321",
         "detail": {"sensitive": True}},
        {"seq": 2, "at": at[1], "flow": "t", "node": "pick", "type": "menu",
         "outcome": "4", "input": "4", "detail": {"attempts": 2}},
        {"seq": 3, "at": at[3], "flow": "t", "node": "line", "type": "queue",
         "outcome": "agent", "input": None, "detail": {"agent": "alice", "queue": "general"}},
    ]
    # a copy: changing it changes nothing in the session
    call.session.path()[0]["node"] = "x"
    assert call.state.path[0]["node"] == "code"


def test_nodes_visited_in_one_turn_share_the_event_time(call_factory) -> None:
    call = call_factory("""
        id: t
        name: rules test
        start: a
        nodes:
          a: {type: say, text: A., next: b}
          b: {type: set, vars: {x: 1}, next: c}
          c: {type: menu, prompt: C., choices: {"1": d}, failure: d}
          d: {type: say, text: D., next: e}
          e: {type: hangup}
    """)
    call.send("1")
    assert [(e["seq"], e["node"], e["at"][11:19], e["outcome"]) for e in call.state.path] == [
        (1, "a", "15:00:00", "said"), (2, "b", "15:00:00", "set"), (3, "c", "15:00:00", "1"),
        (4, "d", "15:00:01", "said"), (5, "e", "15:00:01", "hangup")]


# -- saving and resuming --------------------------------------------------------------------

RESUME_FLOW = """
    id: t
    name: resume test
    start: hello
    nodes:
      hello: {type: say, text: "Hello {{ call.from }}.", next: code}
      code:
        type: gather
        prompt: Card number?
        digits: {min: 16, max: 16}
        sensitive: true
        save_as: card
        next: charge
      charge:
        type: lookup
        method: POST
        url: https://pay.example/charges
        body: {card: "{{ vars.card }}"}
        save_as: payment
        next: auth
      auth: {type: authenticate, methods: [ani, account_pin], success: menu, failure: menu}
      menu:
        type: menu
        prompt: "Thanks {{ customer.first_name }}. Press 1 for an agent."
        choices: {"1": line}
        failure: line
      line: {type: queue, queue: general, max_wait: 120, on_timeout: bye}
      bye: {type: hangup, text: "Paid {{ vars.payment.id }} with {{ vars.card }}."}
"""
SCRIPT = ["4111111111111111", ("lookup", True, {"id": "pay-1"}),
          ("verify", True, {"id": "c1", "first_name": "Dana"}), "10001234#", "1234#",
          ("verify", True, {"id": "c1", "first_name": "Dana", "account": "10001234"}),
          "timeout", "1", "timeout"]


@pytest.mark.parametrize("cut", range(len(SCRIPT) + 1))
def test_resume_from_json_gives_the_same_actions(call_factory, cut) -> None:
    straight = call_factory(RESUME_FLOW)
    remaining = [straight.send(token) for token in SCRIPT]

    resumed = call_factory(RESUME_FLOW)
    for token in SCRIPT[:cut]:
        resumed.send(token)
    saved = json.dumps(resumed.state.to_dict(include_secrets=True))
    resumed.session = Session(resumed.flows, schedules=resumed.schedules,
                              state=SessionState.from_dict(json.loads(saved)))
    after = [resumed.send(token) for token in SCRIPT[cut:]]

    assert after == remaining[cut:]
    assert resumed.state.to_dict(include_secrets=True) == straight.state.to_dict(
        include_secrets=True)
    assert straight.session.ended
    assert straight.history[-1][-2:] == [
        act.Say(text="Paid pay-1 with ****1111.", language="en-US"), act.HangUp(reason="flow")]


def test_resume_without_secrets_loses_only_the_secrets(call_factory) -> None:
    call = call_factory(RESUME_FLOW)
    call.send("4111111111111111")
    saved = json.dumps(call.state.to_dict())
    assert "4111111111111111" not in saved
    state = SessionState.from_dict(json.loads(saved))
    assert state.secrets == {}
    assert state.vars == {"card": "****1111"}
    assert (state.wait.kind, state.node) == ("lookup", "charge")
