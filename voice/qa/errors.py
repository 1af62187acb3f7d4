"""Errors of the QA package (``voice.qa``); messages say what to fix.

Tree (under :class:`voice.errors.VoiceError`)::

    QaError
    +-- ArchiveFilterError      a recordings-list filter value that cannot be used
    +-- QaCallNotFoundError     no call with this id
    +-- QaRecordingNotFoundError  the call has no recording with this id
    +-- WaveformError           the audio is not a WAV the waveform can be drawn from
"""

from __future__ import annotations

from voice.errors import VoiceError


class QaError(VoiceError):
    """Base class of QA errors."""


class ArchiveFilterError(QaError):
    """A filter of the recordings list has a value that cannot be used."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class QaCallNotFoundError(QaError):
    """No call with this id is in the call log."""

    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        super().__init__(f"there is no call '{call_id}'; find calls in the recordings list "
                         "at /qa/recordings")


class QaRecordingNotFoundError(QaError):
    """The call exists but has no recording with the id asked for."""

    def __init__(self, call_id: str, recording: str) -> None:
        self.call_id = call_id
        self.recording = recording
        super().__init__(f"call '{call_id}' has no recording '{recording}'; open "
                         f"/qa/calls/{call_id} to see the ones it has")


class WaveformError(QaError):
    """The audio cannot be read as a PCM WAV (so no waveform can be drawn)."""

    def __init__(self, recording_id: int, detail: str) -> None:
        self.recording_id = recording_id
        super().__init__(f"recording {recording_id} cannot be drawn as a waveform: {detail}; "
                         "it must be a 16-bit PCM WAV as the service files them")
