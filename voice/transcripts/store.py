"""Storing transcripts and finding calls by what was said.

A recording's transcript is replaced whole, in one transaction that also marks its job done,
so a job that ran twice (its worker died after the first run) never leaves segments twice.
Search is full-text: SQLite's FTS5 table ``transcript_segments_fts`` or PostgreSQL's
``to_tsvector('simple', text)`` (migration 0005); every word of the query must occur. Hits
point at the recording and the second in it, with the call's flow and date for filtering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session, sessionmaker

from voice.store.models import Call, Recording, Transcript, TranscriptSegment
from voice.transcripts.matching import segment_match

SPEAKERS = ("caller", "ivr", "agent")


@dataclass(frozen=True)
class SegmentRow:
    """One segment to store (times in seconds into the recording)."""

    channel: int
    speaker: str
    start_s: float
    end_s: float
    text: str
    confidence: float | None
    words: list[dict[str, Any]] | None
    node: str | None
    phase: str | None

    def as_json(self) -> dict[str, Any]:
        """The JSON shape of a segment (without its words)."""
        return {"channel": self.channel, "speaker": self.speaker, "start_s": self.start_s,
                "end_s": self.end_s, "text": self.text, "confidence": self.confidence,
                "node": self.node, "phase": self.phase}


@dataclass(frozen=True)
class TranscriptView:
    """A stored transcript and its segments in time order."""

    recording_id: int
    call_id: str
    model: str
    duration_s: float
    processing_s: float
    created_at: datetime
    segments: list[SegmentRow] = field(default_factory=list)


@dataclass(frozen=True)
class SearchHit:
    """A segment that matched: where to listen (recording, second) and about which call."""

    call_id: str
    recording_id: int
    start_s: float
    end_s: float
    speaker: str
    node: str | None
    text: str
    flow_id: str
    call_started_at: datetime
    queue: str | None
    agent: str | None

    def as_json(self) -> dict[str, Any]:
        """The JSON shape of a hit."""
        return {"call_id": self.call_id, "recording_id": self.recording_id,
                "start_s": self.start_s, "end_s": self.end_s, "speaker": self.speaker,
                "node": self.node, "text": self.text, "flow_id": self.flow_id,
                "call_started_at": self.call_started_at.isoformat(), "queue": self.queue,
                "agent": self.agent,
                "audio": f"/api/recordings/{self.recording_id}/audio#t={self.start_s:.1f}"}


@dataclass(frozen=True)
class SearchFilters:
    """Optional filters of a transcript search."""

    since: datetime | None = None
    until: datetime | None = None
    flow: str | None = None
    queue: str | None = None
    agent: str | None = None
    speaker: str | None = None


class TranscriptEventSink(Protocol):
    """Where ``transcript.ready`` goes: written in the storing transaction, sent after."""

    def transcript_ready(self, session: Session, recording_id: int, now: datetime,
                         model: str) -> list[int]:
        """Add the event to the outbox in ``session``; the ids to send after commit."""

    def committed(self, ids: list[int]) -> None:
        """The transaction holding ``ids`` committed: send them."""


class TranscriptStore:
    """Reads, replaces and searches transcripts."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory
        #: ``transcript.ready`` webhooks, written with each stored transcript (None: none)
        self.events: TranscriptEventSink | None = None

    def replace(self, *, recording_id: int, call_id: str, model: str, duration_s: float,
                processing_s: float, segments: list[SegmentRow], created_at: datetime,
                also: Callable[[Session], None] | None = None) -> None:
        """Store the recording's transcript instead of any earlier one; ``also`` runs in
        the same transaction (marking the job done)."""
        with self._sessions.begin() as session:
            old = session.scalars(select(Transcript.id).where(
                Transcript.recording_id == recording_id)).all()
            if old:
                session.execute(delete(TranscriptSegment).where(
                    TranscriptSegment.transcript_id.in_(old)))
                session.execute(delete(Transcript).where(Transcript.id.in_(old)))
            transcript = Transcript(recording_id=recording_id, call_id=call_id, model=model,
                                    duration_s=duration_s, processing_s=processing_s,
                                    created_at=created_at)
            session.add(transcript)
            session.flush()
            session.add_all(TranscriptSegment(
                transcript_id=transcript.id, call_id=call_id, channel=s.channel,
                speaker=s.speaker, start_s=s.start_s, end_s=s.end_s, text=s.text,
                confidence=s.confidence, words=s.words, node=s.node, phase=s.phase)
                for s in segments)
            if also is not None:
                also(session)
            ids = self.events.transcript_ready(session, recording_id, created_at, model) \
                if self.events is not None else []
        if ids and self.events is not None:
            self.events.committed(ids)

    def get(self, recording_id: int) -> TranscriptView | None:
        """The recording's transcript, if it has one."""
        with self._sessions() as session:
            row = session.scalars(select(Transcript).where(
                Transcript.recording_id == recording_id)).one_or_none()
            if row is None:
                return None
            return TranscriptView(row.recording_id, row.call_id, row.model, row.duration_s,
                                  row.processing_s, row.created_at, [
                                      SegmentRow(s.channel, s.speaker, s.start_s, s.end_s,
                                                 s.text, s.confidence, s.words, s.node,
                                                 s.phase) for s in row.segments])

    def search(self, query: str, filters: SearchFilters | None = None,
               limit: int = 50) -> list[SearchHit]:
        """Segments containing every word of ``query``, newest calls first."""
        words = [w for w in query.split() if w.strip()]
        if not words:
            return []
        filters = filters or SearchFilters()
        with self._sessions() as session:
            dialect = session.get_bind().dialect.name
            statement = (
                select(TranscriptSegment, Transcript.recording_id, Call.flow_id,
                       Call.started_at, Recording.queue, Recording.agent)
                .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
                .join(Recording, Recording.id == Transcript.recording_id)
                .join(Call, Call.id == Recording.call_id))
            statement = narrow_recordings(
                statement.where(segment_match(words, dialect)), since=filters.since,
                until=filters.until, flow=filters.flow, queue=filters.queue, agent=filters.agent)
            if filters.speaker:
                statement = statement.where(TranscriptSegment.speaker == filters.speaker)
            rows = session.execute(statement.order_by(
                Call.started_at.desc(), TranscriptSegment.start_s).limit(limit)).all()
            return [SearchHit(s.call_id, recording_id, s.start_s, s.end_s, s.speaker, s.node,
                              s.text, flow_id, started_at, queue, agent)
                    for s, recording_id, flow_id, started_at, queue, agent in rows]


def narrow_recordings(statement: Select[Any], *, since: datetime | None,
                      until: datetime | None, flow: str | None, queue: str | None,
                      agent: str | None) -> Select[Any]:
    """``statement`` (over recordings joined to their calls) narrowed to calls started in
    ``[since, until)`` in ``flow``, and recordings of ``queue`` and ``agent`` (None or
    empty: not narrowed on that)."""
    if since is not None:
        statement = statement.where(Call.started_at >= since)
    if until is not None:
        statement = statement.where(Call.started_at < until)
    if flow:
        statement = statement.where(Call.flow_id == flow)
    if queue:
        statement = statement.where(Recording.queue == queue)
    if agent:
        statement = statement.where(Recording.agent == agent)
    return statement
