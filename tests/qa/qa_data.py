"""Calls made to measure for the QA tests: each with a known start, caller, flow, queue,
agent, recording length, authentication result, transcript and (optionally) a sensitive
visit and a real two-channel WAV, stored through the services' own repositories."""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from voice.compose import Services
from voice.demo.seed import RATE, store_stereo_wav
from voice.store.models import AuthAttempt, CallDisposition, QueueEntry
from voice.transcripts.store import SegmentRow

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class CallSpec:
    """One call to store (times in seconds from the call's start)."""

    call_id: str
    started: datetime = T0
    from_number: str = "+15550100"
    flow: str = "main"
    queue: str | None = "billing"
    agent: str | None = None
    duration: float = 60.0
    auth: str | None = None  # outcome of an authenticate visit (None: not asked)
    said: list[tuple[str, float, float, str]] = field(default_factory=list)
    sensitive_at: tuple[float, float] | None = None  # a PIN entry, paused in the recording
    answered_at: float | None = 20.0
    kind: str = "call"
    audio: bool = False
    disposition: tuple[str, str] | None = None


def write_wav(path: Path, duration: float) -> tuple[int, str]:
    """A stereo 8 kHz WAV: a loud 220 Hz tone on channel 0 in the first half, a quiet
    330 Hz tone on channel 1 throughout. Returns size and SHA-256."""
    frames = bytearray()
    for n in range(int(duration * RATE)):
        left = int(16000 * math.sin(2 * math.pi * 220 * n / RATE)) if n < duration * RATE / 2 \
            else 0
        right = int(4000 * math.sin(2 * math.pi * 330 * n / RATE))
        frames += struct.pack("<hh", left, right)
    return store_stereo_wav(path, bytes(frames))


def add_call(services: Services, spec: CallSpec) -> int:
    """Store the call, its path, queue stay, recording and transcript; the recording id."""
    calls = services.call_repository
    start = spec.started
    calls.start_call(call_id=spec.call_id, channel="sip", flow_id=spec.flow, flow_version=3,
                     flow_sha256=None, from_number=spec.from_number, to_number="1000",
                     started_at=start, simulated=False, worker="test")
    path: list[dict[str, object]] = [
        {"seq": 1, "at": start, "flow": spec.flow, "node": "greeting", "type": "say",
         "outcome": "done"}]
    if spec.auth is not None:
        at = spec.sensitive_at[0] if spec.sensitive_at else 5.0
        path.append({"seq": 2, "at": start + timedelta(seconds=at), "flow": spec.flow,
                     "node": "auth", "type": "authenticate", "outcome": spec.auth,
                     "input": "****4321", "detail": {
                         "method": "account_pin",
                         **({"sensitive": True} if spec.sensitive_at else {})}})
        if spec.sensitive_at:
            path.append({"seq": 3, "at": start + timedelta(seconds=spec.sensitive_at[1]),
                         "flow": spec.flow, "node": "thanks", "type": "say",
                         "outcome": "done"})
    if spec.queue is not None:
        path.append({"seq": len(path) + 1, "at": start + timedelta(seconds=12),
                     "flow": spec.flow, "node": spec.queue, "type": "queue",
                     "outcome": "answered" if spec.agent else "abandoned"})
    if spec.kind == "voicemail":
        path.append({"seq": len(path) + 1, "at": start + timedelta(seconds=15),
                     "flow": spec.flow, "node": "voicemail", "type": "record",
                     "outcome": "recorded"})
    calls.append_path(spec.call_id, path)
    ended = start + timedelta(seconds=spec.duration)
    calls.end_call(spec.call_id, ended_at=ended, outcome="agent" if spec.agent else "abandoned")
    with services.session_factory.begin() as session:
        if spec.queue is not None:
            answered = start + timedelta(seconds=spec.answered_at) \
                if spec.agent and spec.answered_at is not None else None
            session.execute(insert(QueueEntry), [{
                "call_id": spec.call_id, "queue": spec.queue, "channel": "sip",
                "from_number": spec.from_number, "priority": 0, "skills": [],
                "status": "ended", "outcome": "answered" if spec.agent else "abandoned",
                "enqueued_at": start + timedelta(seconds=12), "agent_id": None,
                "offered_at": answered, "answered_at": answered, "ended_at": ended,
                "estimated_wait": 30.0, "callback": False, "callback_number": None,
                "tried": [], "holder": None}])
        if spec.auth is not None:
            session.execute(insert(AuthAttempt), [{
                "at": start + timedelta(seconds=8), "call_id": spec.call_id,
                "method": "account_pin", "outcome": spec.auth, "reason": None,
                "caller_id": spec.from_number, "account_key": None,
                "account_masked": "****4321", "customer_id": None, "actor": None}])
        if spec.disposition is not None:
            session.execute(insert(CallDisposition), [{
                "call_id": spec.call_id, "agent_id": None, "customer_id": None,
                "disposition": spec.disposition[0], "note": spec.disposition[1],
                "created_at": ended}])
    rec_start = start + timedelta(seconds=15) if spec.kind == "voicemail" else start
    length = round((ended - rec_start).total_seconds(), 1)
    suffix = "-vm" if spec.kind == "voicemail" else ""
    relative = f"{start:%Y/%m/%d}/{spec.call_id}{suffix}.wav"
    size, digest = 0, hashlib.sha256(spec.call_id.encode()).hexdigest()
    if spec.audio:
        size, digest = write_wav(services.settings.recordings_dir / relative, length)
    assert services.recording_service is not None
    info = services.recording_service.repository.add(
        call_id=spec.call_id, kind=spec.kind, source="sip", source_id=f"{spec.call_id}{suffix}",
        path=relative, channels=2 if spec.kind == "call" else 1, duration_s=length,
        size_bytes=size, sha256=digest, created_at=ended, flow_id=spec.flow, queue=spec.queue,
        agent=spec.agent)
    if spec.said:
        assert services.transcript_store is not None
        services.transcript_store.replace(
            recording_id=info.id, call_id=spec.call_id, model="test", duration_s=length,
            processing_s=0.1, created_at=ended, segments=[
                SegmentRow(0 if speaker == "caller" else 1, speaker, begin, end, text, 0.9,
                           None, None, None) for speaker, begin, end, text in spec.said])
    return info.id
