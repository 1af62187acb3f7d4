"""A stand-in for Twilio's voice platform: signed webhooks, TwiML followed verb by verb.

``TwilioLine`` posts form requests signed with the real ``twilio`` RequestValidator, parses
each TwiML reply and does what Twilio would: speaks ``<Say>`` (recorded as heard), posts a
``<Gather>``'s action with ``Digits``/``SpeechResult`` (or nothing, as
``actionOnEmptyResult``; without it, no input falls through to the next verb), follows
``<Redirect>``, posts ``<Record>`` and ``<Dial>`` actions, and sends the status callback when
the call ends. A ``<Dial>`` also sends its nouns' ``statusCallback`` events (``answered`` as
``CallStatus=in-progress``, ``completed``) and, when it records and ``cloud`` (the fake REST
API) is set, makes the recording there and posts its ``recordingStatusCallback``.
:meth:`TwilioLine.goto` is Twilio fetching a URL for the call: a REST redirect of a live
call, or an outbound call that was answered. The clock is frozen and moved on by the test.
"""

from __future__ import annotations

import json
import secrets
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from fakes.twilio_api import FakeTwilioApi
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC = "https://voice.example.test"
TUESDAY_10AM_NY = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
#: inputs that make the next <Dial> end this way (otherwise it is answered: "completed")
DIAL_OUTCOMES = ("busy", "no-answer", "failed", "canceled")


