"""``hangup`` nodes: say the optional goodbye, then end the call."""

from __future__ import annotations

import pytest

from voice.ivr import actions as act


@pytest.mark.parametrize(("fields", "expected"), [
    ('text: "Goodbye."', [("say", "Goodbye.")]),
    ('text: "Goodbye {{ call.from }}."', [("say", "Goodbye +15551230001.")]),
    ('text: "{{ customer.first_name }}"', []),
    ("", []),
], ids=["text", "template", "renders-empty", "no-text"])
def test_hangup_node(call_factory, brief, fields, expected) -> None:
    call = call_factory(f"""
        id: t
        name: hangup test
        start: bye
        nodes:
          bye:
            type: hangup
            {fields}
    """)
    assert brief(call.history[0]) == [("start-recording",), *expected, ("hangup", "flow")]
    assert call.session.ended
    assert (call.state.status, call.state.end_reason, call.state.wait) == ("ended", "flow", None)
    assert call.outcome("bye") == "hangup"


def test_hangup_after_sensitive_input_resumes_recording_and_drops_secrets(call_factory) -> None:
    call = call_factory("""
        id: t
        name: hangup test
        start: code
        nodes:
          code:
            type: gather
            prompt: Code?
            digits: {min: 8, max: 8}
            sensitive: true
            save_as: code
            next: bye
          bye: {type: hangup, text: Bye.}
    """)
    assert call.send("12345678") == [act.ResumeRecording(),
                                     act.Say(text="Bye.", language="en-US"),
                                     act.HangUp(reason="flow")]
    assert call.state.secrets == {}
    assert call.state.vars == {"code": "****5678"}


def test_caller_hanging_up_after_the_flow_ended_is_ignored(call_factory) -> None:
    call = call_factory("""
        id: t
        name: hangup test
        start: bye
        nodes:
          bye: {type: hangup}
    """)
    before = call.state.to_dict(include_secrets=True)
    assert call.send("hangup") == []
    assert call.state.to_dict(include_secrets=True) == before
    assert call.state.end_reason == "flow"
