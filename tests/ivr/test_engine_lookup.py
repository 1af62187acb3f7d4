"""``lookup`` nodes: emit a rendered ``Lookup``, wait, save the answer, go on (or on_error)."""

from __future__ import annotations

import pytest

from voice.ivr import IvrProtocolError
from voice.ivr import actions as act
from voice.ivr import events as ev

FLOW = """
    id: t
    name: lookup test
    start: setup
    nodes:
      setup: {type: set, vars: {token: s3cr3t}, next: crm}
      crm:
        type: lookup
        method: POST
        url: "https://crm.example/customers/{{ call.from }}"
        headers: {Authorization: "Bearer {{ vars.token }}", X-Channel: "{{ call.channel }}"}
        body: {phone: "{{ call.from }}", tries: 2, vip: true}
        timeout: 3
        save_as: crm
        next: found
        on_error: failed
      found: {type: say, text: "Hello {{ vars.crm.name }}.", next: bye}
      failed: {type: say, text: "We could not find you.", next: bye}
      bye: {type: hangup}
"""


def test_lookup_emits_the_rendered_request_and_waits(call_factory) -> None:
    call = call_factory(FLOW)
    assert call.history[0][-1] == act.Lookup(
        request="crm:lookup:1", method="POST",
        url="https://crm.example/customers/+15551230001",
        headers={"Authorization": "Bearer s3cr3t", "X-Channel": "sim"},
        body={"phone": "+15551230001", "tries": 2, "vip": True}, timeout=3.0)
    assert (call.state.wait.kind, call.state.wait.request) == ("lookup", "crm:lookup:1")
    assert call.entry("crm")["outcome"] is None


# (answer, actions of the answer, crm variable, outcome, detail, where the call went)
ROWS = {
    "ok": (("lookup", True, {"name": "Dana", "vip": False}),
           [("say", "Hello Dana."), ("hangup", "flow")], {"name": "Dana", "vip": False},
           "ok", {"status": 200}, "found"),
    "ok-with-list": (("lookup", True, [1, 2]), [("say", "Hello ."), ("hangup", "flow")], [1, 2],
                     "ok", {"status": 200}, "found"),
    "error-goes-to-on-error": (("lookup", False, "connection refused"),
                               [("say", "We could not find you."), ("hangup", "flow")], None,
                               "error", {"status": 503, "error": "connection refused"},
                               "failed"),
}


@pytest.mark.parametrize(("answer", "last", "value", "outcome", "detail", "went"),
                         ROWS.values(), ids=ROWS.keys())
def test_lookup_answer(call_factory, brief, answer, last, value, outcome, detail,
                       went) -> None:
    call = call_factory(FLOW)
    assert brief(call.send(answer)) == last
    assert call.state.vars["crm"] == value
    entry = call.entry("crm")
    assert (entry["outcome"], entry["detail"]) == (outcome, detail)
    assert call.visits() == ["setup", "crm", went, "bye"]


def test_lookup_error_without_on_error_goes_next(call_factory) -> None:
    call = call_factory(FLOW.replace("        on_error: failed\n", "").replace(
        '      failed: {type: say, text: "We could not find you.", next: bye}\n', ""))
    call.send(("lookup", False, "timeout"))
    assert call.visits() == ["setup", "crm", "found", "bye"]
    assert call.state.vars["crm"] is None
    assert call.outcome("crm") == "error"


def test_get_lookup_defaults(call_factory) -> None:
    call = call_factory("""
        id: t
        name: lookup test
        start: crm
        nodes:
          crm:
            type: lookup
            url: "https://crm.example/x?from={{ call.from }}"
            save_as: crm
            next: bye
          bye: {type: hangup}
    """)
    assert call.history[0][-1] == act.Lookup(
        request="crm:lookup:1", method="GET", url="https://crm.example/x?from=+15551230001",
        headers={}, body=None, timeout=5.0)


@pytest.mark.parametrize("request_id", ["crm:lookup:2", "other:lookup:1", ""])
def test_lookup_answer_with_the_wrong_request_id_is_refused(call_factory, request_id) -> None:
    call = call_factory(FLOW)
    before = call.state.to_dict(include_secrets=True)
    with pytest.raises(IvrProtocolError, match="pending request is 'crm:lookup:1'"):
        call.send(ev.LookupCompleted(at=call.tick(), request=request_id, ok=True, data={}))
    assert call.state.to_dict(include_secrets=True) == before
    # the right answer still works afterwards
    call.send(("lookup", True, {"name": "Lee"}))
    assert call.state.vars["crm"] == {"name": "Lee"}
