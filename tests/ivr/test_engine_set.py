"""``set`` nodes: variables from values and templates; ``language`` changes later prompts."""

from __future__ import annotations

import pytest

from voice.ivr import actions as act

FLOW = """
    id: t
    name: set test
    start: setup
    nodes:
      setup:
        type: set
        vars: VARS
        next: bye
      bye: {type: hangup}
"""

# (vars mapping in YAML, the variables afterwards)
ROWS = {
    "text": ("{team: billing}", {"team": "billing"}),
    "number-and-bool": ("{count: 3, vip: true, ratio: 0.5}",
                        {"count": 3, "vip": True, "ratio": 0.5}),
    "call-template": ('{caller: "{{ call.from }}", dialled: "{{ call.to }}"}',
                      {"caller": "+15551230001", "dialled": "+15550100"}),
    "expression-renders-text": ('{total: "{{ 2 * 21 }}"}', {"total": "42"}),
    "undefined-renders-empty": ('{name: "{{ customer.first_name }}"}', {"name": ""}),
    "later-sees-earlier": ('{a: one, b: "{{ vars.a }}-two"}', {"a": "one", "b": "one-two"}),
    "whitespace-stripped": ('{x: "  {{ call.channel }}  "}', {"x": "sim"}),
}


@pytest.mark.parametrize(("values", "expected"), ROWS.values(), ids=ROWS.keys())
def test_set_node(call_factory, values, expected) -> None:
    call = call_factory(FLOW.replace("VARS", values))
    assert call.state.vars == expected
    assert call.outcome("setup") == "set"
    assert call.visits() == ["setup", "bye"]


LANGUAGE_FLOW = """
    id: t
    name: set test
    start: hello
    defaults: {language: en-US, voice: Polly.Joanna}
    nodes:
      hello: {type: say, text: Hello., next: spanish}
      spanish: {type: set, vars: {language: es-US}, next: hola}
      hola: {type: say, text: Hola., next: menu}
      menu:
        type: menu
        prompt: Oprima uno.
        choices: {"1": bye}
        failure: bye
      bye: {type: hangup, text: Adiós.}
"""


def test_setting_language_changes_later_prompts(call_factory) -> None:
    call = call_factory(LANGUAGE_FLOW)
    [_, hello, hola, gather] = call.history[0]
    assert hello == act.Say(text="Hello.", language="en-US", voice="Polly.Joanna")
    assert hola == act.Say(text="Hola.", language="es-US", voice="Polly.Joanna")
    assert isinstance(gather, act.Gather)
    assert gather.language == "es-US"
    assert gather.prompts == (act.Say(text="Oprima uno.", language="es-US", voice="Polly.Joanna"),)
    # re-prompts and the goodbye keep the language
    assert call.send("timeout")[0].prompts[0].language == "es-US"
    assert call.send("1") == [act.Say(text="Adiós.", language="es-US", voice="Polly.Joanna"),
                              act.HangUp(reason="flow")]


def test_set_replaces_a_sensitive_value(call_factory) -> None:
    call = call_factory("""
        id: t
        name: set test
        start: pin
        nodes:
          pin:
            type: gather
            prompt: Code?
            digits: {min: 4, max: 8}
            sensitive: true
            save_as: code
            next: clear
          clear: {type: set, vars: {code: none}, next: bye}
          bye: {type: menu, prompt: Bye?, choices: {"1": end}, failure: end}
          end: {type: hangup}
    """)
    call.send("87654321")
    assert call.state.vars["code"] == "none"
    assert call.state.secrets == {}


def test_set_copies_a_sensitive_value_masked(call_factory) -> None:
    call = call_factory("""
        id: t
        name: set test
        start: pin
        nodes:
          pin:
            type: gather
            prompt: Code?
            digits: {min: 4, max: 8}
            sensitive: true
            save_as: code
            next: copy
          copy: {type: set, vars: {copy: "{{ vars.code }}"}, next: bye}
          bye: {type: hangup}
    """)
    call.send("87654321")
    assert call.state.vars["copy"] == "****4321"
