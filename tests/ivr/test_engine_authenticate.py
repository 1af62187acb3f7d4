"""``authenticate`` nodes: ani, knowledge and account PIN checks driven as a dialogue.

The PIN travels only inside ``VerifyCaller``; a wrong PIN, an unknown account and a locked
account sound the same to the caller; the result lands in ``auth`` and ``customer``.
"""

from __future__ import annotations

import json

import pytest

from voice.ivr import actions as act

FLOW = """
    id: t
    name: auth test
    start: auth
    nodes:
      auth:
        type: authenticate
        methods: METHODS
        attempts: 3
        success: welcome
        failure: agent
      welcome: {type: say, text: "Welcome {{ customer.first_name }}.", next: bye}
      agent: {type: say, text: Connecting you to an agent., next: bye}
      bye: {type: hangup}
"""
ACCOUNT = "10002222"
PIN = "4729"
DANA = {"id": "c-1", "first_name": "Dana", "last_name": "Smith", "tier": "gold",
        "account": ACCOUNT}

ACCOUNT_PROMPT = "Please enter your account number, followed by the pound key."
PIN_PROMPT = "Please enter your PIN, followed by the pound key."
ZIP_PROMPT = "Please enter the five digit ZIP code on your account."
DOB_PROMPT = "Please enter your date of birth as eight digits: month, day and year."
RETRY = "Sorry, that did not match our records. Let's try again."
FAILED = "Sorry, we could not verify your identity."

OK = ("verify", True, DANA)
WRONG = ("verify", False, "no-match")
LOCKED = ("verify", False, "locked")
WELCOME = [("event", "ivr.authenticated"), ("say", "Welcome Dana."), ("hangup", "flow")]
TO_AGENT = [("event", "ivr.authenticated"), ("say", "Connecting you to an agent."),
            ("hangup", "flow")]


def flow(methods: str, extra: str = "") -> str:
    text = FLOW.replace("METHODS", methods)
    return text.replace("        attempts: 3\n", f"        attempts: 3\n{extra}")


# (methods, caller and verifier tokens, actions of the last event, node outcome, where the
#  call went, auth fields afterwards)
ROWS = {
    "ani-success": (
        "[ani]", [OK], WELCOME, "identified", "welcome",
        {"verified": False, "identified": True, "method": "ani", "level": "weak",
         "customer_id": "c-1", "reason": None, "failed_attempts": 0}),
    "ani-failure": (
        "[ani]", [WRONG], TO_AGENT, "failed", "agent",
        {"verified": False, "identified": False, "method": None, "level": None,
         "customer_id": None, "reason": "no-match", "failed_attempts": 0}),
    "ani-failure-then-pin": (
        "[ani, account_pin]", [WRONG, ACCOUNT + "#", PIN + "#", OK], WELCOME, "verified",
        "welcome",
        {"verified": True, "identified": True, "method": "account_pin", "level": "strong",
         "customer_id": "c-1", "reason": None, "failed_attempts": 0}),
    "ani-and-pin": (
        "[ani, account_pin]", [OK, ACCOUNT + "#", PIN + "#", OK], WELCOME, "verified",
        "welcome",
        {"verified": True, "identified": True, "method": "ani+account_pin",
         "level": "strong", "customer_id": "c-1", "reason": None, "failed_attempts": 0}),
    "pin-only": (
        "[account_pin]", [ACCOUNT + "#", PIN + "#", OK], WELCOME, "verified", "welcome",
        {"verified": True, "identified": True, "method": "account_pin", "level": "strong"}),
    "pin-wrong-then-right": (
        "[account_pin]", [ACCOUNT + "#", "1111#", WRONG, ACCOUNT + "#", PIN + "#", OK],
        WELCOME, "verified", "welcome",
        {"verified": True, "method": "account_pin", "failed_attempts": 1, "reason": None}),
    "pin-wrong-three-times": (
        "[account_pin]", [ACCOUNT + "#", "1111#", WRONG] * 3,
        [("say", FAILED), *TO_AGENT], "failed", "agent",
        {"verified": False, "identified": False, "method": None, "level": None,
         "reason": "no-match", "failed_attempts": 3}),
    "locked-three-times": (
        "[account_pin]", [ACCOUNT + "#", PIN + "#", LOCKED] * 3,
        [("say", FAILED), *TO_AGENT], "failed", "agent",
        {"verified": False, "reason": "locked", "failed_attempts": 3}),
    "ani-then-pin-fails": (
        "[ani, account_pin]", [OK, *[ACCOUNT + "#", "1111#", WRONG] * 3],
        [("say", FAILED), *TO_AGENT], "failed", "agent",
        {"verified": False, "identified": True, "method": "ani", "level": "weak",
         "reason": "no-match", "failed_attempts": 3}),
    "no-input-uses-attempts": (
        "[account_pin]", ["timeout", "timeout", ACCOUNT + "#", "timeout"],
        [("resume-recording",), ("say", FAILED), *TO_AGENT], "failed", "agent",
        {"verified": False, "reason": "no-input", "failed_attempts": 3}),
    "invalid-entries-use-attempts": (
        "[account_pin]", ["say:my account", ACCOUNT + "#", "12#", ACCOUNT + "#", PIN + "#",
                          OK],
        WELCOME, "verified", "welcome", {"verified": True, "failed_attempts": 2}),
    "knowledge-after-ani": (
        "[ani, knowledge]", [OK, "12345#", OK], WELCOME, "verified", "welcome",
        {"verified": True, "method": "ani+knowledge", "level": "medium"}),
    "knowledge-without-ani": (
        "[knowledge]", [ACCOUNT + "#", "12345#", OK], WELCOME, "verified", "welcome",
        {"verified": True, "method": "knowledge", "level": "medium"}),
    "knowledge-wrong-then-right": (
        "[ani, knowledge]", [OK, "11111#", WRONG, "12345#", OK], WELCOME, "verified",
        "welcome", {"verified": True, "failed_attempts": 1}),
}


