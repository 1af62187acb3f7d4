"""Errors of the recordings package (``voice.recordings``); messages say what to fix.

Tree (under :class:`voice.errors.VoiceError`)::

    RecordingsError
    +-- RecordingSettingsError        credentials needed to download are not set
    +-- RecordingDownloadError        the carrier's audio could not be fetched or is not a WAV
    +-- InvalidWavError               a file is not a WAV this service can read
    +-- RecordingCallNotFoundError    the recording names a call the call log does not have
    +-- DuplicateRecordingError       (source, source_id) is already stored
    +-- InvalidRecordingDataError     a field has a wrong value (also a ValueError)
"""

from __future__ import annotations

from voice.errors import VoiceError


class RecordingsError(VoiceError):
    """Base class of recording errors."""


class RecordingSettingsError(RecordingsError):
    """Settings needed to download recordings are missing."""


class RecordingDownloadError(RecordingsError):
    """A recording's audio could not be downloaded; nothing was stored.

    ``url`` is the media URL (it never carries credentials), ``status`` the HTTP status when
    there was an answer.
    """

    def __init__(self, url: str, detail: str, *, status: int | None = None,
                 hint: str = "") -> None:
        self.url = url
        self.detail = detail
        self.status = status
        message = f"cannot download recording {url}: {detail}"
        super().__init__(f"{message}; {hint}" if hint else message)


class InvalidWavError(RecordingsError):
    """A file is not a RIFF/WAVE file with a readable format and data chunk."""

    def __init__(self, what: str, detail: str) -> None:
        self.detail = detail
        super().__init__(f"{what} is not a readable WAV file: {detail}")


class RecordingCallNotFoundError(RecordingsError):
    """A recording was offered for a call id the call log does not know."""

    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        super().__init__(
            f"call '{call_id}' is not in the call log, so its recording cannot be stored; "
            "the call must be started (CallRepository.start_call) before its recordings arrive"
        )


class DuplicateRecordingError(RecordingsError):
    """A recording with this (source, source_id) is already stored."""

    def __init__(self, source: str, source_id: str) -> None:
        self.source = source
        self.source_id = source_id
        super().__init__(
            f"{source} recording '{source_id}' is already stored; look it up with "
            "RecordingRepository.by_source_id() instead of adding it again"
        )


class InvalidRecordingDataError(RecordingsError, ValueError):
    """A recording field is missing or has a wrong value."""
