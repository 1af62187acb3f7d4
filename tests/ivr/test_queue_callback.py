"""``callback: true`` on a queue node: pressing 1 on hold keeps the place and ends the call."""

from __future__ import annotations

from voice.ivr import actions as act

FLOW = """
id: t
start: line
nodes:
  line: {type: queue, queue: support, callback: true, max_wait: 600, on_timeout: bye}
  bye: {type: hangup, text: "Goodbye."}
"""


def test_pressing_1_requests_a_callback_and_ends_the_call(call_factory) -> None:
    call = call_factory(FLOW)
    actions = call.send("1")
    kinds = [type(a).__name__ for a in actions]
    assert kinds == ["CancelTimer", "RequestCallback", "Say", "HangUp"]
    request = actions[1]
    assert isinstance(request, act.RequestCallback)
    assert request.queue == "support" and request.number == call.state.call["from"]
    assert call.session.ended
    assert call.state.path[-1]["outcome"] == "callback"
    # no Dequeue: the caller keeps their place in line
    assert not any(isinstance(a, act.Dequeue) for a in actions)


def test_other_keys_on_hold_do_nothing(call_factory) -> None:
    call = call_factory(FLOW)
    assert call.send("5") == []
    assert not call.session.ended


def test_without_callback_keys_are_ignored(call_factory) -> None:
    call = call_factory(FLOW.replace("callback: true, ", ""))
    assert call.send("1") == []
    assert not call.session.ended
