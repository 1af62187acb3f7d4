"""A search of everything the service keeps after Twilio calls for the secrets callers typed.

Two calls of the demo flows through the signed-webhook harness: ``main`` (1, then account
and a wrong PIN, then account and the right PIN: verified) and ``payments`` (a card number,
an expiry, an amount). The customer is added for this test so that its PIN occurs nowhere
else (the demo PIN 1234 is part of account 10001234 and of many other things). Afterwards
the PINs, the card number and the expiry must not appear as whole digit runs in any log
record (this process at DEBUG: the app, SQLAlchemy with its parameters, the lookups), any
column of any table, any TwiML reply, or any file under the test's folders (data folder with
the filed recordings and secret key, the SQLite database). Recordings are binary: a leak
there would be the digits as ASCII text, which is what the byte search looks for.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from leak_search import database_text, files_text, found
from twilio_harness import TwilioLine

from voice.customers.records import CustomerInput

ACCOUNT, PIN, WRONG_PIN = "55550001", "9731", "8264"
CARD, EXPIRY = "4000056655665556", "0731"
SECRETS = (PIN, WRONG_PIN, CARD, EXPIRY)


def _file_recording(line: TwilioLine, services, cloud) -> Path:
    """Twilio's recording-status callback for the call's recording; the filed WAV."""
    sid = services.call_service.store.load(line.call_sid).adapter["recording_sid"]
    response = line.post(f"/twilio/recording-status?call={line.call_sid}&kind=call", {
        "RecordingSid": sid, "RecordingUrl": cloud.recording_url(sid),
        "RecordingStatus": "completed", "RecordingChannels": "2", "RecordingDuration": "2"})
    assert response.status_code == 204, response.data
    [info] = services.recording_service._repository.list_for_call(line.call_sid)
    return info.file_in(services.settings.recordings_dir)


def test_no_pin_card_or_expiry_digits_in_logs_database_replies_or_files(
        twilio_app, clock, backend, twilio_cloud, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    for logger in ("", "voice", "sqlalchemy.engine"):  # create_app sets "voice" to INFO
        caplog.set_level(logging.DEBUG, logger=logger)  # SQL statements with parameters too
    services = twilio_app.extensions["voice"]
    services.customer_service.save(CustomerInput(
        account_number=ACCOUNT, first_name="Quinn", last_name="Leakfree", pin=PIN))
    client = twilio_app.test_client()

    billing = TwilioLine(client, clock, call_sid="CA" + "a" * 32)
    billing.run(["1", f"{ACCOUNT}#", f"{WRONG_PIN}#", f"{ACCOUNT}#", f"{PIN}#"])
    payment = TwilioLine(client, clock, call_sid="CA" + "b" * 32, to_number="1003")
    payment.run([f"{CARD}#", EXPIRY, "50#"])
    assert "confirmation number is T123." in " ".join(payment.heard)
    assert backend.charges[0]["card"] == CARD  # the processor, and only it, got the digits
    wavs = [_file_recording(line, services, twilio_cloud) for line in (billing, payment)]

    calls = {c.id: c for c in services.call_repository.list_calls()}
    auth = calls[billing.call_sid].auth
    assert auth is not None and (auth["verified"], auth["method"], auth["account"]) == (
        True, "account_pin", "****0001")  # caller ID unknown: account and PIN, 2nd attempt
    steps = {(s.node, s.outcome, s.input) for s in calls[payment.call_sid].path}
    assert {("card", "collected", "****5556"), ("expiry", "collected", "****")} <= steps

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "INSERT INTO auth_attempts" in logged and "event ivr.authenticated" in logged
    places = {"captured log": logged,
              "TwiML replies": "\n".join(billing.replies + payment.replies),
              **database_text(services.engine), **files_text(tmp_path)}
    assert all(str(wav) in places and wav.stat().st_size > 8000 for wav in wavs)
    assert found(ACCOUNT, places["table customers"])  # the search finds what is there
    leaks = {(secret, place): hits for place, data in places.items() for secret in SECRETS
             if (hits := found(secret, data))}
    assert leaks == {}
