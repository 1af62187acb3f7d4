"""``menu`` nodes: a key or a spoken keyword picks a branch; re-prompts, then ``failure``."""

from __future__ import annotations

from unittest.mock import ANY

import pytest

from voice.ivr import actions as act
from voice.ivr import events as ev

FLOW = """
    id: t
    name: menu test
    start: main
    defaults: {timeout: 7}
    nodes:
      main:
        type: menu
        prompt: "For billing press 1. For support press 2."
        choices: {"1": billing, "2": support}
        speech: {Billing: "1", "technical support": "2"}
        no_input: "I did not hear you."
        no_match: "That is not a choice."
        retries: 2
        failure: agent
      billing: {type: say, text: Billing., next: bye}
      support: {type: say, text: Support., next: bye}
      agent: {type: say, text: An agent will help you., next: bye}
      bye: {type: hangup}
"""
PROMPT = "For billing press 1. For support press 2."
NO_INPUT, NO_MATCH = "I did not hear you.", "That is not a choice."
BILLING = [("say", "Billing."), ("hangup", "flow")]
SUPPORT = [("say", "Support."), ("hangup", "flow")]
AGENT = [("say", "An agent will help you."), ("hangup", "flow")]

# (caller tokens, actions of the last event, menu outcome, menu input, where the call went)
ROWS = {
    "key-1": (["1"], BILLING, "1", "1", "billing"),
    "key-2": (["2"], SUPPORT, "2", "2", "support"),
    "multi-digit-uses-first-key": (["21"], SUPPORT, "2", "21", "support"),
    "speech-keyword": (["say:Billing, please."], BILLING, "1", "Billing, please.", "billing"),
    "speech-case-insensitive": (["say:BILLING"], BILLING, "1", "BILLING", "billing"),
    "speech-two-word-keyword": (["say:I need Technical Support!"], SUPPORT, "2",
                                "I need Technical Support!", "support"),
    "speech-punctuation": (["say:billing?"], BILLING, "1", "billing?", "billing"),
    "no-input-reprompts": (["timeout"], [("gather", NO_INPUT, PROMPT)], None, None, None),
    "no-match-key-reprompts": (["5"], [("gather", NO_MATCH, PROMPT)], None, None, None),
    "no-match-speech-reprompts": (["say:something else"], [("gather", NO_MATCH, PROMPT)],
                                  None, None, None),
    "speech-keyword-is-whole-word": (["say:rebilling"], [("gather", NO_MATCH, PROMPT)],
                                     None, None, None),
    "speech-keyword-inside-word": (["say:technical supporters"],
                                   [("gather", NO_MATCH, PROMPT)], None, None, None),
    "retry-then-choice": (["timeout", "9", "1"], BILLING, "1", "1", "billing"),
    "no-input-exhausted": (["timeout", "timeout", "timeout"], AGENT, "no-input", None, "agent"),
    "no-match-exhausted": (["9", "8", "7"], AGENT, "no-match", "7", "agent"),
    "last-failure-decides-outcome": (["9", "8", "timeout"], AGENT, "no-input", None, "agent"),
    "speech-no-match-exhausted": (["say:a", "say:b", "say:c d"], AGENT, "no-match", "c d",
                                  "agent"),
}


@pytest.mark.parametrize(("tokens", "last", "outcome", "heard", "went"), ROWS.values(),
                         ids=ROWS.keys())
def test_menu_node(call_factory, brief, tokens, last, outcome, heard, went) -> None:
    call = call_factory(FLOW)
    assert brief(call.feed(*tokens)) == last
    entry = call.entry("main")
    assert (entry["outcome"], entry["input"]) == (outcome, heard)
    if went is None:
        assert call.visits() == ["main"]
        assert call.state.wait is not None and call.state.wait.kind == "input"
    else:
        assert call.visits() == ["main", went, "bye"]
        assert entry["detail"] == {"attempts": len(tokens)}


def test_menu_gather_asks_for_one_key_or_speech(call_factory) -> None:
    call = call_factory(FLOW)
    assert call.history[0] == [
        act.StartRecording(),
        act.Gather(request="main:input:1", prompts=(act.Say(text=PROMPT, language="en-US"),),
                   input="dtmf speech", min_digits=1, max_digits=1, finish_on=None,
                   timeout=7, hints=("billing", "technical support"), language="en-US"),
    ]
    assert call.state.wait.request == "main:input:1"


def test_menu_without_speech_takes_keys_only(call_factory) -> None:
    call = call_factory("""
        id: t
        name: menu test
        start: main
        nodes:
          main:
            type: menu
            prompt: Press 1.
            choices: {"1": bye}
            failure: bye
          bye: {type: hangup}
    """)
    gather = call.history[0][-1]
    assert isinstance(gather, act.Gather)
    assert (gather.input, gather.hints, gather.timeout) == ("dtmf", (), 5)
    # speech at a keys-only menu is no match
    assert call.send("say:one") == [act.Gather(
        request=ANY, prompts=(act.Say(text="Sorry, that is not one of the choices.",
                                      language="en-US"),
                              act.Say(text="Press 1.", language="en-US")),
        min_digits=1, max_digits=1, finish_on=None)]


@pytest.mark.parametrize(("retries", "tokens", "went"), [
    ("retries: 0", ["timeout"], ["main", "agent", "bye"]),
    ("retries: 1", ["timeout"], ["main"]),
    ("retries: 1", ["timeout", "timeout"], ["main", "agent", "bye"]),
    ("", ["timeout", "timeout"], ["main"]),
    ("", ["timeout", "timeout", "timeout"], ["main", "agent", "bye"]),
], ids=["zero", "one-left", "one-used", "default-two-left", "default-two-used"])
def test_menu_retries(call_factory, retries, tokens, went) -> None:
    call = call_factory(FLOW.replace("retries: 2", retries))
    call.feed(*tokens)
    assert call.visits() == went


def test_menu_reprompt_gets_a_fresh_timer_and_ignores_the_old_one(call_factory) -> None:
    call = call_factory(FLOW)
    first = call.state.wait.request
    call.send("timeout")
    second = call.state.wait.request
    assert second != first
    before = call.state.to_dict(include_secrets=True)
    assert call.send(ev.TimerFired(at=call.tick(), timer=first)) == []
    assert call.state.to_dict(include_secrets=True) == before


def test_menu_speech_of_a_key_name_picks_that_key(call_factory) -> None:
    call = call_factory(FLOW)
    call.send("say:2")
    assert call.outcome("main") == "2"
