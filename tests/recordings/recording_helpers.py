"""Helpers of the recordings tests: WAV audio, calls, filed recordings, transcript rows,
API credentials."""

from __future__ import annotations

import base64
import io
import math
import secrets
import struct
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from voice.compose import Services
from voice.recordings.records import RecordingInfo
from voice.recordings.service import RecordingService
from voice.store.models import Recording, Transcript, TranscriptionJob, TranscriptSegment

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PASSWORD = "correct horse"
#: the flows of the recordings tests' flows folder (``flows_dir``)
SALES_FLOW = """\
id: sales
name: Sales line
start: bye
retention_days: {days}
nodes:
  bye: {{type: hangup, text: "Goodbye."}}
"""
SUPPORT_FLOW = """\
id: support
name: Support line
start: bye
nodes:
  bye: {type: hangup, text: "Goodbye."}
"""
DEFAULT_RETENTION_DAYS = 30
SALES_RETENTION_DAYS = 7


class FrozenClock:
    """A clock that only moves when a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward by ``timedelta(**delta)``."""
        self.now += timedelta(**delta)


def basic(username: str, password: str) -> dict[str, str]:
    """HTTP Basic credentials."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(key: str) -> dict[str, str]:
    """An API key as a Bearer token."""
    return {"Authorization": f"Bearer {key}"}


def new_master_key() -> str:
    """A fresh VOICE_RECORDINGS_KEY."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def wav_bytes(seconds: float = 0.5, channels: int = 2, rate: int = 8000) -> bytes:
    """A 16-bit PCM WAV holding a different tone on each channel."""
    frames = bytearray()
    for n in range(int(seconds * rate)):
        for channel in range(channels):
            sample = int(8000 * math.sin(2 * math.pi * (440 + 220 * channel) * n / rate))
            frames += struct.pack("<h", sample)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return out.getvalue()


def start_call(services: Services, call_id: str, *, flow_id: str = "main",
               flow_version: int | None = None, started_at: datetime = T0) -> None:
    """Put a finished SIP call into the call log."""
    services.call_repository.start_call(
        call_id=call_id, channel="sip", flow_id=flow_id, flow_version=flow_version,
        flow_sha256=None, from_number="+15550142", to_number="2000", started_at=started_at,
        simulated=False)


def recording_service(services: Services) -> RecordingService:
    """The process's recording service."""
    assert services.recording_service is not None
    return services.recording_service


def file_recording(services: Services, call_id: str, audio: bytes, work: Path, *,
                   kind: str = "call", flow_id: str | None = None,
                   service: RecordingService | None = None) -> RecordingInfo:
    """File ``audio`` as the SIP worker does (from a work folder on the same disk).

    ``service`` defaults to the process's recording service.
    """
    work.mkdir(parents=True, exist_ok=True)
    source = work / f"{call_id}-{kind}-{secrets.token_hex(4)}.wav"
    source.write_bytes(audio)
    return (service or recording_service(services)).store_local_recording(
        call_id=call_id, file=source, kind=kind, source_id=f"{call_id}:{source.name}",
        flow_id=flow_id)


def add_transcript(services: Services, recording: RecordingInfo) -> None:
    """A transcript with two segments and a finished job, written straight to the tables."""
    with services.session_factory.begin() as session:
        transcript = Transcript(recording_id=recording.id, call_id=recording.call_id,
                                model="vosk-test", duration_s=recording.duration_s,
                                processing_s=0.1, created_at=T0)
        session.add(transcript)
        session.flush()
        session.add_all([
            TranscriptSegment(transcript_id=transcript.id, call_id=recording.call_id,
                              channel=1, speaker="ivr", start_s=0.0, end_s=1.5,
                              text="thanks for calling", confidence=None, words=None,
                              node="hello", phase="ivr"),
            TranscriptSegment(transcript_id=transcript.id, call_id=recording.call_id,
                              channel=0, speaker="caller", start_s=2.0, end_s=3.25,
                              text="billing please", confidence=0.93, words=None,
                              node="menu", phase="ivr"),
        ])
        job = session.scalars(select(TranscriptionJob).where(
            TranscriptionJob.recording_id == recording.id)).one_or_none()
        if job is None:  # filing queued one already when the task queue is wired
            job = TranscriptionJob(recording_id=recording.id, attempts=1, queued_at=T0)
            session.add(job)
        job.state, job.started_at, job.finished_at = "done", T0, T0


def count_rows(services: Services, recording_id: int) -> dict[str, int]:
    """How many rows of each table belong to the recording."""
    with services.session_factory() as session:
        transcripts = select(Transcript.id).where(Transcript.recording_id == recording_id)
        return {
            "recordings": session.scalar(
                select(func.count()).where(Recording.id == recording_id)) or 0,
            "transcripts": session.scalar(
                select(func.count()).where(Transcript.recording_id == recording_id)) or 0,
            "segments": session.scalar(select(func.count()).where(
                TranscriptSegment.transcript_id.in_(transcripts))) or 0,
            "jobs": session.scalar(select(func.count()).where(
                TranscriptionJob.recording_id == recording_id)) or 0,
        }


def insert_raw_recording(services: Services, call_id: str, path: str, *,
                         expires_at: datetime | None = None) -> int:
    """A row written around the repository (as a bad import or an attacker could)."""
    with services.session_factory.begin() as session:
        row = Recording(call_id=call_id, kind="call", source="sip",
                        source_id=f"raw-{secrets.token_hex(4)}", path=path, channels=1,
                        duration_s=1.0, size_bytes=10, sha256="0" * 64, created_at=T0,
                        expires_at=expires_at)
        session.add(row)
        session.flush()
        return row.id
