"""Verifying callers against the customers store, as calls do it: through the guarded
verifier (lockout, caller ID limit, audit) and through whole simulated calls.

The demo customers are Dana Smith (10001234, PIN 1234, ZIP 10001, born 1980-01-15, phone
+15551230001) and Lee Park (20005678, PIN 8642, ZIP 60601, phones +15551230002 and 2002).
The test settings lock an account after 3 failures in a row and refuse a caller ID after 5
failures across accounts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from customer_helpers import Voice, contains_digits
from sqlalchemy import text

from voice.auth.verifier import VerificationResult
from voice.compose import Services
from voice.customers.records import CustomerInput
from voice.ivr.actions import VerifyCaller

TUESDAY = "2026-11-24T10:00:00-05:00"  # the support line is open
DANA, DANA_PIN, DANA_PHONE = "10001234", "1234", "+15551230001"
LEE, LEE_PIN = "20005678", "8642"
STRANGER = "+15550142"

STEP_UP = """\
id: stepup
name: Step-up test line
start: auth
nodes:
  auth:
    type: authenticate
    methods: METHODS
    KNOWLEDGE
    attempts: 2
    success: welcome
    failure: sorry
  welcome: {type: say, text: "Welcome {{ customer.first_name }}.", next: bye}
  sorry: {type: say, text: "Let me find someone to help you.", next: bye}
  bye: {type: hangup}
