"""``queue`` nodes: hand the caller to the ACD; an agent answers, max_wait runs out, or the
caller gives up."""

from __future__ import annotations

import contextlib

import pytest

from voice.ivr import IvrProtocolError
from voice.ivr import actions as act
from voice.ivr import events as ev

FLOW = """
    id: t
    name: queue test
    start: billing
    nodes:
      billing:
        type: queue
        queue: billing
        priority: 10
        skills: [billing, spanish]
        announce_position: false
        max_wait: 300
        callback: true
        music: hold.wav
        on_timeout: voicemail
      voicemail: {type: say, text: Nobody is free., next: bye}
      bye: {type: hangup}
"""
NO_MAX_WAIT = """
    id: t
    name: queue test
    start: general
    nodes:
      general: {type: queue, queue: general}
"""


def test_queue_enqueues_and_starts_the_max_wait_timer(call_factory) -> None:
    call = call_factory(FLOW)
    assert call.history[0] == [
        act.StartRecording(),
        act.Enqueue(queue="billing", priority=10, skills=("billing", "spanish"),
                    announce_position=False, max_wait=300, callback=True, music="hold.wav"),
        act.StartTimer(timer="billing:queue:1", seconds=300.0),
    ]
    assert (call.state.wait.kind, call.state.wait.request) == ("queue", "billing:queue:1")


def test_queue_without_max_wait_starts_no_timer(call_factory) -> None:
    call = call_factory(NO_MAX_WAIT)
    assert call.history[0] == [act.StartRecording(), act.Enqueue(queue="general")]


# (flow, events, actions of the last event, queue outcome, detail, wait kind afterwards,
#  ended, where the call went after the queue)
ROWS = {
    "agent-answers": (
        FLOW, ["agent:alice"], [("cancel-timer",)], "agent",
        {"agent": "alice", "queue": "billing"}, "connected", False, []),
    "agent-answers-no-timer": (
        NO_MAX_WAIT, ["agent:bob"], [], "agent", {"agent": "bob", "queue": "general"},
        "connected", False, []),
    "max-wait-runs-out": (
        FLOW, ["timeout"], [("dequeue", "billing", "timeout"), ("say", "Nobody is free."),
                            ("hangup", "flow")],
        "timeout", {"queue": "billing"}, None, True, ["voicemail", "bye"]),
    "caller-gives-up": (
        FLOW, ["hangup"], [("cancel-timer",), ("dequeue", "billing", "abandoned")],
        "abandoned", None, None, True, []),
    "caller-gives-up-no-timer": (
        NO_MAX_WAIT, ["hangup"], [("dequeue", "general", "abandoned")], "abandoned", None,
        None, True, []),
    "caller-hangs-up-after-agent": (
        FLOW, ["agent:alice", "hangup"], [], "agent", {"agent": "alice", "queue": "billing"},
        None, True, []),
}


@pytest.mark.parametrize(("text", "tokens", "last", "outcome", "detail", "waiting", "ended",
                          "went"), ROWS.values(), ids=ROWS.keys())
def test_queue_node(call_factory, brief, text, tokens, last, outcome, detail, waiting, ended,
                    went) -> None:
    call = call_factory(text)
    queue = call.visits()[0]
    assert brief(call.feed(*tokens)) == last
    entry = call.entry(queue)
    assert (entry["outcome"], entry.get("detail")) == (outcome, detail)
    assert (call.state.wait.kind if call.state.wait else None) == waiting
    assert call.session.ended is ended
    assert call.visits() == [queue, *went]


def test_cancel_and_dequeue_name_the_queue_timer(call_factory) -> None:
    answered = call_factory(FLOW)
    assert answered.send("agent") == [act.CancelTimer(timer="billing:queue:1")]
    abandoned = call_factory(FLOW)
    assert abandoned.send("hangup") == [act.CancelTimer(timer="billing:queue:1"),
                                        act.Dequeue(queue="billing", reason="abandoned")]
    assert abandoned.state.end_reason == "caller-hangup"


@pytest.mark.parametrize("timer", ["billing:queue:99", "other:input:1"])
def test_a_timer_that_is_not_the_queue_timer_is_ignored(call_factory, timer) -> None:
    call = call_factory(FLOW)
    before = call.state.to_dict(include_secrets=True)
    assert call.send(ev.TimerFired(at=call.tick(), timer=timer)) == []
    assert call.state.to_dict(include_secrets=True) == before


def test_max_wait_timer_racing_the_agent_is_ignored(call_factory) -> None:
    call = call_factory(FLOW)
    call.send("agent")
    before = call.state.to_dict(include_secrets=True)
    assert call.send(ev.TimerFired(at=call.tick(), timer="billing:queue:1")) == []
    assert call.state.to_dict(include_secrets=True) == before
    assert call.outcome("billing") == "agent"


def test_a_second_agent_is_refused(call_factory) -> None:
    call = call_factory(FLOW)
    call.send("agent:alice")
    before = call.state.to_dict(include_secrets=True)
    with pytest.raises(IvrProtocolError):
        call.send("agent:bob")
    assert call.state.to_dict(include_secrets=True) == before


def test_timer_for_a_queue_without_max_wait_leaves_the_state_alone(call_factory) -> None:
    call = call_factory(NO_MAX_WAIT)
    before = call.state.to_dict(include_secrets=True)
    timer = call.state.wait.request
    with contextlib.suppress(IvrProtocolError):  # refusing it would be fine too
        call.send(ev.TimerFired(at=call.tick(), timer=timer))
    assert call.state.to_dict(include_secrets=True) == before
