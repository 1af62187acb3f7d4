"""Errors of the call log (``voice.calls``); messages say which call and what to fix."""

from __future__ import annotations

from voice.errors import VoiceError


class CallsError(VoiceError):
    """Base class of call-log errors."""


class CallNotFoundError(CallsError):
    """The call id was never started in the call log."""

    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        super().__init__(f"call '{call_id}' is not in the call log; start_call() it first")


class DuplicateCallError(CallsError):
    """A call with this id was already started."""

    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        super().__init__(f"call '{call_id}' was already started; call ids must be unique")


class InvalidCallDataError(CallsError, ValueError):
    """A call or path entry is missing a field or has a wrong value."""
