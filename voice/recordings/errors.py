"""Errors of the recordings package (``voice.recordings``); messages say what to fix.

Tree (under :class:`voice.errors.VoiceError`)::

    RecordingsError
    +-- RecordingSettingsError        credentials needed to download are not set
    +-- RecordingDownloadError        the carrier's audio could not be fetched or is not a WAV
    +-- InvalidWavError               a file is not a WAV this service can read
    +-- RecordingCallNotFoundError    the recording names a call the call log does not have
    +-- DuplicateRecordingError       (source, source_id) is already stored
    +-- InvalidRecordingDataError     a field has a wrong value (also a ValueError)
    +-- RecordingNotFoundError        no recording has the id asked for
    +-- RecordingFileError            the audio file cannot be used
    |   +-- UnsafeRecordingPathError  the stored path leads outside the recordings folder
    |   +-- RecordingFileMissingError the file is not on disk
    |   +-- RecordingTamperedError    an encrypted file fails its integrity check
    |   +-- RecordingChecksumError    the audio's SHA-256 is not the one recorded
    +-- RecordingKeyError             the master key is invalid, missing or not the right one
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


class RecordingNotFoundError(RecordingsError):
    """No recording has this id."""

    def __init__(self, recording_id: object) -> None:
        self.recording_id = recording_id
        super().__init__(
            f"no recording has id '{recording_id}'; list them with 'voice recordings list'"
        )


class RecordingFileError(RecordingsError):
    """A recording's audio file cannot be used; ``recording_id`` names the row (if known)."""

    def __init__(self, recording_id: int | None, message: str) -> None:
        self.recording_id = recording_id
        super().__init__(message)


class UnsafeRecordingPathError(RecordingFileError):
    """The row's path is absolute, has ``..`` or resolves (symlinks) outside the folder."""

    def __init__(self, recording_id: int, path: str) -> None:
        self.path = path
        super().__init__(
            recording_id,
            f"recording {recording_id}: its path '{path}' leads outside the recordings folder, "
            "so it is not read or deleted; the row was not written by this service, check "
            "the recordings table",
        )


class RecordingFileMissingError(RecordingFileError):
    """The row's file is not in the recordings folder."""

    def __init__(self, recording_id: int, file: str) -> None:
        self.file = file
        super().__init__(
            recording_id,
            f"recording {recording_id}: its file {file} is missing; check that "
            "VOICE_RECORDINGS_DIR points at the folder the recordings were stored in",
        )


class RecordingTamperedError(RecordingFileError):
    """An encrypted file failed authentication: changed, truncated or another file."""

    def __init__(self, recording_id: int | None, file: str) -> None:
        self.file = file
        super().__init__(
            recording_id,
            f"recording file {file} failed its integrity check: it was changed or truncated "
            "after it was stored; restore it from a backup",
        )


class RecordingChecksumError(RecordingFileError):
    """The audio read back is not the audio that was stored (SHA-256 differs)."""

    def __init__(self, recording_id: int, expected: str, actual: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            recording_id,
            f"recording {recording_id}: the audio's SHA-256 is {actual}, but {expected} was "
            "recorded when it was stored; the file was changed, restore it from a backup",
        )


class RecordingKeyError(RecordingsError):
    """The recordings master key is invalid, not set, or not the one a file was sealed with."""
