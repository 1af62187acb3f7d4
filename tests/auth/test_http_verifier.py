"""``HttpVerifier`` against a real CRM stand-in served over HTTP on 127.0.0.1.

The stand-in (``http.server`` in a thread) knows one customer, checks the bearer token,
keeps every request it received and can be told to fail: HTTP 500, a slow answer, a body
that is not JSON or JSON of the wrong shape. The tests assert what the CRM received and what
the verifier answered, and that the PIN, the knowledge answers and the full account number
never reach a log record.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from voice.auth.http_verifier import HttpVerifier, display_fields, loggable_url
from voice.auth.verifier import VerificationResult
from voice.ivr.actions import VerifyCaller

TOKEN = "crm-token-0123456789"
ACCOUNT = "10001234"
PIN = "4821"
ZIP = "10001"
PHONE = "+15550123"
CUSTOMER = {"id": 42, "first_name": "Ada", "last_name": "Lovelace", "tier": "gold",
            "account": ACCOUNT, "segment": "retail", "balance": 12.5, "pin": PIN,
            "dob": "19701231", "zip_code": ZIP, "SSN": "123-45-6789", "vip": True,
            "notes": {"secret": "x"}, "phones": [PHONE]}


@dataclass
class Received:
    """One request the CRM stand-in received."""

    path: str
    authorization: str | None
    body: Any


@dataclass
class FakeCrm:
    """The stand-in's state: what it received and how it should answer next."""

    url: str = ""
    mode: str = "normal"  # normal | error | slow | not-json | bad-shape | unknown | locked
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """The CRM's decision for a well-formed, authorized request."""
        matched = (
            (body.get("method") == "ani" and body.get("caller_id") == PHONE)
            or (body.get("method") == "account_pin" and body.get("account") == ACCOUNT
                and body.get("secret") == PIN)
            or (body.get("method") == "knowledge" and body.get("account") == ACCOUNT
                and body.get("answers") == {"zip": ZIP}))
        if matched:
            return {"verified": True, "customer": CUSTOMER, "reason": None}
        return {"verified": False, "customer": CUSTOMER, "reason": "no-match"}


