"""``transfer`` nodes: connect the caller elsewhere; on failure go on or apologise and end."""

from __future__ import annotations

import pytest

from voice.ivr import actions as act

FLOW = """
    id: t
    name: transfer test
    start: setup
    nodes:
      setup: {type: set, vars: {desk: "claims"}, next: claims}
      claims:
        type: transfer
        to: "sip:{{ vars.desk }}@partner.example.com"
        timeout: 20
        on_failure: voicemail
      voicemail: {type: say, text: Please call again later., next: bye}
      bye: {type: hangup}
"""
NO_FALLBACK = """
    id: t
    name: transfer test
    start: claims
    nodes:
      claims: {type: transfer, to: "+15550199"}
"""
SORRY = "Sorry, we could not connect your call. Goodbye."


def test_transfer_renders_the_destination(call_factory) -> None:
    call = call_factory(FLOW)
    assert call.history[0][-1] == act.Transfer(request="claims:transfer:1",
                                               to="sip:claims@partner.example.com", timeout=20)
    assert (call.state.wait.kind, call.state.wait.request) == ("transfer", "claims:transfer:1")
    assert call_factory(NO_FALLBACK).history[0][-1] == act.Transfer(
        request="claims:transfer:1", to="+15550199", timeout=30)


# (flow, events, actions of the last event, outcome, detail, wait afterwards, ended, reason,
#  visits)
ROWS = {
    "connected": (FLOW, [("transfer", True)], [], "connected", None, "connected", False, None,
                  ["setup", "claims"]),
    "failed-goes-to-on-failure": (
        FLOW, [("transfer", False, "busy")],
        [("say", "Please call again later."), ("hangup", "flow")], "failed",
        {"reason": "busy"}, None, True, "flow", ["setup", "claims", "voicemail", "bye"]),
    "failed-without-on-failure-apologises": (
        NO_FALLBACK, [("transfer", False, "no-answer")],
        [("say", SORRY), ("hangup", "transfer-failed")], "failed", {"reason": "no-answer"},
        None, True, "transfer-failed", ["claims"]),
    "hangup-while-ringing": (FLOW, ["hangup"], [], "hangup", None, None, True, "caller-hangup",
                             ["setup", "claims"]),
    "hangup-after-connected": (FLOW, [("transfer", True), "hangup"], [], "connected", None,
                               None, True, "caller-hangup", ["setup", "claims"]),
}


@pytest.mark.parametrize(("text", "tokens", "last", "outcome", "detail", "waiting", "ended",
                          "reason", "visits"), ROWS.values(), ids=ROWS.keys())
def test_transfer_node(call_factory, brief, text, tokens, last, outcome, detail, waiting,
                       ended, reason, visits) -> None:
    call = call_factory(text)
    assert brief(call.feed(*tokens)) == last
    entry = call.entry("claims")
    assert (entry["outcome"], entry.get("detail")) == (outcome, detail)
    assert (call.state.wait.kind if call.state.wait else None) == waiting
    assert call.session.ended is ended
    assert call.state.end_reason == reason
    assert call.visits() == visits
