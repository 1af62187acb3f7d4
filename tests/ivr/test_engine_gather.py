"""``gather`` nodes: digits (or speech) into a variable, retries, and sensitive input."""

from __future__ import annotations

import json

import pytest

from voice.ivr import actions as act

FLOW = """
    id: t
    name: gather test
    start: zip
    nodes:
      zip:
        type: gather
        prompt: "Enter your ZIP code."
        digits: {digits}
        save_as: zip
        no_input: "I did not get that."
        invalid: "That is not a ZIP code."
        next: done
        failure: sorry
      done: {type: say, text: "ZIP {{ vars.zip }}.", next: bye}
      sorry: {type: say, text: "No ZIP.", next: bye}
      bye: {type: hangup}
"""
FIVE = '{min: 5, max: 5, finish_on: "#"}'
PROMPT, NO_INPUT, INVALID = "Enter your ZIP code.", "I did not get that.", "That is not a ZIP code."


def flow(digits: str = FIVE, *, failure: bool = True) -> str:
    text = FLOW.replace("{digits}", digits)
    if not failure:
        text = text.replace("        failure: sorry\n", "").replace(
            '      sorry: {type: say, text: "No ZIP.", next: bye}\n', "")
    return text


DONE = [("say", "ZIP 12345."), ("hangup", "flow")]
SORRY = [("say", "No ZIP."), ("hangup", "flow")]

# (digits rules, caller tokens, actions of the last event, zip variable, outcome, input, next)
ROWS = {
    "with-finish-key": (FIVE, ["12345#"], DONE, "12345", "collected", "12345", "done"),
    "without-finish-key": (FIVE, ["12345"], DONE, "12345", "collected", "12345", "done"),
    "too-short": (FIVE, ["1234#"], [("gather", INVALID, PROMPT)], None, None, None, None),
    "too-long": (FIVE, ["123456#"], [("gather", INVALID, PROMPT)], None, None, None, None),
    "star-is-not-a-digit": (FIVE, ["12*45"], [("gather", INVALID, PROMPT)], None, None, None,
                            None),
    "finish-key-alone": (FIVE, ["#"], [("gather", INVALID, PROMPT)], None, None, None, None),
    "no-input": (FIVE, ["timeout"], [("gather", NO_INPUT, PROMPT)], None, None, None, None),
    "invalid-then-valid": (FIVE, ["1#", "timeout", "12345#"], DONE, "12345", "collected",
                           "12345", "done"),
    "invalid-exhausted": (FIVE, ["1#", "2#", "3#"], SORRY, None, "invalid", None, "sorry"),
    "no-input-exhausted": (FIVE, ["timeout"] * 3, SORRY, None, "no-input", None, "sorry"),
    "star-finish-key": ('{min: 1, max: 4, finish_on: "*"}', ["12*"],
                        [("say", "ZIP 12."), ("hangup", "flow")], "12", "collected", "12",
                        "done"),
    "no-finish-key": ("{min: 1, max: 4, finish_on: null}", ["12#"],
                      [("gather", INVALID, PROMPT)], None, None, None, None),
    "default-rules-1-to-20": ("{}", ["12345678901234567890#"],
                              [("say", "ZIP 12345678901234567890."), ("hangup", "flow")],
                              "12345678901234567890", "collected", "12345678901234567890",
                              "done"),
    "default-rules-too-long": ("{}", ["123456789012345678901#"],
                               [("gather", INVALID, PROMPT)], None, None, None, None),
}


@pytest.mark.parametrize(("digits", "tokens", "last", "value", "outcome", "entered", "went"),
                         ROWS.values(), ids=ROWS.keys())
def test_gather_node(call_factory, brief, digits, tokens, last, value, outcome, entered,
                     went) -> None:
    call = call_factory(flow(digits))
    assert brief(call.feed(*tokens)) == last
    entry = call.entry("zip")
    assert (entry["outcome"], entry["input"]) == (outcome, entered)
    assert call.state.vars.get("zip") == value
    assert call.visits() == (["zip"] if went is None else ["zip", went, "bye"])
    if outcome in ("invalid", "no-input"):
        assert entry["detail"] == {"attempts": 3}
        assert "zip" in call.state.vars  # set to None, so templates see it as empty


def test_gather_exhausted_without_failure_goes_next_with_none(call_factory) -> None:
    call = call_factory(flow(failure=False))
    call.feed("1#", "2#", "3#")
    assert call.visits() == ["zip", "done", "bye"]
    assert call.state.vars["zip"] is None
    assert call.outcome("zip") == "invalid"


def test_gather_exhausted_variable_renders_as_empty_text(call_factory, brief) -> None:
    call = call_factory(flow(failure=False))
    assert brief(call.feed("1#", "2#", "3#")) == [("say", "ZIP ."), ("hangup", "flow")]


def test_gather_action_carries_the_rules(call_factory) -> None:
    call = call_factory(flow('{min: 3, max: 9, finish_on: "*"}').replace(
        "save_as: zip", "save_as: zip\n        timeout: 11"))
    assert call.history[0][-1] == act.Gather(
        request="zip:input:1", prompts=(act.Say(text=PROMPT, language="en-US"),),
        input="dtmf", min_digits=3, max_digits=9, finish_on="*", timeout=11,
        language="en-US", sensitive=False)


