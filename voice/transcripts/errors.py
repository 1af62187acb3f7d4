"""Errors of the transcripts package (``voice.transcripts``); messages say what to fix.

Tree (under :class:`voice.errors.VoiceError`)::

    TranscriptsError
    +-- AudioFileError     the audio is missing, unreadable or not a WAV this service reads

A model folder that is missing or not a Vosk model raises
:class:`voice.speech.errors.ModelNotFoundError` (the same check as ``VOICE_VOSK_MODEL``).
"""

from __future__ import annotations

from voice.errors import VoiceError

#: how to turn other audio into a WAV the transcriber reads
CONVERT_HINT = ("convert it to a PCM WAV first, e.g. "
                "`sox INPUT -e signed-integer -b 16 OUTPUT.wav`")


class TranscriptsError(VoiceError):
    """Base class of transcript errors."""


class AudioFileError(TranscriptsError):
    """``what`` (a path or a description of bytes) cannot be transcribed: ``detail`` says why."""

    def __init__(self, what: str, detail: str, *, hint: str = CONVERT_HINT) -> None:
        self.what = what
        self.detail = detail
        super().__init__(f"cannot transcribe {what}: {detail}; {hint}" if hint
                         else f"cannot transcribe {what}: {detail}")
