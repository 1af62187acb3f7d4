"""Twilio's REST API as this service uses it: a configured client and live-call recording.

Owns three things. :func:`make_twilio_client` builds the ``twilio`` package's ``Client``
from :class:`~voice.settings.Settings` (account sid, auth token, a request timeout that fits
inside a webhook, and the API location). :class:`TwilioRecordingControl` starts, pauses,
resumes and stops the dual-channel recording of a live call. :class:`TwilioCallControl` moves
a live call to new TwiML (a queued caller to their agent) and places the outbound call that
rings an agent for a callback. Every failure (an error answer, no answer, a
malformed answer) comes out as :class:`~voice.twilio.errors.TwilioApiError` so the webhook
code can log it and keep the caller's call going. It must not decide *when* to record (the
flow does) and never downloads audio (``voice.recordings.service`` does).

Why the API location is set on the HTTP client: twilio-python gives every REST domain its own
hard-coded base URL (``ApiBase`` uses ``https://api.twilio.com``, ``Voice`` uses
``https://voice.twilio.com``, ...), each created lazily on first use, and builds request URLs
as ``domain.base_url + uri``. Setting ``client.api.base_url`` would move only one domain. The
``http_client`` is the library's documented extension point and sees every request, so when
``VOICE_TWILIO_API_URL`` is not Twilio's own, :class:`_RebasedHttpClient` sends each request
to that URL with the path unchanged (a local fake in tests, or a proxy), whatever the domain.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from voice.settings import Settings
from voice.twilio.errors import TwilioApiError, TwilioNotConfiguredError

TWILIO_API_URL = "https://api.twilio.com"
# Webhook code waits for these calls and Twilio gives a webhook 15 s in all.
REST_TIMEOUT_S = 5.0

__all__ = ["REST_TIMEOUT_S", "TwilioCallControl", "TwilioRecordingControl", "make_twilio_client"]


def make_twilio_client(settings: Settings, *, timeout: float = REST_TIMEOUT_S) -> Client:
    """A ``twilio.rest.Client`` for the account in ``settings``, at ``twilio_api_url``.

    Raises :class:`TwilioNotConfiguredError` when TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is
    empty. Each call makes a new client: the composition root builds one per process.
    """
    missing = settings.missing_twilio_credentials()
    if missing:
        raise TwilioNotConfiguredError(missing)
    api_url = settings.twilio_api_url.rstrip("/")
    if api_url == TWILIO_API_URL:
        http_client: TwilioHttpClient = TwilioHttpClient(timeout=timeout)
    else:
        http_client = _RebasedHttpClient(api_url, timeout=timeout)
    return Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        account_sid=settings.twilio_account_sid,
        http_client=http_client,
    )


class TwilioRecordingControl:
    """Starts, pauses and resumes the whole-call recording of live Twilio calls."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def start(self, call_sid: str, *, status_callback: str) -> str:
        """Start a dual-channel recording of call ``call_sid``; return its RecordingSid.

        Twilio POSTs ``status_callback`` (an absolute URL) once the recording is completed;
        channel 1 is the caller, channel 2 what the caller hears (IVR, then the agent).
        """
        action = f"start recording of call {call_sid}"
        with _translate_errors(action):
            recording = self._client.calls(call_sid).recordings.create(
                recording_channels="dual",
                recording_status_callback=status_callback,
                recording_status_callback_event=["completed"],
                recording_status_callback_method="POST",
            )
        if not recording.sid:
            raise TwilioApiError(action, "the answer carried no recording sid",
                                 status=201, hint="check VOICE_TWILIO_API_URL")
        return recording.sid

    def pause(self, call_sid: str, recording_sid: str) -> None:
        """Pause the recording (e.g. around a sensitive gather); the paused part is skipped.

        ``pause_behavior="skip"`` leaves no silence in the file, so nothing in the audio
        hints at how long the caller took to key in a card number.
        """
        with _translate_errors(f"pause recording {recording_sid} of call {call_sid}"):
            self._client.calls(call_sid).recordings(recording_sid).update(
                status="paused", pause_behavior="skip"
            )

    def resume(self, call_sid: str, recording_sid: str) -> None:
        """Resume a paused recording (Twilio's status ``in-progress``)."""
        # PauseBehavior only means something when pausing, so it is not sent here.
        with _translate_errors(f"resume recording {recording_sid} of call {call_sid}"):
            self._client.calls(call_sid).recordings(recording_sid).update(status="in-progress")

    def stop(self, call_sid: str, recording_sid: str) -> None:
        """Stop the recording for good; Twilio then completes it and calls its callback."""
        with _translate_errors(f"stop recording {recording_sid} of call {call_sid}"):
            self._client.calls(call_sid).recordings(recording_sid).update(status="stopped")


