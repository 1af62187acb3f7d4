"""``subflow`` nodes: run another flow and come back to ``next`` (``return``: see
test_engine_return.py).

Path entries made inside a subflow carry the subflow's id and the call stack remembers where
to come back to.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

import pytest

from voice.ivr import Session, load_flows
from voice.ivr import actions as act
from voice.ivr import events as ev

MAIN = """
    id: main
    name: main line
    start: intro
    nodes:
      intro: {type: say, text: Main line., next: pay}
      pay: {type: subflow, flow: payments, next: after}
      after: {type: say, text: "Back in main, payment {{ vars.result }}.", next: bye}
      bye: {type: hangup}
"""
PAYMENTS = """
    id: payments
    name: payments
    start: intro
    defaults: {language: fr-CA}
    nodes:
      intro: {type: say, text: Paiements., next: ask}
      ask:
        type: menu
        prompt: Press 1 to pay.
        choices: {"1": paid}
        failure: back
      paid: {type: set, vars: {result: taken}, next: back}
      back: {type: return}
"""
FLOWS = {"main.yaml": MAIN, "payments.yaml": PAYMENTS}


def test_subflow_runs_the_other_flow_and_returns(call_factory, brief) -> None:
    call = call_factory(FLOWS, flow_id="main")
    assert brief(call.history[0]) == [("start-recording",), ("say", "Main line."),
                                      ("say", "Paiements."), ("gather", "Press 1 to pay.")]
    assert call.state.flow == "payments"
    assert call.state.stack == [{"flow": "main", "node": "pay"}]
    assert brief(call.send("1")) == [("say", "Back in main, payment taken."),
                                     ("hangup", "flow")]
    assert call.state.flow == "main"
    assert call.state.stack == []
    assert [(e["flow"], e["node"], e["type"], e["outcome"]) for e in call.state.path] == [
        ("main", "intro", "say", "said"),
        ("main", "pay", "subflow", "called"),
        ("payments", "intro", "say", "said"),
        ("payments", "ask", "menu", "1"),
        ("payments", "paid", "set", "set"),
        ("payments", "back", "return", "returned"),
        ("main", "after", "say", "said"),
        ("main", "bye", "hangup", "hangup"),
    ]
    assert call.entry("pay")["detail"] == {"flow": "payments"}


LOOP = {
    "main.yaml": """
        id: main
        name: main line
        start: menu
        nodes:
          menu:
            type: menu
            prompt: Press 1 to pay, 9 to leave.
            choices: {"1": pay, "9": bye}
            failure: bye
          pay: {type: subflow, flow: payments, next: menu}
          bye: {type: hangup}
    """,
    "payments.yaml": PAYMENTS,
}
STACK = [{"flow": "main", "node": "pay"}]

# (caller tokens, flow running afterwards, call stack, waiting for, visits as flow/node)
ROWS = {
    "inside": ([], "payments", STACK, "input",
               ["main/menu", "main/pay", "payments/intro", "payments/ask"]),
    "back-out": (["1"], "main", [], "input",
                 ["main/menu", "main/pay", "payments/intro", "payments/ask", "payments/paid",
                  "payments/back", "main/menu"]),
    "second-call-does-not-grow-the-stack": (
        ["1", "1"], "payments", STACK, "input",
        ["main/menu", "main/pay", "payments/intro", "payments/ask", "payments/paid",
         "payments/back", "main/menu", "main/pay", "payments/intro", "payments/ask"]),
    "subflow-failure-returns-too": (
        ["timeout", "timeout", "timeout", "9"], "main", [], None,
        ["main/menu", "main/pay", "payments/intro", "payments/ask", "payments/back",
         "main/menu", "main/bye"]),
}


@pytest.mark.parametrize(("tokens", "running", "stack", "waiting", "visits"), ROWS.values(),
                         ids=ROWS.keys())
def test_subflow_node(call_factory, tokens, running, stack, waiting, visits) -> None:
    call = call_factory(LOOP, flow_id="main")
    call.send("1")
    call.feed(*tokens)
    assert call.state.flow == running
    assert call.state.stack == stack
    assert (call.state.wait.kind if call.state.wait else None) == waiting
    assert [f"{e['flow']}/{e['node']}" for e in call.state.path] == visits
    assert [e["outcome"] for e in call.state.path if e["node"] == "pay"] == [
        "called"] * visits.count("main/pay")


def test_subflow_prompts_use_the_subflow_defaults(call_factory) -> None:
    call = call_factory(FLOWS, flow_id="main")
    says = [a for a in call.history[0] if isinstance(a, act.Say)]
    assert [(s.text, s.language) for s in says] == [("Main line.", "en-US"),
                                                    ("Paiements.", "fr-CA")]
    assert call.history[0][-1].language == "fr-CA"
    back = call.send("1")
    assert back[0] == act.Say(text="Back in main, payment taken.", language="en-US")


def test_caller_hangs_up_inside_a_subflow(call_factory) -> None:
    call = call_factory(FLOWS, flow_id="main")
    assert call.send("hangup") == []
    assert call.state.path[-1] | {"at": None} == {
        "seq": 4, "at": None, "flow": "payments", "node": "ask", "type": "menu",
        "outcome": "hangup", "input": None}
    assert call.state.end_reason == "caller-hangup"


MUTUAL = {
    "a.yaml": """
        id: a
        name: a
        start: call_b
        nodes:
          call_b: {type: subflow, flow: b, next: bye}
          bye: {type: hangup}
    """,
    "b.yaml": """
        id: b
        name: b
        start: call_a
        nodes:
          call_a: {type: subflow, flow: a, next: back}
          back: {type: return}
    """,
}


def _mutual_sources() -> dict[str, str]:
    return {name: textwrap.dedent(text) for name, text in MUTUAL.items()}


def test_mutually_recursive_subflows_are_rejected() -> None:
    _, problems = load_flows(_mutual_sources(), schedules=set())
    assert len(problems) == 1
    assert "run each other without waiting for the caller" in problems[0].message


def test_engine_ends_a_call_that_spins_through_subflows() -> None:
    # the engine's safety net if such flows run anyway (validation rejects them, see above)
    flows, _ = load_flows(_mutual_sources(), schedules=set())
    session = Session(flows, flow_id="a")
    actions = session.handle(ev.CallStarted(at=datetime(2026, 11, 24, 15, tzinfo=UTC),
                                            call_id="c", channel="sim", from_number="+1",
                                            to_number="2"))
    assert actions[-1] == act.HangUp(reason="flow-loop")
    assert session.ended
    assert session.state.end_reason == "flow-loop"
