"""Transcripts: offline speech-to-text of call recordings with Vosk, one channel at a time.

Owns turning a stored recording (a WAV file, or its bytes once decrypted) into timed,
per-channel segments: :class:`voice.transcripts.transcriber.Transcriber`. SIP recordings put
the caller on channel 0 and the IVR or agent on channel 1 (16 kHz); Twilio's dual-channel
recordings are 8 kHz. Storing transcripts and running transcription jobs build on this.

This ``__init__`` imports nothing: importing ``voice.transcripts.<module>`` for the stored
transcripts (web, CLI) must not load Vosk and pydub; only ``transcriber`` does.
"""

from __future__ import annotations
