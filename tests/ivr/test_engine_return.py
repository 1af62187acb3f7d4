"""``return`` nodes: back to the calling ``subflow`` node's ``next``, or the end of the call
when the flow was dialled directly."""

from __future__ import annotations

import pytest

PAYMENTS = """
    id: payments
    name: payments
    start: ask
    nodes:
      ask:
        type: menu
        prompt: Press 1 to pay.
        choices: {"1": paid}
        failure: back
      paid: {type: set, vars: {result: taken}, next: back}
      back: {type: return}
"""
MAIN = """
    id: main
    name: main line
    start: pay
    nodes:
      pay: {type: subflow, flow: payments, next: after}
      after: {type: hangup, text: "Payment {{ vars.result }}."}
"""
FLOWS = {"main.yaml": MAIN, "payments.yaml": PAYMENTS}


# (flow dialled, caller tokens, actions of the last event, end reason, visits as flow/node)
ROWS = {
    "back-to-the-caller": (
        "main", ["1"], [("say", "Payment taken."), ("hangup", "flow")], "flow",
        ["main/pay", "payments/ask", "payments/paid", "payments/back", "main/after"]),
    "back-after-menu-failure": (
        "main", ["timeout"] * 3, [("say", "Payment ."), ("hangup", "flow")], "flow",
        ["main/pay", "payments/ask", "payments/back", "main/after"]),
    "no-caller-ends-the-call": (
        "payments", ["1"], [("hangup", "flow-returned")], "flow-returned",
        ["payments/ask", "payments/paid", "payments/back"]),
}


@pytest.mark.parametrize(("dialled", "tokens", "last", "reason", "visits"), ROWS.values(),
                         ids=ROWS.keys())
def test_return_node(call_factory, brief, dialled, tokens, last, reason, visits) -> None:
    call = call_factory(FLOWS, flow_id=dialled)
    assert brief(call.feed(*tokens)) == last
    assert [f"{e['flow']}/{e['node']}" for e in call.state.path] == visits
    assert call.outcome("back") == "returned"
    assert call.state.end_reason == reason
    assert call.session.ended
    assert call.state.stack == []


NESTED = {
    "outer.yaml": """
        id: outer
        name: outer
        start: go
        nodes:
          go: {type: subflow, flow: middle, next: done}
          done: {type: hangup, text: Outer done.}
    """,
    "middle.yaml": """
        id: middle
        name: middle
        start: go
        nodes:
          go: {type: subflow, flow: inner, next: done}
          done: {type: say, text: Middle done., next: back}
          back: {type: return}
    """,
    "inner.yaml": """
        id: inner
        name: inner
        start: ask
        nodes:
          ask: {type: menu, prompt: Inner., choices: {"1": back}, failure: back}
          back: {type: return}
    """,
}


def test_nested_subflows_unwind_in_order(call_factory, brief) -> None:
    call = call_factory(NESTED, flow_id="outer")
    assert call.state.stack == [{"flow": "outer", "node": "go"},
                                {"flow": "middle", "node": "go"}]
    assert call.state.flow == "inner"
    assert brief(call.send("1")) == [("say", "Middle done."), ("say", "Outer done."),
                                     ("hangup", "flow")]
    assert [(e["flow"], e["node"], e["outcome"]) for e in call.state.path] == [
        ("outer", "go", "called"), ("middle", "go", "called"), ("inner", "ask", "1"),
        ("inner", "back", "returned"), ("middle", "done", "said"),
        ("middle", "back", "returned"), ("outer", "done", "hangup")]
    assert call.state.stack == []
    assert call.state.flow == "outer"


def test_middle_flow_dialled_directly_returns_once_and_ends(call_factory, brief) -> None:
    call = call_factory(NESTED, flow_id="middle")
    assert brief(call.send("1")) == [("say", "Middle done."), ("hangup", "flow-returned")]