@pytest.mark.parametrize(("said", "value"), [
    ("say:  next tuesday ", "next tuesday"),
    ("4", "4"),
], ids=["speech", "keys-still-work"])
def test_speech_gather(call_factory, said, value) -> None:
    call = call_factory("""
        id: t
        name: gather test
        start: when
        nodes:
          when:
            type: gather
            prompt: When would you like a call back?
            digits: {min: 1, max: 1}
            speech: true
            save_as: when
            next: bye
          bye: {type: hangup}
    """)
    assert call.history[0][-1].input == "dtmf speech"
    call.send(said)
    assert call.state.vars["when"] == value
    assert call.entry("when")["input"] == value


def test_speech_at_a_keys_only_gather_is_invalid(call_factory, brief) -> None:
    call = call_factory(flow())
    assert brief(call.send("say:one two three four five")) == [("gather", INVALID, PROMPT)]


# -- sensitive input -------------------------------------------------------------------------

CARD = "4111111111111111"
PAYMENT = """
    id: t
    name: card payment
    start: intro
    nodes:
      intro: {type: say, text: Have your card ready., next: card}
      card:
        type: gather
        prompt: Enter your card number.
        digits: {min: 15, max: 16, finish_on: "#"}
        sensitive: true
        save_as: card
        invalid: That card number is not valid.
        next: charge
        failure: sorry
      charge:
        type: lookup
        method: POST
        url: "https://pay.example/v1/charges"
        headers: {X-Card: "{{ vars.card }}"}
        body: {card: "{{ vars.card }}", caller: "{{ call.from }}", amount: 25}
        save_as: payment
        next: thanks
      thanks: {type: say, text: "Card {{ vars.card }} was charged.", next: bye}
      sorry: {type: say, text: We could not take your card., next: bye}
      bye: {type: hangup}
"""


def test_sensitive_gather_pauses_recording_around_the_entry(call_factory, brief) -> None:
    call = call_factory(PAYMENT)
    assert brief(call.history[0]) == [
        ("start-recording",), ("say", "Have your card ready."), ("pause-recording",),
        ("gather", "Enter your card number.")]
    assert call.history[0][-1].sensitive is True
    assert call.state.recording == "paused"
    # an invalid entry re-asks with the recording still paused
    retry = call.send("1234#")
    assert brief(retry) == [("gather", "That card number is not valid.",
                             "Enter your card number.")]
    assert retry[0].sensitive is True
    assert call.state.recording == "paused"
    # the valid entry resumes it before anything else happens
    actions = call.send(CARD + "#")
    assert brief(actions) == [("resume-recording",),
                              ("lookup", "POST", "https://pay.example/v1/charges")]
    assert call.state.recording == "on"


def test_sensitive_value_is_masked_everywhere_but_the_lookup(call_factory, brief) -> None:
    call = call_factory(PAYMENT)
    [_, lookup] = call.send(CARD + "#")
    assert call.state.vars["card"] == "****1111"
    assert call.state.sensitive == ["card"]
    assert call.entry("card")["input"] == "****1111"
    assert CARD not in json.dumps(call.state.to_dict())
    assert CARD not in json.dumps(call.session.path())
    # the payment processor gets the real number
    assert lookup.body == {"card": CARD, "caller": "+15551230001", "amount": 25}
    assert lookup.headers == {"X-Card": CARD}
    # what the caller hears later is masked
    actions = call.send(("lookup", True, {"approved": True}))
    assert brief(actions) == [("say", "Card ****1111 was charged."), ("hangup", "flow")]
    assert CARD not in json.dumps(call.state.to_dict(include_secrets=True))  # secrets cleared


def test_sensitive_value_is_kept_as_a_secret_while_the_call_runs(call_factory) -> None:
    call = call_factory(PAYMENT)
    call.send(CARD + "#")
    assert call.state.secrets == {"card": CARD}
    assert call.state.to_dict()["secrets"] == {}
    assert call.state.to_dict(include_secrets=True)["secrets"] == {"card": CARD}


def test_sensitive_gather_exhausted_resumes_recording(call_factory, brief) -> None:
    call = call_factory(PAYMENT)
    actions = call.feed("1#", "timeout", "2#")
    assert brief(actions) == [("resume-recording",), ("say", "We could not take your card."),
                              ("hangup", "flow")]
    assert call.state.vars["card"] is None
    assert call.outcome("card") == "invalid"
    assert call.state.recording == "on"


def test_sensitive_gather_without_call_recording_emits_no_pause(call_factory, brief) -> None:
    call = call_factory(PAYMENT.replace("start: intro", "start: intro\n    record: false"))
    assert brief(call.history[0]) == [("say", "Have your card ready."),
                                      ("gather", "Enter your card number.")]
    assert brief(call.send(CARD + "#")) == [
        ("lookup", "POST", "https://pay.example/v1/charges")]
    assert call.state.recording == "off"
    assert call.state.vars["card"] == "****1111"


@pytest.mark.parametrize(("entered", "masked"), [
    ("378282246310005", "****0005"),
    ("12345678", "****5678"),
    ("1234567", "****"),
    ("1228", "****"),
], ids=["amex", "eight-digits", "seven-digits", "four-digits"])
def test_sensitive_masking_keeps_four_digits_of_long_values(call_factory, entered,
                                                            masked) -> None:
    call = call_factory(PAYMENT.replace("{min: 15, max: 16", "{min: 4, max: 16"))
    call.send(entered + "#")
    assert call.state.vars["card"] == masked
    assert call.entry("card")["input"] == masked
    assert entered not in json.dumps(call.state.to_dict())
