"""Recordings: the audio files of calls (whole call, two channels) and of voicemails.

Owns the ``recordings`` table (:mod:`voice.recordings.repository`), the files under
``VOICE_RECORDINGS_DIR`` (``YYYY/MM/DD/<call-id>.wav``, ``<call-id>-voicemail-<n>.wav``) and
getting a finished carrier recording onto disk exactly once (:mod:`voice.recordings.service`).
It never starts or pauses a recording: the adapters do that for the flow (Twilio through
``voice.twilio.rest``). Transcription reads what this package stored.
"""

from __future__ import annotations
