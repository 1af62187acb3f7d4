"""Errors of the SIP front end (``voice.sip``); messages say what failed and what to fix.

Tree (under :class:`voice.errors.VoiceError`)::

    SipError
    +-- PromptError                 a prompt could not be turned into a WAV file
        +-- PromptNotFoundError     audio: names a missing file or one outside the flows folder
        +-- PromptFormatError       audio: file is not readable audio without ffmpeg
        +-- TtsError                espeak-ng is missing, failed or timed out
"""

from __future__ import annotations

from voice.errors import VoiceError


class SipError(VoiceError):
    """Base class of SIP front-end errors."""


class PromptError(SipError):
    """A prompt action (``say`` or ``audio``) could not be rendered to a WAV file."""


class PromptNotFoundError(PromptError):
    """A flow's prompt audio file is missing, not a file, or outside the flows folder."""


class PromptFormatError(PromptError):
    """A flow's prompt audio file cannot be decoded (not PCM WAV and no ffmpeg to convert it)."""


class TtsError(PromptError):
    """Text-to-speech failed: espeak-ng is not installed, exited with an error or timed out."""


class KamailioError(SipError):
    """Kamailio (the SIP dispatcher in front of the media workers) failed.

    Raised when the rendered config does not pass ``kamailio -c`` (the message carries
    Kamailio's own error lines), when the binary is missing, or when the process does not
    start answering SIP OPTIONS in time (the message carries its last log lines).
    """
