"""A fake of Twilio's REST API, served over real HTTP on 127.0.0.1, for tests.

Twilio's cloud cannot run here, so this plays the part of ``api.twilio.com`` for the few
endpoints the service uses, answering the way Twilio documents them (JSON bodies, RFC 2822
dates, Twilio error objects ``{code, message, more_info, status}``):

- ``POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json``: start a
  recording of a live call (201, status ``in-progress``);
- ``POST .../Calls/{CallSid}/Recordings/{Sid}.json``: ``Status=paused|in-progress|stopped``;
- ``GET /2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json``: the recording's metadata;
- ``GET /2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.wav``: its audio, a generated
  8 kHz 16-bit WAV (two channels for a dual recording: a different tone on each);
- ``POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json``: modify a live call
  (``Url``/``Method``: leave the current TwiML for that URL; ``Status=completed|canceled``);
- ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json``: place an outbound call (``To``
  ``client:ID``, a SIP URI or a number; ``From``; ``Url``; ``StatusCallback``...), 201 with
  a new CallSid (:meth:`FakeTwilioApi.placed_calls`).

Every request needs HTTP basic auth with the fake's account sid and auth token (401
otherwise) and is kept in :attr:`FakeTwilioApi.requests` for tests to assert on. Tests can
make the next answers fail (:meth:`FakeTwilioApi.fail_next`), end a call so it is unknown
(:meth:`FakeTwilioApi.end_call`), add a finished recording such as a voicemail made by
``<Record>`` (:meth:`FakeTwilioApi.add_recording`) and replace a recording's audio
(:meth:`FakeTwilioApi.set_media`). The real ``twilio`` client and ``httpx`` talk to it; it
is a test double, not a mock: nothing in the code under test knows it is there.
"""

from __future__ import annotations

import io
import json
import math
import secrets
import threading
import wave
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
SAMPLE_RATE = 8000
TONES_HZ = (440.0, 697.0)  # left (caller), right (IVR/agent)
_BASE = "/2010-04-01/Accounts/<account>"


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received: ``form`` has each field's first value."""

    method: str
    path: str
    form: dict[str, str]
    form_lists: dict[str, list[str]]
    authorized: bool


@dataclass
class FakeRecording:
    """A recording the fake knows: its call, state and audio."""

    sid: str
    call_sid: str
    channels: int
    status: str
    media: bytes
    seconds: float
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    status_callback: str | None = None
    history: list[str] = field(default_factory=list)