class Clock:
    """A frozen clock tests move on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


@dataclass
class TwilioLine:
    """One call placed through the fake Twilio (see module docstring)."""

    client: FlaskClient
    clock: Clock
    call_sid: str = "CA0000000000000000000000000000001"
    from_number: str = "+15550142"
    to_number: str = "+15550100"
    heard: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    ended: bool = False
    redirects: int = 0
    token: str = TOKEN
    status_url: str = "/twilio/status"
    cloud: FakeTwilioApi | None = None
    #: each <Dial> followed: (DialCallStatus, the dialled leg's CallSid)
    dialed: list[tuple[str, str]] = field(default_factory=list)

    def post(self, url: str, params: dict[str, str], *, signature: str | None = None):
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        absolute = PUBLIC + path
        params = {"CallSid": self.call_sid, "AccountSid": "AC123", **params}
        headers = {"X-Twilio-Signature": signature if signature is not None
                   else sign(absolute, params, self.token)}
        return self.client.post(path, data=params, headers=headers)

    def dial_in(self, query: str = "") -> ET.Element:
        response = self.post(f"/twilio/voice{query}", {
            "From": self.from_number, "To": self.to_number, "CallStatus": "ringing",
            "Direction": "inbound"})
        assert response.status_code == 200, response.data
        return self.parse(response)

    def parse(self, response) -> ET.Element:
        text = response.get_data(as_text=True)
        self.replies.append(text)
        return ET.fromstring(text)

    def run(self, inputs: list[str], *, max_redirects: int = 50) -> None:
        """Follow the call from the first reply, feeding ``inputs`` at each question."""
        todo = list(inputs)
        document = self.dial_in()
        while document is not None and not self.ended:
            document = self.follow(document, todo, max_redirects)

    def goto(self, url: str, inputs: list[str] | None = None, *,
             max_redirects: int = 50) -> None:
        """Twilio fetches ``url`` for this call (REST redirect, answered outbound call)."""
        todo = list(inputs or [])
        document = self.parse(self.post(url, {}))
        while document is not None and not self.ended:
            document = self.follow(document, todo, max_redirects)

    def follow(self, document: ET.Element, todo: list[str], max_redirects: int):
        for verb in document:
            if verb.tag == "Say":
                self.heard.append(verb.text or "")
            elif verb.tag == "Gather":
                for prompt in verb:
                    if prompt.tag == "Say":
                        self.heard.append(prompt.text or "")
                if verb.get("actionOnEmptyResult") != "true" and (
                        not todo or todo[0] == "timeout" or todo[0].startswith("wait:")):
                    if todo and todo[0] == "timeout":
                        todo.pop(0)
                    continue  # no input: Twilio goes on with the next verb
                if not todo:
                    return None  # the test stops the call here
                token = todo.pop(0)
                self.clock.advance(3)
                if token == "hangup":
                    self.hang_up()
                    return None
                params = {} if token == "timeout" else \
                    {"SpeechResult": token[4:], "Confidence": "0.9"} if token.startswith("say:") \
                    else {"Digits": token.rstrip("#") if verb.get("finishOnKey") == "#" else token}
                return self.parse(self.post(verb.get("action"), params))
            elif verb.tag == "Record":
                self.clock.advance(20)
                return self.parse(self.post(verb.get("action"), {
                    "RecordingSid": "RE" + "1" * 32, "RecordingDuration": "12",
                    "RecordingUrl": "https://api.twilio.com/rec/RE1"}))
            elif verb.tag == "Dial":
                return self.dial(verb, todo)
            elif verb.tag == "Redirect":
                self.redirects += 1
                if self.redirects > max_redirects:
                    return None
                if todo and todo[0] == "hangup":
                    todo.pop(0)
                    self.hang_up()
                    return None
                self.clock.advance(float(todo.pop(0)[5:]) if todo and todo[0].startswith(
                    "wait:") else 25)
                return self.parse(self.post(verb.text or "", {}))
            elif verb.tag == "Hangup":
                self.hang_up()
                return None
        self.hang_up()  # Twilio ends the call when the TwiML runs out
        return None

    def dial(self, verb: ET.Element, todo: list[str]):
        """Ring the nouns; answered ("completed") unless the next input says otherwise."""
        status = todo.pop(0) if todo and todo[0] in DIAL_OUTCOMES else "completed"
        leg = "CA" + secrets.token_hex(16)
        nouns = [noun for noun in verb if noun.tag in ("Client", "Sip", "Number")]
        answered = status == "completed"
        if answered:
            self._noun_status(nouns, leg, "answered", "in-progress")
        self.clock.advance(30)
        self._noun_status(nouns, leg, "completed", status)
        record = verb.get("record", "")
        if answered and record.startswith("record-from-answer") and self.cloud is not None:
            channels = 2 if record.endswith("dual") else 1
            sid = self.cloud.add_recording(self.call_sid, channels=channels)
            response = self.post(verb.get("recordingStatusCallback") or "", {
                "RecordingSid": sid, "RecordingUrl": self.cloud.recording_url(sid),
                "RecordingStatus": "completed", "RecordingChannels": str(channels),
                "RecordingDuration": "2", "RecordingSource": "DialVerb"})
            assert response.status_code == 204, response.data
        self.dialed.append((status, leg))
        return self.parse(self.post(verb.get("action"), {"DialCallStatus": status,
                                                         "DialCallSid": leg}))

    def _noun_status(self, nouns: list[ET.Element], leg: str, event: str,
                     status: str) -> None:
        for noun in nouns:
            url = noun.get("statusCallback")
            if url and event in (noun.get("statusCallbackEvent") or "completed").split():
                response = self.post(url, {"CallSid": leg, "ParentCallSid": self.call_sid,
                                           "CallStatus": status})
                assert response.status_code == 204, response.data

    def hang_up(self) -> None:
        response = self.post(self.status_url, {"CallStatus": "completed",
                                               "CallDuration": "60"})
        assert response.status_code == 204, response.data
        self.ended = True


class _Backend(BaseHTTPRequestHandler):
    """The demo flows' CRM and payment processor, on loopback."""

    slow_seconds = 0.0

    def _reply(self, body: object) -> None:
        time.sleep(self.slow_seconds)
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a slow reply the service already gave up on: what the timeout tests want

    def do_GET(self) -> None:
        self._reply({"vip": self.path.endswith("/2")})  # Lee Park, demo customer id 2

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        charge = json.loads(self.rfile.read(length) or b"{}")
        self.server.charges.append(charge)  # type: ignore[attr-defined]
        self._reply({"approved": True, "confirmation": "T123"})

    def log_message(self, *args: object) -> None:
        pass