def _handler(crm: FakeCrm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = json.loads(raw) if raw else None
            authorization = self.headers.get("Authorization")
            crm.received.append(Received(self.path, authorization, body))
            if authorization != f"Bearer {TOKEN}":
                return self._send(401, b'{"error": "unauthorized"}')
            if crm.mode == "error":
                return self._send(500, b'{"error": "database down"}')
            if crm.mode == "slow":
                crm.release.wait(2.0)
            if crm.mode == "not-json":
                return self._send(200, b"<html>maintenance</html>")
            if crm.mode in ("unknown", "locked"):
                reason = "unknown-account" if crm.mode == "unknown" else "locked"
                return self._send(200, json.dumps({"verified": False, "reason": reason}).encode())
            if crm.mode == "bad-shape":
                return self._send(200, b'{"verified": "yes", "customer": null}')
            return self._send(200, json.dumps(crm.answer(body)).encode())

        def _send(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the verifier gave up (timeout) and closed the connection

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def crm() -> Iterator[FakeCrm]:
    """The CRM stand-in, listening on a free port of 127.0.0.1."""
    state = FakeCrm()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/verify"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A real HTTP client, as the service hands it in."""
    with httpx.Client() as http:
        yield http


@pytest.fixture
def verifier(crm: FakeCrm, client: httpx.Client) -> HttpVerifier:
    """An ``HttpVerifier`` pointed at the stand-in with the right token."""
    return HttpVerifier(client, crm.url, token=TOKEN, timeout=0.3)


def pin_request(pin: str = PIN) -> VerifyCaller:
    """An ``account_pin`` check of the known account."""
    return VerifyCaller(request="r1", method="account_pin", caller_id=PHONE, account=ACCOUNT,
                        secret=pin)


def assert_nothing_secret_logged(caplog: pytest.LogCaptureFixture) -> None:
    """No log record (message or arguments) holds the PIN, the ZIP or the full account."""
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        for value in (PIN, ZIP, ACCOUNT):
            assert value not in text, f"{value!r} leaked into {text!r}"


def unavailable_warning(caplog: pytest.LogCaptureFixture) -> str:
    """The one WARNING line the verifier wrote."""
    warnings = [r.getMessage() for r in caplog.records
                if r.name == "voice.auth.http_verifier" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    return warnings[0]


def test_account_pin_verified_keeps_display_fields_only(
        crm: FakeCrm, verifier: HttpVerifier, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = verifier.verify(pin_request(), call_id="call-1")
    assert result == VerificationResult(True, {
        "id": "42", "first_name": "Ada", "last_name": "Lovelace", "tier": "gold",
        "account": ACCOUNT, "segment": "retail", "balance": 12.5}, None)
    [received] = crm.received
    assert received.path == "/verify"
    assert received.authorization == f"Bearer {TOKEN}"
    assert received.body == {"method": "account_pin", "caller_id": PHONE, "account": ACCOUNT,
                             "secret": PIN, "call_id": "call-1"}
    assert_nothing_secret_logged(caplog)


def test_wrong_pin_is_not_verified_and_drops_the_customer(
        crm: FakeCrm, verifier: HttpVerifier, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert verifier.verify(pin_request("0000")) == \
        VerificationResult(False, None, "no-match", detail="no-match")
    assert crm.received[0].body["secret"] == "0000"
    assert "call_id" not in crm.received[0].body
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert_nothing_secret_logged(caplog)


def test_knowledge_answers_are_sent(
        crm: FakeCrm, verifier: HttpVerifier, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    request = VerifyCaller(request="r2", method="knowledge", caller_id=PHONE, account=ACCOUNT,
                           customer_id="42", answers={"zip": ZIP})
    result = verifier.verify(request, call_id="call-2")
    assert result.verified and result.customer is not None
    assert result.customer["id"] == "42" and "zip_code" not in result.customer
    assert crm.received[0].body == {"method": "knowledge", "caller_id": PHONE,
                                    "account": ACCOUNT, "customer_id": "42",
                                    "answers": {"zip": ZIP}, "call_id": "call-2"}
    wrong = VerifyCaller(request="r3", method="knowledge", caller_id=PHONE, account=ACCOUNT,
                         answers={"zip": "99999"})
    assert verifier.verify(wrong).reason == "no-match"
    assert_nothing_secret_logged(caplog)


def test_ani_sends_the_caller_id_only(crm: FakeCrm, verifier: HttpVerifier) -> None:
    result = verifier.verify(VerifyCaller(request="r4", method="ani", caller_id=PHONE))
    assert result.verified and result.customer and result.customer["first_name"] == "Ada"
    assert crm.received[0].body == {"method": "ani", "caller_id": PHONE}
    unknown = verifier.verify(VerifyCaller(request="r5", method="ani", caller_id="+15559999"))
    assert unknown == VerificationResult(False, None, "no-match", detail="no-match")


@pytest.mark.parametrize(("mode", "reason", "detail"), [
    ("unknown", "no-match", "unknown-account"),
    ("locked", "locked", "locked"),
])
def test_crm_reasons_reach_the_flow_only_when_generic(
        crm: FakeCrm, verifier: HttpVerifier, mode: str, reason: str, detail: str) -> None:
    crm.mode = mode
    assert verifier.verify(pin_request()) == VerificationResult(False, None, reason, detail)


def test_no_token_sends_no_authorization(crm: FakeCrm, client: httpx.Client) -> None:
    result = HttpVerifier(client, crm.url, token="", timeout=0.3).verify(pin_request())
    assert result == VerificationResult(False, None, "verifier-unavailable", detail="HTTP 401")
    assert crm.received[0].authorization is None


@pytest.mark.parametrize(("mode", "token", "problem"), [
    ("normal", "wrong-token", "HTTP 401"),
    ("error", TOKEN, "HTTP 500"),
    ("slow", TOKEN, "timed out after 0.3 s"),
    ("not-json", TOKEN, "not JSON"),
    ("bad-shape", TOKEN, "'verified' is missing or not a boolean"),
])
def test_crm_failures_are_verifier_unavailable(
        crm: FakeCrm, client: httpx.Client, caplog: pytest.LogCaptureFixture,
        mode: str, token: str, problem: str) -> None:
    caplog.set_level(logging.DEBUG)
    crm.mode = mode
    verifier = HttpVerifier(client, crm.url, token=token, timeout=0.3)
    result = verifier.verify(pin_request(), call_id="call-9")
    assert result.verified is False and result.customer is None
    assert result.reason == "verifier-unavailable" and problem in (result.detail or "")
    assert crm.received[0].authorization == f"Bearer {token}"
    line = unavailable_warning(caplog)
    assert crm.url in line and problem in line and "call-9" in line and "****1234" in line
    assert token not in line
    assert_nothing_secret_logged(caplog)


def test_crm_not_listening(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/verify"
    result = HttpVerifier(client, url, token=TOKEN, timeout=0.3).verify(pin_request())
    assert result.reason == "verifier-unavailable" and result.customer is None
    line = unavailable_warning(caplog)
    assert url in line and "ConnectError" in line
    assert_nothing_secret_logged(caplog)


def test_invalid_url_does_not_raise(client: httpx.Client,
                                    caplog: pytest.LogCaptureFixture) -> None:
    result = HttpVerifier(client, "not a url", token=TOKEN).verify(pin_request())
    assert result.reason == "verifier-unavailable" and not result.verified
    assert_nothing_secret_logged(caplog)


def test_display_fields_and_loggable_url() -> None:
    assert display_fields({"id": 7, "account": 1234, "Zip": "1", "shipping_pin": "2",
                           "password_hint": "x", "answer1": "y", "score": float("nan"),
                           "level": 3}) == {"id": "7", "account": "1234", "level": 3}
    assert loggable_url("https://user:pw@crm.example.com:8443/v1/verify?key=abc#x") == \
        "https://crm.example.com:8443/v1/verify"