"""


def verify(services: Services, method: str, *, caller: str = STRANGER,
           account: str | None = None, customer_id: str | None = None,
           secret: str | None = None, answers: dict[str, str] | None = None,
           call_id: str | None = None) -> VerificationResult:
    """One ``VerifyCaller`` through the verifier calls use."""
    assert services.verifier is not None
    return services.verifier.verify(VerifyCaller(
        request="verify-1", method=method, caller_id=caller, account=account,
        customer_id=customer_id, secret=secret, answers=answers), call_id)


def what_the_flow_sees(result: VerificationResult) -> tuple[Any, ...]:
    return result.verified, result.reason, result.customer


def audit(services: Services) -> list[dict[str, Any]]:
    """Every audited attempt, oldest first, with every column."""
    with services.engine.connect() as db:
        rows = db.execute(text("SELECT * FROM auth_attempts ORDER BY id")).mappings().all()
    return [dict(row) for row in rows]


def simulate(voice: Voice, flow: str, *inputs: str, caller: str | None = None,
             customer: str | None = None, record: bool = False) -> dict[str, Any]:
    """``voice flows simulate FLOW --json`` with these caller inputs."""
    args = ["flows", "simulate", flow, "--at", TUESDAY, "--json"]
    if caller:
        args += ["--from", caller]
    if customer:
        args += ["--customer", customer]
    if not record:
        args.append("--no-record")
    for token in inputs:
        args += ["--input", token]
    result = voice(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def heard(run: dict[str, Any]) -> list[str]:
    """What the caller heard, in order."""
    return [line["text"] for line in run["dialogue"] if line["speaker"] == "ivr"]


def write_step_up(flows_dir: Path, methods: str) -> None:
    knowledge = "knowledge: [zip, dob]" if "knowledge" in methods else ""
    text_ = STEP_UP.replace("METHODS", methods).replace("KNOWLEDGE", knowledge)
    (flows_dir / "stepup.yaml").write_text(text_, encoding="utf-8")


# -- the verifier --------------------------------------------------------------------------

def test_account_and_right_pin_verify_with_display_fields_only(demo_customers: Services) -> None:
    result = verify(demo_customers, "account_pin", account=DANA, secret=DANA_PIN)

    assert result.verified and result.reason is None
    assert result.customer == {"id": "1", "first_name": "Dana", "last_name": "Smith",
                               "tier": "gold", "account": DANA}


def test_a_wrong_pin_does_not_verify(demo_customers: Services) -> None:
    result = verify(demo_customers, "account_pin", account=DANA, secret=LEE_PIN)

    assert what_the_flow_sees(result) == (False, "no-match", None)


def test_unknown_account_and_wrong_pin_look_the_same_except_in_the_audit(
        demo_customers: Services) -> None:
    unknown = verify(demo_customers, "account_pin", account="99990000", secret=DANA_PIN)
    wrong = verify(demo_customers, "account_pin", account=DANA, secret="0000")
    no_pin = verify(demo_customers, "account_pin", account=DANA, secret=None)

    assert what_the_flow_sees(unknown) == what_the_flow_sees(wrong) == (
        False, "no-match", None)
    assert what_the_flow_sees(no_pin) == (False, "no-match", None)
    rows = audit(demo_customers)
    assert [(r["method"], r["outcome"], r["reason"], r["account_masked"], r["customer_id"])
            for r in rows] == [
        ("account_pin", "failed", "unknown-account", "****0000", None),
        ("account_pin", "failed", "wrong-pin", "****1234", None),
        ("account_pin", "failed", "wrong-pin", "****1234", None),
    ]


def test_caller_id_identifies_a_customer_only_when_the_phone_is_theirs_alone(
        demo_customers: Services) -> None:
    assert demo_customers.customer_service is not None
    for account, first in (("30000001", "Sam"), ("30000002", "Alex")):
        demo_customers.customer_service.save(CustomerInput(
            account_number=account, first_name=first, last_name="Rivera",
            phones=("+1 555 012 3456",), pin="4711"))

    dana = verify(demo_customers, "ani", caller=DANA_PHONE)
    lee = verify(demo_customers, "ani", caller="2002")
    shared = verify(demo_customers, "ani", caller="+15550123456")
    unknown = verify(demo_customers, "ani", caller=STRANGER)

    assert dana.verified and dana.customer is not None
    assert dana.customer["first_name"] == "Dana"
    assert lee.verified and lee.customer is not None and lee.customer["first_name"] == "Lee"
    assert what_the_flow_sees(shared) == what_the_flow_sees(unknown) == (
        False, "no-match", None)
    assert [(r["method"], r["outcome"], r["reason"]) for r in audit(demo_customers)] == [
        ("ani", "verified", None), ("ani", "verified", None),
        ("ani", "failed", "shared-caller-id"), ("ani", "failed", "unknown-caller-id")]


def test_knowledge_answers_after_caller_id_identification(demo_customers: Services) -> None:
    identified = verify(demo_customers, "ani", caller=DANA_PHONE)
    assert identified.customer is not None
    dana_id = identified.customer["id"]

    def knowledge(**answers: str) -> bool:
        return verify(demo_customers, "knowledge", caller=DANA_PHONE, customer_id=dana_id,
                      answers=answers).verified

    assert knowledge(zip="10001")
    assert knowledge(zip="10001", dob="01151980")  # date of birth as typed: MMDDYYYY
    assert not knowledge(zip="10001", dob="19800115")
    assert not knowledge(zip="60601")
    # Lee has no date of birth on file: a dob question cannot be answered
    lee = verify(demo_customers, "knowledge", caller="2002", account=LEE,
                 answers={"zip": "60601", "dob": "01011990"})
    assert what_the_flow_sees(lee) == (False, "no-match", None)


def test_wrong_pins_lock_the_account_until_it_is_unlocked(demo_customers: Services) -> None:
    service = demo_customers.customer_service
    assert service is not None
    for _ in range(3):
        assert not verify(demo_customers, "account_pin", account=DANA, secret="0000").verified

    refused = verify(demo_customers, "account_pin", account=DANA, secret=DANA_PIN)

    assert what_the_flow_sees(refused) == (False, "locked", None)
    assert service.show(DANA)[0].locked
    assert not service.show(LEE)[0].locked
    assert verify(demo_customers, "account_pin", account=LEE, secret=LEE_PIN).verified
    service.unlock(DANA, actor="alice")
    assert not service.show(DANA)[0].locked
    assert verify(demo_customers, "account_pin", account=DANA, secret=DANA_PIN).verified
    dana_rows = [r for r in audit(demo_customers) if r["account_masked"] == "****1234"]
    assert [(r["outcome"], r["reason"], r["actor"]) for r in dana_rows] == [
        ("failed", "wrong-pin", None), ("failed", "wrong-pin", None),
        ("failed", "wrong-pin", None), ("locked", "locked", None),
        ("unlocked", "unlocked by alice", "alice"), ("verified", None, None)]


def test_wrong_answers_after_caller_id_lock_the_customer_until_unlocked(
        demo_customers: Services) -> None:
    service = demo_customers.customer_service
    assert service is not None

    def knowledge(zip_code: str) -> VerificationResult:
        return verify(demo_customers, "knowledge", caller=DANA_PHONE, customer_id="1",
                      answers={"zip": zip_code})

    for _ in range(3):
        assert knowledge("99999").reason == "no-match"
    assert knowledge("10001").reason == "locked"
    view, attempts = service.show(DANA)
    assert view.locked  # the admin sees the lock on the account number
    assert [(a.method, a.outcome) for a in attempts] == [("knowledge", "locked")] + [
        ("knowledge", "failed")] * 3

    service.unlock(DANA, actor="alice")

    assert not service.show(DANA)[0].locked
    assert knowledge("10001").verified


def test_a_success_ends_the_run_of_failures(demo_customers: Services) -> None:
    for _ in range(2):
        verify(demo_customers, "account_pin", account=DANA, secret="0000")
    assert verify(demo_customers, "account_pin", account=DANA, secret=DANA_PIN).verified
    for _ in range(2):
        verify(demo_customers, "account_pin", account=DANA, secret="0000")

    assert verify(demo_customers, "account_pin", account=DANA, secret=DANA_PIN).verified


def test_cli_unlock_lets_the_right_pin_verify_again(demo_customers: Services, voice: Voice) -> None:
    for _ in range(3):
        verify(demo_customers, "account_pin", account=LEE, secret="0000")
    assert verify(demo_customers, "account_pin", account=LEE, secret=LEE_PIN).reason == "locked"

    result = voice("customers", "unlock", LEE)

    assert result.exit_code == 0, result.output
    assert verify(demo_customers, "account_pin", account=LEE, secret=LEE_PIN).verified
    assert audit(demo_customers)[-2]["actor"] == "cli"


def test_one_caller_id_failing_across_accounts_is_limited(demo_customers: Services) -> None:
    for account in (DANA, DANA, LEE, LEE, "99990000"):
        assert not verify(demo_customers, "account_pin", account=account,
                          secret="0000").verified

    limited = verify(demo_customers, "account_pin", account=LEE, secret=LEE_PIN)
    other_caller = verify(demo_customers, "account_pin", caller="+15550143", account=LEE,
                          secret=LEE_PIN)

    assert what_the_flow_sees(limited) == (False, "limited", None)
    assert other_caller.verified  # neither account is locked: only that caller ID is refused
    assert [(r["outcome"], r["caller_id"]) for r in audit(demo_customers)[-2:]] == [
        ("limited", STRANGER), ("verified", "+15550143")]


def test_every_attempt_is_audited_without_any_secret(demo_customers: Services) -> None:
    typed = [("ani", {"caller": "2002"}),
             ("account_pin", {"account": LEE, "secret": LEE_PIN}),
             ("account_pin", {"account": LEE, "secret": "5150"}),
             ("account_pin", {"account": "77771111", "secret": "246813"}),
             ("knowledge", {"account": LEE, "answers": {"zip": "60601"}}),
             ("knowledge", {"account": LEE, "answers": {"zip": "99501"}}),
             ("knowledge", {"customer_id": "1", "answers": {"zip": "10001",
                                                            "dob": "01151980"}})]
    for number, (method, fields) in enumerate(typed):
        verify(demo_customers, method, call_id=f"call-{number}", **fields)

    rows = audit(demo_customers)

    assert [(r["call_id"], r["method"], r["outcome"]) for r in rows] == [
        ("call-0", "ani", "verified"), ("call-1", "account_pin", "verified"),
        ("call-2", "account_pin", "failed"), ("call-3", "account_pin", "failed"),
        ("call-4", "knowledge", "verified"), ("call-5", "knowledge", "failed"),
        ("call-6", "knowledge", "verified")]
    assert [r["account_masked"] for r in rows[1:6]] == ["****5678"] * 2 + ["****1111"] + [
        "****5678"] * 2
    dump = "\n".join(str(r) for r in rows)
    assert not contains_digits(dump, LEE_PIN, "5150", "246813", "60601", "99501", "10001",
                               "01151980", LEE, "77771111")


# -- whole simulated calls --------------------------------------------------------------------

def test_simulated_call_ends_verified_and_the_call_log_shows_it(
        demo_customers: Services, voice: Voice) -> None:
    result = voice("flows", "simulate", "main", "--at", TUESDAY, "--customer", DANA,
                   "--input", "1", "--input", f"{DANA}#", "--input", f"{DANA_PIN}#",
                   "--lookup", 'crm={"vip": false}', "--json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)

    assert run["auth"]["verified"] is True and run["auth"]["level"] == "strong"
    assert run["customer"]["account"] == "****1234"
    assert run["final"]["queue"] == "billing" and run["final"]["priority"] == 10  # gold
    listed = voice("calls", "list", "--json")
    assert listed.exit_code == 0, listed.output
    calls = json.loads(listed.stdout)
    assert len(calls) == 1 and calls[0]["id"] == run["call_id"]
    assert calls[0]["auth"] == {"verified": True, "outcome": "verified",
                                "method": "ani+account_pin", "level": "strong",
                                "customer_id": "1", "account": "****1234"}
    # the masked account ends in the same digits as Dana's PIN: look past it
    assert not contains_digits(listed.stdout.replace("****1234", "****"), DANA_PIN, DANA)
    attempts = [(r["call_id"], r["method"], r["outcome"]) for r in audit(demo_customers)]
    assert attempts == [(run["call_id"], "ani", "verified"),
                        (run["call_id"], "account_pin", "verified")]


def test_unknown_account_wrong_pin_and_locked_account_sound_the_same(
        demo_customers: Services, voice: Voice) -> None:
    unknown = simulate(voice, "main", "1", *["99990000#", f"{DANA_PIN}#"] * 3,
                       caller="+15550170")
    wrong = simulate(voice, "main", "1", *[f"{DANA}#", "0000#"] * 3, caller="+15550171")
    # the three wrong PINs locked Dana's account: now even the right PIN is refused
    locked = simulate(voice, "main", "1", *[f"{DANA}#", f"{DANA_PIN}#"] * 3,
                      caller="+15550172")

    assert heard(unknown) == heard(wrong) == heard(locked)
    lines = heard(wrong)
    assert lines.count("Sorry, that did not match our records. Let's try again.") == 2
    assert "Sorry, we could not verify your identity." in lines
    assert unknown["final"] == wrong["final"] == locked["final"] == {
        "type": "enqueue", "queue": "general", "priority": 0, "skills": []}
    assert unknown["auth"] == wrong["auth"] == {
        "verified": False, "identified": False, "method": None, "level": None,
        "customer_id": None, "reason": "no-match", "failed_attempts": 3}
    assert locked["auth"]["verified"] is False and locked["auth"]["reason"] == "locked"
    details = [(r["outcome"], r["reason"]) for r in audit(demo_customers)
               if r["method"] == "account_pin"]
    assert details == [("failed", "unknown-account")] * 3 + [("failed", "wrong-pin")] * 3 + [
        ("locked", "locked")] * 3


@pytest.mark.parametrize(("methods", "inputs", "auth"), [
    ("[ani, knowledge]", ("10001#", "01151980#"),
     {"method": "ani+knowledge", "level": "medium"}),
    ("[ani, account_pin]", (f"{DANA}#", f"{DANA_PIN}#"),
     {"method": "ani+account_pin", "level": "strong"}),
])
def test_step_up_after_caller_id_identification(
        demo_customers: Services, voice: Voice, flows_dir: Path, methods: str,
        inputs: tuple[str, ...], auth: dict[str, str]) -> None:
    write_step_up(flows_dir, methods)

    run = simulate(voice, "stepup", *inputs, caller=DANA_PHONE)

    assert run["auth"] == {"verified": True, "identified": True, "customer_id": "1",
                           "reason": None, "failed_attempts": 0, **auth}
    assert heard(run)[-1] == "Welcome Dana."
    shown = json.dumps(run).replace("****1234", "****")  # the masked account, not a PIN
    assert not contains_digits(shown, *(token.rstrip("#") for token in inputs[1:]))


def test_step_up_with_wrong_answers_goes_to_the_failure_branch(
        demo_customers: Services, voice: Voice, flows_dir: Path) -> None:
    write_step_up(flows_dir, "[ani, knowledge]")

    run = simulate(voice, "stepup", "10001#", "19800115#", "60601#", "01151980#",
                   caller=DANA_PHONE)

    assert heard(run) == [
        "Please enter the five digit ZIP code on your account.",
        "Please enter your date of birth as eight digits: month, day and year.",
        "Sorry, that did not match our records. Let's try again.",
        "Please enter the five digit ZIP code on your account.",
        "Please enter your date of birth as eight digits: month, day and year.",
        "Sorry, we could not verify your identity.",
        "Let me find someone to help you."]
    assert run["auth"]["verified"] is False and run["auth"]["identified"] is True
    assert run["auth"]["level"] == "weak" and run["auth"]["failed_attempts"] == 2


def test_a_shared_phone_does_not_identify_the_caller(
        demo_customers: Services, voice: Voice, flows_dir: Path) -> None:
    assert demo_customers.customer_service is not None
    for account, first in (("30000001", "Sam"), ("30000002", "Alex")):
        demo_customers.customer_service.save(CustomerInput(
            account_number=account, first_name=first, last_name="Rivera",
            phones=("+15550123456",), pin="4711"))
    write_step_up(flows_dir, "[ani, knowledge]")

    shared = simulate(voice, "stepup", "30000001#", "00000#", caller="+15550123456")
    alone = simulate(voice, "stepup", "10001#", "01151980#", caller=DANA_PHONE)

    assert heard(shared)[0] == "Please enter your account number, followed by the pound key."
    assert shared["auth"]["identified"] is False and shared["customer"] is None
    assert heard(alone)[0] == "Please enter the five digit ZIP code on your account."
