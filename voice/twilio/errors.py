"""Errors of the Twilio adapter (``voice.twilio``); messages say what failed and what to fix.

Tree (under :class:`voice.errors.VoiceError`)::

    TwilioError
    +-- TwilioNotConfiguredError   TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN missing
    +-- TwilioApiError             a REST call to Twilio failed (HTTP error or unreachable)

A :class:`TwilioApiError` during a live call is not fatal: the caller logs it with the call id
and the call goes on (unrecorded rather than dropped).
"""

from __future__ import annotations

from voice.errors import VoiceError


class TwilioError(VoiceError):
    """Base class of Twilio adapter errors."""


class TwilioNotConfiguredError(TwilioError):
    """The Twilio REST API was needed but the account credentials are not set."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = list(missing)
        super().__init__(
            f"the Twilio REST API needs {' and '.join(self.missing)}; set "
            f"{'them' if len(self.missing) > 1 else 'it'} in the environment (Twilio console: "
            "Account > API keys & tokens)"
        )


class TwilioApiError(TwilioError):
    """A Twilio REST API request failed; ``status``/``code`` are None when it was unreachable.

    ``action`` says what was attempted (e.g. "start recording of call CA..."), ``detail`` what
    Twilio (or the network) answered, and the message ends with what to check.
    """

    def __init__(
        self,
        action: str,
        detail: str,
        *,
        status: int | None = None,
        code: int | None = None,
        hint: str = "",
    ) -> None:
        self.action = action
        self.detail = detail
        self.status = status
        self.code = code
        answer = f"HTTP {status}" if status is not None else "no answer"
        if code is not None and code != status:
            answer += f", Twilio error {code}"
        message = f"Twilio REST API: cannot {action}: {answer}: {detail}"
        super().__init__(f"{message}; {hint}" if hint else message)
