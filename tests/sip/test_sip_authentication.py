"""Callers verified by account and PIN on a SIP call (SIPp, digits by SIP INFO), and a search
of everything the service wrote for the secrets those callers typed.

The ``authline`` flow asks for an account number and PIN (checked by ``services.verifier``
against the customers table in the site's database, which the worker processes share), then
a 16-digit card number in a sensitive gather. The leak search runs the workers at DEBUG and
then looks for the PINs and the card number as whole digit runs in the worker logs, the log
records of this process, every column of every table and every file the service wrote
(data folder, database file, prompt cache). Recordings are binary: a leak there would be the
digits as ASCII text, which is what the byte search looks for.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from demo_data import import_demo_customers
from leak_search import database_text, files_text, found
from sip_harness import Caller, SipSite, ended_call, open_site

from voice.calls.records import CallRecord
from voice.cli import main
from voice.customers.records import CustomerInput

# A customer whose secrets occur nowhere else (the demo PIN 1234 is part of account 10001234).
ACCOUNT, PIN, WRONG_PIN, CARD = "55550001", "9731", "8264", "4000056655665556"
SECRETS = (PIN, WRONG_PIN, CARD)


@pytest.fixture
def site(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[SipSite]:
    for logger in ("", "sqlalchemy.engine"):  # everything this process logs, SQL included
        caplog.set_level(logging.DEBUG, logger=logger)
    for opened in open_site(tmp_path, ["authline"], "sipp", "espeak-ng", "sox"):
        assert opened.services is not None and opened.services.customer_service is not None
        import_demo_customers(opened.services)
        opened.services.customer_service.save(CustomerInput(
            account_number=ACCOUNT, first_name="Quinn", last_name="Leakfree", pin=PIN))
        yield opened


def _call(site: SipSite, tmp_path: Path, steps: list[tuple]) -> CallRecord:
    """One SIPp call to the authline (2100); the call log's record once it ended."""
    worker = site.workers[0] if site.workers else site.start_worker()
    result = Caller(steps, number="2100").call(worker.port, tmp_path / "caller")
    assert result.returncode == 0, result.stdout + worker.output()
    return ended_call(site)


def _entry(account: str, pins: list[str], card: str | None = None) -> list[tuple]:
    """Caller steps: account and PIN for each attempt, the card once verified, then the BYE.

    Digits reach the worker only while a gather is open (keys typed during the prompt barge
    in), so each entry waits for the service's next question: the greeting and account prompt,
    the PIN prompt, the argon2 check and the next prompt.
    """
    steps: list[tuple] = []
    for pin in pins:
        steps += [("wait", 3000), ("info", f"{account}#"), ("wait", 1500), ("info", f"{pin}#")]
    if card is not None:
        steps += [("wait", 2000), ("info", f"{card}#")]
    return [*steps, ("expect_bye", 20000)]


def _steps(call: CallRecord) -> list[tuple[str, str | None, str | None]]:
    return [(s.node, s.outcome, s.input) for s in call.path]


def _listed(site: SipSite) -> list[dict]:
    listed = CliRunner().invoke(main, ["calls", "list", "--channel", "sip", "--json"],
                                env=site.env)
    assert listed.exit_code == 0, listed.output
    return json.loads(listed.stdout)


def test_a_caller_with_the_right_pin_is_verified_and_enters_a_card(
        site: SipSite, tmp_path: Path) -> None:
    call = _call(site, tmp_path, _entry("10001234", ["1234"], "4111111111111111"))
    assert [(n, o) for n, o, _ in _steps(call)] == [
        ("hello", "said"), ("auth", "verified"), ("card", "collected"), ("thanks", "said"),
        ("bye", "hangup")], site.workers[0].output()
    assert ("auth", "verified", "****1234") in _steps(call)  # the account, masked
    assert ("card", "collected", "****1111") in _steps(call)
    [listed] = _listed(site)
    assert listed["id"] == call.id and listed["to_number"] == "2100"
    assert listed["auth"] == {"verified": True, "outcome": "verified", "method": "account_pin",
                              "level": "strong", "customer_id": "1", "account": "****1234"}


def test_a_wrong_pin_twice_takes_the_failure_path(site: SipSite, tmp_path: Path) -> None:
    call = _call(site, tmp_path, _entry("10001234", ["4321", "4321"]))
    assert [(n, o) for n, o, _ in _steps(call)] == [
        ("hello", "said"), ("auth", "failed"), ("refused", "said"), ("bye", "hangup")], \
        site.workers[0].output()
    [listed] = _listed(site)
    assert listed["auth"]["verified"] is False and listed["auth"]["outcome"] == "failed"
    assert listed["auth"]["method"] is None and listed["auth"]["customer_id"] is None
    # both attempts were audited (what `voice customers show` lists), the account masked
    assert site.services is not None and site.services.customer_service is not None
    audited = site.services.customer_service.attempts.list(call_id=call.id)
    assert [(a.outcome, a.reason, a.account) for a in audited] == [
        ("failed", "wrong-pin", "****1234")] * 2


# --- the leak search --------------------------------------------------------------------

def test_no_pin_or_card_digits_in_logs_database_or_files(
        site: SipSite, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site.extra_env["VOICE_LOG_LEVEL"] = "DEBUG"  # the most the workers ever log
    worker = site.start_worker()
    # a wrong PIN, then the right one, then the card; the account typed twice
    call = _call(site, tmp_path, _entry(ACCOUNT, [WRONG_PIN, PIN], CARD))
    assert [(n, o) for n, o, _ in _steps(call)] == [
        ("hello", "said"), ("auth", "verified"), ("card", "collected"), ("thanks", "said"),
        ("bye", "hangup")], worker.output()
    auth = next(s for s in call.path if s.node == "auth")
    assert auth.input == "****0001" and auth.detail is not None \
        and auth.detail["method"] == "account_pin"
    assert ("card", "collected", "****5556") in _steps(call)  # masked in the path
    assert call.auth is not None and call.auth["verified"] is True
    worker.stop()  # its log and the recording are complete
    assert site.services is not None and site.services.recording_service is not None
    recordings = site.services.recording_service._repository.list_for_call(call.id)
    assert [r.kind for r in recordings] == ["call"]
    wav = site.services.recording_service.recordings_dir / recordings[0].path
    assert wav.stat().st_size > 16000  # seconds of audio: there was something to search

    logs = worker.output()
    assert " DEBUG voice.sip." in logs  # the search sees the workers' debug lines
    records = caplog.get_records("setup") + caplog.records
    assert any("INSERT INTO customers" in r.getMessage() for r in records)
    places = {"worker log": logs, "captured log": "\n".join(r.getMessage() for r in records),
              **database_text(site.services.engine),
              **files_text(site.root, tmp_path / "prompts-cache")}
    assert str(wav) in places and any(name.endswith("voice.db") for name in places)
    assert found(ACCOUNT, places["table customers"])  # the search finds what is there
    leaks = {(secret, place): hits for place, data in places.items() for secret in SECRETS
             if (hits := found(secret, data))}
    assert leaks == {}