@pytest.mark.parametrize(("methods", "tokens", "last", "outcome", "went", "auth"),
                         ROWS.values(), ids=ROWS.keys())
def test_authenticate_node(call_factory, brief, methods, tokens, last, outcome, went,
                           auth) -> None:
    call = call_factory(flow(methods))
    assert brief(call.feed(*tokens)) == last
    assert call.outcome("auth") == outcome
    assert call.visits() == ["auth", went, "bye"]
    assert {k: call.state.auth[k] for k in auth} == auth
    assert call.session.ended


def test_account_pin_dialogue(call_factory) -> None:
    call = call_factory(flow("[account_pin]"))
    say = lambda text: act.Say(text=text, language="en-US")  # noqa: E731
    assert call.history[0] == [
        act.StartRecording(),
        act.Gather(request="auth:input:1", prompts=(say(ACCOUNT_PROMPT),), min_digits=4,
                   max_digits=16, finish_on="#", timeout=5, sensitive=False),
    ]
    assert call.send(ACCOUNT + "#") == [
        act.PauseRecording(),
        act.Gather(request="auth:input:2", prompts=(say(PIN_PROMPT),), min_digits=4,
                   max_digits=8, finish_on="#", timeout=5, sensitive=True),
    ]
    assert call.state.recording == "paused"
    assert call.send(PIN + "#") == [
        act.ResumeRecording(),
        act.VerifyCaller(request="auth:verify:3", method="account_pin",
                         caller_id="+15551230001", account=ACCOUNT, customer_id=None,
                         secret=PIN),
    ]
    assert call.state.recording == "on"
    assert (call.state.wait.kind, call.state.wait.request) == ("verify", "auth:verify:3")
    done = call.send(OK)
    assert done[0] == act.EmitEvent(type="ivr.authenticated", data={
        "verified": True, "identified": True, "method": "account_pin", "level": "strong",
        "customer_id": "c-1", "reason": None, "failed_attempts": 0,
        "customer": {**DANA, "account": "****2222"}})
    assert call.state.customer == {**DANA, "account": "****2222"}
    entry = call.entry("auth")
    assert (entry["input"], entry["detail"]) == ("****2222",
                                                 {"method": "account_pin", "level": "strong",
                                                  "customer_id": "c-1", "sensitive": True})


def test_wrong_pin_starts_again_with_the_retry_prompt(call_factory) -> None:
    call = call_factory(flow("[account_pin]"))
    call.feed(ACCOUNT + "#", "1111#")
    [gather] = call.send(WRONG)
    assert isinstance(gather, act.Gather)
    assert [p.text for p in gather.prompts] == [RETRY, ACCOUNT_PROMPT]
    assert gather.sensitive is False
    assert call.state.wait.kind == "input"


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_locked_account_sounds_like_a_wrong_pin(call_factory, brief, attempt) -> None:
    wrong = call_factory(flow("[account_pin]"))
    locked = call_factory(flow("[account_pin]"))
    for _ in range(attempt - 1):
        wrong.feed(ACCOUNT + "#", "1111#", WRONG)
        locked.feed(ACCOUNT + "#", "1111#", LOCKED)
    heard_wrong = wrong.feed(ACCOUNT + "#", "1111#", WRONG)
    heard_locked = locked.feed(ACCOUNT + "#", "1111#", LOCKED)
    audible = (act.Say, act.Play, act.Gather, act.HangUp)
    assert [a for a in heard_locked if isinstance(a, audible)] == [
        a for a in heard_wrong if isinstance(a, audible)]
    if attempt < 3:
        assert heard_locked == heard_wrong
    assert wrong.visits() == locked.visits()


