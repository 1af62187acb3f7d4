"""Transcribing one filed recording: the job a ``voice worker`` runs.

``TranscriptionService.run(recording_id)`` claims the recording's job (so two workers never
run it), decrypts the audio in memory, transcribes each channel with the
worker's one loaded Vosk model, tags segments with speaker, IVR node and call phase from the
call's path (dropping any inside a sensitive span), and replaces the transcript while
marking the job done, in one transaction. Errors leave the job queued for another attempt
(failed after three).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from voice.calls.repository import CallRepository
from voice.recordings.repository import RecordingRepository
from voice.recordings.service import RecordingService
from voice.tasks.jobs import TranscriptionJobs
from voice.transcripts.store import SegmentRow, TranscriptStore
from voice.transcripts.tagging import spans, tag

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)


class Transcribes(Protocol):
    """What the service needs of :class:`voice.transcripts.transcriber.Transcriber`."""

    def transcribe_bytes(self, data: bytes, *, name: str = "WAV data") -> Any:
        """Segments of every channel of WAV audio (a ``Transcription``)."""
        ...


class TranscriptionService:
    """Runs transcription jobs (see module docstring)."""

    def __init__(self, *, recordings: RecordingService, recording_rows: RecordingRepository,
                 calls: CallRepository,
                 jobs: TranscriptionJobs, store: TranscriptStore,
                 transcriber: Callable[[], Transcribes], model_name: str,
                 clock: Callable[[], datetime], worker: str) -> None:
        self.recordings = recordings
        self.recording_rows = recording_rows
        self.calls = calls
        self.jobs = jobs
        self.store = store
        self._transcriber = transcriber
        self.model_name = model_name
        self.clock = clock
        self.worker = worker

    def run(self, recording_id: int) -> str:
        """Do the job if this worker can claim it; returns what happened."""
        if not self.jobs.claim(recording_id, self.worker, self.clock(), LEASE):
            return "skipped"
        try:
            self._transcribe(recording_id)
        except Exception as exc:
            state = self.jobs.fail(recording_id, f"{type(exc).__name__}: {exc}", self.clock())
            log.exception("recording %d: transcription failed (job %s)", recording_id, state)
            return state
        return "done"

    def _transcribe(self, recording_id: int) -> None:
        info = self.recording_rows.get(recording_id)
        call = self.calls.get(info.call_id) if info is not None else None
        if info is None or call is None:  # purged meanwhile: nothing to do
            self.jobs.finish(recording_id, self.clock())
            return
        started = time.monotonic()
        # decrypted in memory only: clear audio of an encrypted recording never hits the disk
        result = self._transcriber().transcribe_bytes(self.recordings.open_audio(info),
                                                       name=f"recording {recording_id}")
        processing = time.monotonic() - started
        path = [step.to_dict() for step in call.path]
        path_spans = spans(path, call.started_at, info.duration_s)
        rows = []
        for segment in result.segments:
            label = tag(segment.channel, segment.start_s, segment.end_s, path_spans,
                        voicemail=info.kind == "voicemail")
            if label is None:
                continue  # inside a sensitive span: nothing from there is kept
            rows.append(SegmentRow(segment.channel, label.speaker, segment.start_s,
                                   segment.end_s, segment.text, segment.confidence,
                                   list(segment.words) or None, label.node, label.phase))
        now = self.clock()
        self.store.replace(recording_id=recording_id, call_id=info.call_id,
                           model=self.model_name, duration_s=info.duration_s,
                           processing_s=processing, segments=rows, created_at=now,
                           also=lambda session: self.jobs.finish(recording_id, now, session))
        log.info("recording %d of call %s transcribed: %d segments, %.1f s audio in %.1f s",
                 recording_id, info.call_id, len(rows), info.duration_s, processing)

