"""``record`` nodes: a prompt, a ``Record``, then the recording id saved and the flow goes on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from voice.ivr import IvrProtocolError
from voice.ivr import actions as act
from voice.ivr import events as ev

FLOW = """
    id: t
    name: record test
    start: voicemail
    nodes:
      voicemail:
        type: record
        prompt: "Leave a message for {{ call.to }} after the tone."
        max_length: 60
        beep: false
        finish_on: "*"
        save_as: message
        next: thanks
      thanks: {type: say, text: "Saved {{ vars.message }}.", next: bye}
      bye: {type: hangup}
"""


def test_record_says_the_prompt_then_records(call_factory) -> None:
    call = call_factory(FLOW)
    assert call.history[0] == [
        act.StartRecording(),
        act.Say(text="Leave a message for +15550100 after the tone.", language="en-US"),
        act.Record(request="voicemail:record:1", max_length=60, beep=False, finish_on="*"),
    ]
    assert (call.state.wait.kind, call.state.wait.request) == ("record", "voicemail:record:1")


def test_record_defaults_without_a_prompt(call_factory) -> None:
    call = call_factory("""
        id: t
        name: record test
        start: voicemail
        nodes:
          voicemail: {type: record, next: bye}
          bye: {type: hangup}
    """)
    assert call.history[0] == [act.StartRecording(),
                               act.Record(request="voicemail:record:1", max_length=120,
                                          beep=True, finish_on="#")]
    call.send(("recorded", "rec-9", 3.0))
    assert call.visits() == ["voicemail", "bye"]
    assert call.state.vars == {}


# (events, actions of the last event, message variable, outcome, detail, visits)
ROWS = {
    "finished": ([("recorded", "rec-42", 12.5)], [("say", "Saved rec-42."), ("hangup", "flow")],
                 "rec-42", "recorded", {"recording": "rec-42", "duration": 12.5},
                 ["voicemail", "thanks", "bye"]),
    "hangup-while-recording": (["hangup"], [], None, "hangup", None, ["voicemail"]),
    "prompt-finished-is-no-op": (["prompt-finished"], [], None, None, None, ["voicemail"]),
}


@pytest.mark.parametrize(("tokens", "last", "value", "outcome", "detail", "visits"),
                         ROWS.values(), ids=ROWS.keys())
def test_record_node(call_factory, brief, tokens, last, value, outcome, detail, visits) -> None:
    call = call_factory(FLOW)
    assert brief(call.feed(*tokens)) == last
    assert call.state.vars.get("message") == value
    entry = call.entry("voicemail")
    assert (entry["outcome"], entry.get("detail")) == (outcome, detail)
    assert call.visits() == visits


LATER = datetime(2026, 11, 24, 15, 1, tzinfo=UTC)


@pytest.mark.parametrize("event", [
    ev.RecordingFinished(at=LATER, request="voicemail:record:7", recording="x"),
    ev.DigitsReceived(at=LATER, digits="#"),
    ev.LookupCompleted(at=LATER, request="voicemail:record:1", ok=True),
], ids=["wrong-request", "digits", "other-answer-same-id"])
def test_record_refuses_other_answers(call_factory, event) -> None:
    call = call_factory(FLOW)
    before = call.state.to_dict(include_secrets=True)
    with pytest.raises(IvrProtocolError):
        call.send(event)
    assert call.state.to_dict(include_secrets=True) == before
