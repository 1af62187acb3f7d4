"""Whole calls of the demo flow through the Twilio front end, as Twilio would drive them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from click.testing import CliRunner
from twilio_harness import PUBLIC, TwilioLine, sign

from voice.cli import main


def _calls(app) -> list:
    return app.extensions["voice"].call_repository.list_calls()


def _path(app) -> list[tuple[str, str | None]]:
    (call,) = _calls(app)
    return [(step.node, step.outcome) for step in call.path]


def test_menu_by_key_to_billing_with_pin_then_queue(twilio_app, line: TwilioLine) -> None:
    line.from_number = "+15551230001"  # Dana, a gold demo customer
    line.run(["1", "10001234#", "1234#"])
    assert line.heard[0] == "Thanks for calling Acme. Calls are recorded for quality and training."
    assert "Please enter your PIN, followed by the pound key." in line.heard
    first = line.replies[0]
    assert f'action="{PUBLIC}/twilio/gather?call={line.call_sid}&amp;req=main_menu%3Ainput%3A1"' \
        in first
    assert 'input="dtmf speech"' in first and 'hints="billing,support,payment,claims,' \
        'espanol,agent"' in first and 'actionOnEmptyResult="true"' in first
    assert ("You are number 1 in line. All our agents are busy right now. Please stay on "
            "the line.") in line.heard  # nobody staffs billing
    assert [step for step in _path(twilio_app)] == [
        ("greeting", "said"), ("hours", "open"), ("main_menu", "1"), ("auth", "verified"),
        ("crm", "ok"), ("vip", "if customer.tier == 'gold' or vars.crm.vip"),
        ("billing_priority", "timeout"), ("voicemail", "recorded"), ("goodbye", "hangup")]
    settings = twilio_app.extensions["voice"].settings
    listed = CliRunner().invoke(main, ["calls", "list", "--json"], env={
        "VOICE_DATABASE_URL": settings.database_url, "VOICE_DATA_DIR": str(settings.data_dir)})
    assert listed.exit_code == 0, listed.output
    [call] = json.loads(listed.stdout)
    assert call["auth"] == {"verified": True, "outcome": "verified", "method": "ani+account_pin",
                            "level": "strong", "customer_id": "1", "account": "****1234"}


def test_menu_by_speech_and_zip(twilio_app, line: TwilioLine) -> None:
    line.run(["say:technical support please", "10001#", "hangup"])
    assert [node for node, _ in _path(twilio_app)] == [
        "greeting", "hours", "main_menu", "support_zip", "support"]
    (call,) = _calls(twilio_app)
    assert call.channel == "twilio" and call.id == line.call_sid
    assert call.outcome == "caller-hangup" and call.path[-1].outcome == "abandoned"


def test_no_input_retries_then_agents(twilio_app, line: TwilioLine) -> None:
    line.run(["timeout", "timeout", "timeout", "hangup"])
    assert line.heard.count("Sorry, I did not hear a choice.") == 2
    assert _path(twilio_app)[2] == ("main_menu", "no-input")
    assert _path(twilio_app)[3][0] == "agents"


def test_after_hours_voicemail_with_frozen_time(twilio_app, line: TwilioLine, clock) -> None:
    clock.now = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # Sunday noon in New York
    line.run([])
    assert line.heard[1].startswith("Our office is closed.")
    assert "Please leave your name, number and a short message after the tone." in line.heard
    assert line.heard[-1] == "Thank you for calling Acme. Goodbye."
    record = next(r for r in line.replies if "<Record" in r)
    assert 'maxLength="120"' in record and 'playBeep="true"' in record
    assert f'recordingStatusCallback="{PUBLIC}/twilio/recording-status?call=' in record
    assert [n for n, _ in _path(twilio_app)] == ["greeting", "hours", "after_hours",
                                                  "voicemail", "goodbye"]
    (call,) = _calls(twilio_app)
    assert call.outcome == "flow" and call.ended_at is not None


def test_transfer_busy_goes_to_voicemail_connected_ends(twilio_app, line: TwilioLine) -> None:
    line.run(["4", "busy"])
    dial = next(r for r in line.replies if "<Dial" in r)
    assert "<Sip>sip:claims@partner.example.com</Sip>" in dial and 'timeout="30"' in dial
    assert ("claims", "failed") in _path(twilio_app)
    assert ("voicemail", "recorded") in _path(twilio_app)
    other = TwilioLine(line.client, line.clock, call_sid="CA" + "2" * 32)
    other.run(["4"])
    call = next(c for c in _calls(twilio_app) if c.id == other.call_sid)
    assert [(s.node, s.outcome) for s in call.path][-1] == ("claims", "connected")
    assert other.replies[-1].endswith("<Hangup /></Response>")


def test_queue_hold_reannounces_and_times_out_to_voicemail(twilio_app, line) -> None:
    line.run(["0", "wait:200", "wait:200", "wait:250"])
    holds = [r for r in line.replies if "/twilio/queue?" in r]
    assert len(holds) >= 3
    assert line.heard.count("You are number 1 in line. All our agents are busy right now. "
                            "Please stay on the line.") >= 1
    assert ("agents", "timeout") in _path(twilio_app)
    assert ("voicemail", "recorded") in _path(twilio_app)


def test_second_caller_in_the_same_queue_hears_position_two(twilio_app, clock) -> None:
    first = TwilioLine(twilio_app.test_client(), clock, call_sid="CA" + "a" * 32)
    first.run(["0"], max_redirects=1)
    second = TwilioLine(twilio_app.test_client(), clock, call_sid="CA" + "b" * 32)
    second.run(["0"], max_redirects=1)
    assert ("You are number 2 in line. All our agents are busy right now. Please stay on "
            "the line.") in second.heard


def test_hang_up_mid_flow_ends_the_call_and_keeps_the_path(twilio_app, line) -> None:
    line.run(["1", "hangup"])
    (call,) = _calls(twilio_app)
    assert call.outcome == "caller-hangup" and call.ended_at is not None
    assert [(s.node, s.outcome) for s in call.path][-1] == ("auth", "hangup")


def test_repeated_delivery_does_not_advance_the_flow_twice(twilio_app, line) -> None:
    document = line.dial_in()
    action = document.find("Gather").get("action")
    first = line.post(action, {"Digits": "2"})
    again = line.post(action, {"Digits": "2"})
    assert first.status_code == again.status_code == 200
    assert first.data == again.data
    assert [n for n, _ in _path(twilio_app)] == ["greeting", "hours", "main_menu"]
    # the flow is at support_zip exactly once: its gather is the live one
    state = twilio_app.extensions["voice"].call_service.store.load(line.call_sid).state
    assert state.node == "support_zip"


def test_unknown_number_gets_a_polite_goodbye(twilio_app, line) -> None:
    line.to_number = "+19999999999"
    document = line.dial_in()
    assert [v.tag for v in document] == ["Say", "Hangup"]
    assert "not in service" in document[0].text
    assert _calls(twilio_app) == []


def test_flow_override_in_the_url(twilio_app, line) -> None:
    document = line.dial_in("?flow=payments")
    assert document[0].text == "To make a payment by card, have your card ready."


def test_card_digits_are_masked_and_sealed_in_the_database(twilio_app, line, backend) -> None:
    card = "4111111111111111"
    line.run(["3", card + "#", "1228", "50#"])
    services = twilio_app.extensions["voice"]
    with services.engine.connect() as db:
        from sqlalchemy import text
        dump = " ".join(str(row) for table in ("calls", "call_events", "ivr_sessions")
                        for row in db.execute(text(f"SELECT * FROM {table}")))
    # Whole digit runs only: random hex ids (session tokens, hashes) may contain "1228".
    assert not any(re.search(rf"(?<![0-9A-Za-z]){s}(?![0-9A-Za-z])", dump)
                   for s in (card, "1228"))
    assert "****1111" in dump
    assert ("charge", "ok") in [(s.node, s.outcome) for s in _calls(twilio_app)[0].path]
    assert backend.charges == [{"card": card, "expiry": "1228", "amount": "50",
                                "caller": "+15550142"}]  # the processor got the digits
    assert "confirmation number is T123." in " ".join(line.heard)


def test_a_slow_lookup_runs_on_error_within_the_budget(twilio_app, line, backend) -> None:
    from twilio_harness import _Backend
    _Backend.slow_seconds = 2.0  # the budget in this app is 0.5 s
    line.from_number = "+15551230002"
    line.run(["1", "20005678#", "8642#"], max_redirects=0)
    (call,) = _calls(twilio_app)
    crm = next(s for s in call.path if s.node == "crm")
    assert crm.outcome == "error" and crm.detail["error"] in (
        "no answer within 0.5 s", "timed out after 0.5 s")  # the budget, whichever trips
    assert (call.path[-1].node, call.path[-1].outcome) == ("vip", "else")  # on_error: vip
    state = twilio_app.extensions["voice"].call_service.store.load(line.call_sid).state
    assert state.node == "billing"  # ... and on to the queue, where the caller waits


def test_signatures_missing_forged_or_for_changed_parameters_get_403(twilio_app, line) -> None:
    params = {"From": "+15550142", "To": "+15550100"}
    assert line.post("/twilio/voice", params, signature="").status_code == 403
    assert line.post("/twilio/voice", params, signature="Zm9yZ2Vk").status_code == 403
    good = sign(PUBLIC + "/twilio/voice", {"CallSid": line.call_sid, "AccountSid": "AC123",
                                           **params})
    changed = {**params, "To": "+15550101"}
    assert line.post("/twilio/voice", changed, signature=good).status_code == 403
    wrong_token = sign(PUBLIC + "/twilio/voice", {"CallSid": line.call_sid,
                                                  "AccountSid": "AC123", **params}, "nope")
    assert line.post("/twilio/voice", params, signature=wrong_token).status_code == 403
    assert _calls(twilio_app) == []
    assert line.post("/twilio/voice", params, signature=good).status_code == 200


def test_missing_parameters_get_400(twilio_app, line) -> None:
    response = line.post("/twilio/voice", {"From": "+15550142"})
    assert response.status_code == 400
    assert b"missing form field 'To'" in response.data
    response = line.post("/twilio/gather?req=x", {"Digits": "1"})
    assert response.status_code == 400 and b"query parameter 'call'" in response.data
    line.dial_in()
    response = line.post(f"/twilio/record?call={line.call_sid}&req=r",
                         {"RecordingDuration": "twelve"})
    assert response.status_code == 400 and b"'RecordingDuration' must be a number" \
        in response.data


def test_an_internal_error_gives_the_caller_an_apology_not_a_500(twilio_app, line,
                                                                 monkeypatch) -> None:
    line.dial_in()
    services = twilio_app.extensions["voice"]

    def broken(*_args, **_kwargs):
        raise RuntimeError("verifier exploded")

    monkeypatch.setattr(services.call_service.verifier, "verify", broken)
    action = ET_action(line.replies[-1])
    response = line.post(action, {"Digits": "1"})
    assert response.status_code == 200
    assert b"something went wrong on our side" in response.data and b"<Hangup" in response.data
    (call,) = _calls(twilio_app)
    assert call.outcome == "error"


def ET_action(reply: str) -> str:
    import xml.etree.ElementTree as ET
    return ET.fromstring(reply).find("Gather").get("action")