class TwilioCallControl:
    """Redirects live calls and places outbound calls (the agent hand-off)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def redirect(self, call_sid: str, url: str) -> None:
        """Make live call ``call_sid`` leave its current TwiML at once and POST to ``url``."""
        with _translate_errors(f"redirect call {call_sid}"):
            self._client.calls(call_sid).update(url=url, method="POST")

    def place(self, *, to: str, from_: str, url: str, status_callback: str,
              timeout: int) -> str:
        """Call ``to`` (``client:ID``, a SIP URI or a number) from ``from_``; return its
        CallSid. Twilio POSTs ``url`` for TwiML when it is answered and ``status_callback``
        when it is answered and when it ends (``CallStatus`` completed, no-answer, busy...).
        """
        action = f"call {to}"
        with _translate_errors(action):
            call = self._client.calls.create(
                to=to, from_=from_, url=url, method="POST", status_callback=status_callback,
                status_callback_event=["answered", "completed"],
                status_callback_method="POST", timeout=timeout)
        if not call.sid:
            raise TwilioApiError(action, "the answer carried no call sid", status=201,
                                 hint="check VOICE_TWILIO_API_URL")
        return call.sid


class _RebasedHttpClient(TwilioHttpClient):
    """Sends every request to ``base_url`` (scheme, host, port, path prefix), path kept."""

    def __init__(self, base_url: str, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = urlsplit(base_url)

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Make the request twilio-python built, at the configured location instead."""
        parts = urlsplit(url)
        rebased = urlunsplit((
            self._base.scheme,
            self._base.netloc,
            self._base.path.rstrip("/") + parts.path,
            parts.query,
            "",
        ))
        return super().request(method, rebased, params=params, data=data, headers=headers,
                               auth=auth, timeout=timeout, allow_redirects=allow_redirects)


@contextmanager
def _translate_errors(action: str) -> Iterator[None]:
    """Turn whatever twilio-python or the network raises into :class:`TwilioApiError`."""
    try:
        yield
    except TwilioRestException as exc:
        detail = exc.msg or "no message"
        raise TwilioApiError(action, detail, status=exc.status, code=_int(exc.code),
                             hint=_hint(exc.status)) from exc
    except TwilioServiceException as exc:
        detail = exc.detail or exc.title or "no message"
        raise TwilioApiError(action, detail, status=exc.status, code=_int(exc.code),
                             hint=_hint(exc.status)) from exc
    except requests.Timeout as exc:
        raise TwilioApiError(action, f"no answer within the time limit ({exc})",
                             hint=_hint(None)) from exc
    except requests.RequestException as exc:
        raise TwilioApiError(action, f"{type(exc).__name__}: {exc}", hint=_hint(None)) from exc
    except (TwilioException, ValueError, KeyError) as exc:
        # ValueError covers an answer that is not JSON: something other than Twilio answered.
        raise TwilioApiError(action, f"unusable answer ({type(exc).__name__}: {exc})",
                             hint="check that VOICE_TWILIO_API_URL points at Twilio's REST API"
                             ) from exc


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def _hint(status: int | None) -> str:
    """What the operator can do about an answer with this HTTP status."""
    if status is None:
        return "check VOICE_TWILIO_API_URL and this machine's network access to it"
    if status in (401, 403):
        return "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio console)"
    if status == 404:
        return "Twilio does not know the call or recording; has the call already ended?"
    if status == 429:
        return "Twilio is rate limiting this account; fewer concurrent requests or try later"
    if status >= 500:
        return "Twilio had a problem; it is usually temporary (status.twilio.com)"
    return "Twilio rejected the request as built; this is a bug in the voice service"