def test_unknown_account_sounds_like_a_wrong_pin(call_factory) -> None:
    wrong = call_factory(flow("[account_pin]"))
    unknown = call_factory(flow("[account_pin]"))
    assert (wrong.feed(ACCOUNT + "#", "1111#", WRONG)
            == unknown.feed("99999999#", "1111#", ("verify", False, "unknown")))


def test_pin_is_only_inside_verify_caller(call_factory) -> None:
    call = call_factory(flow("[ani, account_pin]"))
    call.feed(OK, ACCOUNT + "#")
    [_, verify] = call.send(PIN + "#")
    assert isinstance(verify, act.VerifyCaller)
    assert verify.secret == PIN
    assert PIN not in repr(verify)
    while_verifying = json.dumps(call.state.to_dict(include_secrets=True))
    assert PIN not in while_verifying
    actions = call.send(OK)
    assert PIN not in json.dumps([a.data for a in actions if isinstance(a, act.EmitEvent)])
    for saved in (call.state.to_dict(), call.state.to_dict(include_secrets=True)):
        assert PIN not in json.dumps(saved)
    assert PIN not in json.dumps(call.session.path())
    assert PIN not in json.dumps(call.state.vars)


def test_account_number_is_kept_out_of_the_saved_state(call_factory) -> None:
    call = call_factory(flow("[account_pin]"))
    call.feed(ACCOUNT + "#")
    assert ACCOUNT not in json.dumps(call.state.to_dict())
    call.feed(PIN + "#", OK)
    assert ACCOUNT not in json.dumps(call.state.to_dict(include_secrets=True))


def test_knowledge_after_ani_uses_the_customer_id(call_factory) -> None:
    call = call_factory(flow("[ani, knowledge]", "        knowledge: [zip, dob]\n"))
    [ani] = call.history[0][1:]
    assert ani == act.VerifyCaller(request="auth:verify:1", method="ani",
                                   caller_id="+15551230001")
    after_ani = call.send(OK)
    assert after_ani == [act.PauseRecording(), act.Gather(
        request="auth:input:2", prompts=(act.Say(text=ZIP_PROMPT, language="en-US"),),
        min_digits=5, max_digits=5, finish_on="#", timeout=5, sensitive=True)]
    [resume, pause, dob] = call.send("12345#")
    assert (resume, pause) == (act.ResumeRecording(), act.PauseRecording())
    assert [p.text for p in dob.prompts] == [DOB_PROMPT]
    assert (dob.min_digits, dob.max_digits, dob.sensitive) == (8, 8, True)
    [_, verify] = call.send("01311990#")
    assert verify == act.VerifyCaller(request="auth:verify:4", method="knowledge",
                                      caller_id="+15551230001", account=None,
                                      customer_id="c-1",
                                      answers={"zip": "12345", "dob": "01311990"})
    assert "12345" not in json.dumps(call.state.to_dict())
    call.send(OK)
    assert "01311990" not in json.dumps(call.state.to_dict(include_secrets=True))


def test_authenticate_with_custom_prompts(call_factory, brief) -> None:
    extra = ('        prompts: {account: "Account, please.", pin: "PIN, please.",'
             ' retry: "Nope.", failed: "Giving up."}\n'
             "        attempts: 1\n")
    call = call_factory(flow("[account_pin]", extra).replace("        attempts: 3\n", "", 1))
    assert brief(call.history[0]) == [("start-recording",), ("gather", "Account, please.")]
    assert brief(call.send(ACCOUNT + "#")) == [("pause-recording",), ("gather", "PIN, please.")]
    call.send("1111#")
    assert brief(call.send(WRONG)) == [("say", "Giving up."), *TO_AGENT]


def test_authenticate_hangup_while_verifying(call_factory) -> None:
    call = call_factory(flow("[ani, account_pin]"))
    assert call.send("hangup") == []
    assert call.outcome("auth") == "hangup"
    assert call.state.end_reason == "caller-hangup"
    assert call.state.secrets == {}