class FakeTwilioApi:
    """The fake's state and WSGI app; :func:`serve_fake_twilio` puts it on a port."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN,
                 *, recording_seconds: float = 1.5) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.recording_seconds = recording_seconds
        self.url = ""  # http://127.0.0.1:PORT once served
        self.requests: list[RecordedRequest] = []
        self.recordings: dict[str, FakeRecording] = {}
        self._ended_calls: set[str] = set()
        self._failures: list[tuple[int, str]] = []
        self._lock = threading.Lock()
        self._routes = Map([
            Rule(f"{_BASE}/Calls/<call>/Recordings.json", endpoint="create", methods=["POST"]),
            Rule(f"{_BASE}/Calls/<call>/Recordings/<sid>.json", endpoint="update",
                 methods=["POST"]),
            Rule(f"{_BASE}/Recordings/<sid>.json", endpoint="fetch", methods=["GET"]),
            Rule(f"{_BASE}/Recordings/<sid>.wav", endpoint="media", methods=["GET"]),
            Rule(f"{_BASE}/Calls/<call>.json", endpoint="modify_call", methods=["POST"]),
            Rule(f"{_BASE}/Calls.json", endpoint="place_call", methods=["POST"]),
        ])
        self.calls: dict[str, dict[str, Any]] = {}  # placed by the service: sid -> form

    # ---- what tests use -------------------------------------------------------------

    def settings_env(self) -> dict[str, str]:
        """Environment variables pointing the service at this fake (for ``settings_for``)."""
        return {
            "VOICE_TWILIO_API_URL": self.url,
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
        }

    def fail_next(self, status: int = 500, *, times: int = 1, message: str = "") -> None:
        """Answer the next ``times`` requests (any endpoint) with ``status`` and an error."""
        with self._lock:
            self._failures.extend([(status, message or f"Injected failure {status}")] * times)

    def end_call(self, call_sid: str) -> None:
        """Forget a live call: starting a recording of it now gets Twilio's 404."""
        with self._lock:
            self._ended_calls.add(call_sid)

    def add_recording(self, call_sid: str, *, channels: int = 1,
                      seconds: float | None = None) -> str:
        """A completed recording of ``call_sid`` (e.g. a voicemail); returns its sid."""
        return self._new_recording(call_sid, channels, "completed", seconds, None).sid

    def recording_url(self, sid: str) -> str:
        """The ``RecordingUrl`` Twilio's callback would carry: no extension."""
        return f"{self.url}/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}"

    def media(self, sid: str) -> bytes:
        """The audio the fake serves for ``sid``."""
        return self.recordings[sid].media

    def set_media(self, sid: str, data: bytes) -> None:
        """Serve ``data`` as the audio of ``sid`` (e.g. something that is not a WAV)."""
        self.recordings[sid].media = data

    def requests_to(self, suffix: str, method: str = "POST") -> list[RecordedRequest]:
        """The recorded requests whose path ends with ``suffix``."""
        return [r for r in self.requests if r.method == method and r.path.endswith(suffix)]

    def redirects(self, call_sid: str) -> list[str]:
        """The URLs the service moved live call ``call_sid`` to, in order."""
        return [r.form["Url"] for r in self.requests_to(f"/Calls/{call_sid}.json")
                if "Url" in r.form]

    def placed_calls(self) -> list[tuple[str, dict[str, str]]]:
        """The outbound calls the service placed: (CallSid, request form), in order."""
        with self._lock:
            return [(sid, dict(form)) for sid, form in self.calls.items()]

    # ---- WSGI -----------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The WSGI entry point."""
        return self._respond(Request(environ))(environ, start_response)

    def _respond(self, request: Request) -> Response:
        auth = request.authorization
        authorized = bool(auth and auth.username == self.account_sid
                          and auth.password == self.auth_token)
        form = request.form if request.method == "POST" else request.args
        with self._lock:
            self.requests.append(RecordedRequest(
                request.method, request.path,
                {key: form.get(key, "") for key in form},
                {key: form.getlist(key) for key in form}, authorized,
            ))
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return _error(failure[0], failure[0] * 100, failure[1])
        if not authorized:
            return _error(401, 20003, "Authenticate")
        try:
            endpoint, args = self._routes.bind_to_environ(request.environ).match()
        except NotFound:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        except MethodNotAllowed:
            return _error(405, 20004, "Method not allowed")
        except HTTPException as exc:  # pragma: no cover - routing redirects
            return _error(exc.code or 400, 20001, str(exc))
        if args.pop("account") != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        return getattr(self, f"_{endpoint}")(request, **args)

    def _create(self, request: Request, call: str) -> Response:
        with self._lock:
            if not call.startswith("CA") or call in self._ended_calls:
                return _error(404, 20404, f"The requested resource Call {call} was not found")
        channels = request.form.get("RecordingChannels", "mono")
        if channels not in ("mono", "dual"):
            return _error(400, 21222, f"RecordingChannels '{channels}' is not mono or dual")
        events = request.form.getlist("RecordingStatusCallbackEvent")
        if any(e not in ("in-progress", "completed", "absent") for e in events):
            return _error(400, 21222, f"Invalid RecordingStatusCallbackEvent {events}")
        callback = request.form.get("RecordingStatusCallback")
        if callback is not None and not callback.startswith(("http://", "https://")):
            return _error(400, 21222, "RecordingStatusCallback must be an absolute URL")
        recording = self._new_recording(call, 2 if channels == "dual" else 1, "in-progress",
                                        None, callback)
        return _json(201, self._resource(recording))

    def _update(self, request: Request, call: str, sid: str) -> Response:
        recording = self.recordings.get(sid)
        if recording is None or recording.call_sid != call:
            return _error(404, 20404, f"The requested resource Recording {sid} was not found")
        status = request.form.get("Status", "")
        if status not in ("paused", "in-progress", "stopped"):
            return _error(400, 21222, f"Status '{status}' is not paused, in-progress or stopped")
        behavior = request.form.get("PauseBehavior")
        if behavior is not None and behavior not in ("skip", "silence"):
            return _error(400, 21222, f"PauseBehavior '{behavior}' is not skip or silence")
        with self._lock:
            recording.status = status
            recording.history.append(status)
        return _json(200, self._resource(recording))

    def _fetch(self, request: Request, sid: str) -> Response:
        recording = self.recordings.get(sid)
        if recording is None:
            return _error(404, 20404, f"The requested resource Recording {sid} was not found")
        return _json(200, self._resource(recording))

    def _media(self, request: Request, sid: str) -> Response:
        recording = self.recordings.get(sid)
        if recording is None:
            return _error(404, 20404, f"The requested resource Recording {sid} was not found")
        return Response(recording.media, status=200, content_type="audio/x-wav")

    def _modify_call(self, request: Request, call: str) -> Response:
        with self._lock:
            if not call.startswith("CA") or call in self._ended_calls:
                return _error(404, 20404, f"The requested resource Call {call} was not found")
        url, status = request.form.get("Url"), request.form.get("Status")
        if url is None and status is None and request.form.get("Twiml") is None:
            return _error(400, 21220, "Invalid call state: give Url, Twiml or Status")
        if url is not None and not url.startswith(("http://", "https://")):
            return _error(400, 21205, f"Url is not a valid URL: {url}")
        if request.form.get("Method", "POST") not in ("GET", "POST"):
            return _error(400, 21222, "Method must be GET or POST")
        if status is not None and status not in ("canceled", "completed"):
            return _error(400, 21218, f"Status '{status}' is not canceled or completed")
        return _json(200, self._call_resource(call, {}, "in-progress"))

    def _place_call(self, request: Request) -> Response:
        form = {key: request.form.get(key, "") for key in request.form}
        to, from_ = form.get("To", ""), form.get("From", "")
        if not to.startswith(("client:", "sip:", "+")):
            return _error(400, 21201, f"Invalid 'To' {to!r}: a number, client:ID or sip:URI")
        if not from_.startswith(("+", "client:")) and not from_.isdigit():
            return _error(400, 21212, f"Invalid 'From' {from_!r}: a number you own")
        if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
            return _error(400, 21205, "Url, Twiml or ApplicationSid is required")
        for key in ("Url", "StatusCallback"):
            if form.get(key) and not form[key].startswith(("http://", "https://")):
                return _error(400, 21205, f"{key} is not an absolute URL")
        events = request.form.getlist("StatusCallbackEvent")
        if any(e not in ("initiated", "ringing", "answered", "completed") for e in events):
            return _error(400, 21626, f"Invalid StatusCallbackEvent {events}")
        sid = "CA" + secrets.token_hex(16)
        with self._lock:
            self.calls[sid] = {**form, "StatusCallbackEvent": " ".join(events)}
        return _json(201, self._call_resource(sid, form, "queued"))

    # ---- helpers --------------------------------------------------------------------

    def _new_recording(self, call_sid: str, channels: int, status: str,
                       seconds: float | None, callback: str | None) -> FakeRecording:
        length = self.recording_seconds if seconds is None else seconds
        recording = FakeRecording(
            sid="RE" + secrets.token_hex(16), call_sid=call_sid, channels=channels,
            status=status, media=make_wav(channels, length), seconds=length,
            status_callback=callback,
        )
        with self._lock:
            self.recordings[recording.sid] = recording
        return recording

    def _call_resource(self, sid: str, form: dict[str, str], status: str) -> dict[str, Any]:
        """A call as Twilio's JSON represents it."""
        stamp = format_datetime(datetime.now(UTC), usegmt=True)
        return {
            "sid": sid, "account_sid": self.account_sid, "api_version": "2010-04-01",
            "to": form.get("To"), "from": form.get("From"), "status": status,
            "direction": "outbound-api" if form else "inbound", "date_created": stamp,
            "date_updated": stamp, "start_time": None, "end_time": None, "duration": None,
            "parent_call_sid": None, "price": None, "price_unit": "USD",
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{sid}.json",
        }

    def _resource(self, recording: FakeRecording) -> dict[str, Any]:
        """The recording as Twilio's JSON represents it."""
        stamp = format_datetime(recording.created, usegmt=True)
        done = recording.status == "completed"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "call_sid": recording.call_sid,
            "conference_sid": None,
            "date_created": stamp,
            "date_updated": stamp,
            "start_time": stamp,
            "duration": str(round(recording.seconds)) if done else "-1",
            "sid": recording.sid,
            "price": None,
            "price_unit": "USD",
            "status": recording.status,
            "channels": recording.channels,
            "source": "StartCallRecordingAPI",
            "error_code": None,
            "track": "both",
            "encryption_details": None,
            "uri": (f"/2010-04-01/Accounts/{self.account_sid}/Calls/{recording.call_sid}"
                    f"/Recordings/{recording.sid}.json"),
        }


def make_wav(channels: int, seconds: float) -> bytes:
    """An 8 kHz 16-bit PCM WAV of ``seconds``: one tone per channel (440 Hz, 697 Hz)."""
    frames = int(SAMPLE_RATE * seconds)
    samples = array("h")
    for n in range(frames):
        for channel in range(channels):
            tone = TONES_HZ[channel % len(TONES_HZ)]
            samples.append(int(8000 * math.sin(2 * math.pi * tone * n / SAMPLE_RATE)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()


@contextmanager
def serve_fake_twilio(fake: FakeTwilioApi | None = None) -> Iterator[FakeTwilioApi]:
    """Serve ``fake`` (a new one by default) on 127.0.0.1, a free port, in a thread."""
    fake = fake or FakeTwilioApi()
    server = make_server("127.0.0.1", 0, fake, threaded=True, request_handler=_QuietHandler)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    # A short poll interval: shutdown() waits up to one interval.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              name="fake-twilio", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without the per-request access log line."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Keep test output quiet; every request is in ``FakeTwilioApi.requests``."""


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _error(status: int, code: int, message: str) -> Response:
    return _json(status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    })
