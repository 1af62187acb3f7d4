"""The recordings store: add, find, list, expire and delete recordings; read transcripts.

Owns all reads and writes of the ``recordings`` table (and reads of ``transcripts`` and
``transcript_segments`` for showing a recording). It validates shape (known kind and
source, a relative path without ``..``, aware timestamps, sane numbers) so a bad caller gets
an error naming the field instead of a database constraint message, and it turns the
database's uniqueness guarantee on ``(source, source_id)`` into
:class:`~voice.recordings.errors.DuplicateRecordingError`, which is what makes storing a
recording idempotent under concurrent, repeated callbacks. Deleting a row deletes its
transcript and transcription job with it (``ON DELETE CASCADE``); the caller removes the file
first (:meth:`voice.recordings.service.RecordingService.purge_expired`). It never touches
files.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from voice.recordings.errors import (
    DuplicateRecordingError,
    InvalidRecordingDataError,
    RecordingCallNotFoundError,
)
from voice.recordings.records import (
    KINDS,
    SOURCES,
    RecordingInfo,
    SegmentInfo,
    TranscriptInfo,
    is_safe_path,
)
from voice.store.models import Call, CallEvent, Recording, Transcript, TranscriptSegment

__all__ = ["KINDS", "SOURCES", "RecordingInfo", "RecordingRepository"]


class RecordingEventSink(Protocol):
    """Where ``recording.ready`` goes: written in the filing transaction, sent after."""

    def recording_ready(self, session: Session, recording: Recording,
                        now: datetime) -> list[int]:
        """Add the event to the outbox in ``session``; the ids to send after commit."""

    def committed(self, ids: list[int]) -> None:
        """The transaction holding ``ids`` committed: send them."""

#: the largest id an INTEGER column holds
MAX_ID = 2**31 - 1


class RecordingRepository:
    """Stores and finds recordings through sessions from ``session_factory``."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory
        #: ``recording.ready`` webhooks, written with each new row (None: none)
        self.events: RecordingEventSink | None = None

    def add(
        self,
        *,
        call_id: str,
        kind: str,
        source: str,
        source_id: str,
        path: str,
        channels: int,
        duration_s: float,
        size_bytes: int,
        sha256: str,
        created_at: datetime,
        flow_id: str | None = None,
        queue: str | None = None,
        agent: str | None = None,
        expires_at: datetime | None = None,
        wrapped_key: str | None = None,
    ) -> RecordingInfo:
        """Add a recording and return it with its id.

        ``expires_at`` is when the retention purge removes it (None: never); ``wrapped_key``
        is the encrypted file's key (:class:`voice.recordings.crypto.RecordingCipher`).

        Raises :class:`DuplicateRecordingError` when ``(source, source_id)`` is stored already,
        :class:`RecordingCallNotFoundError` for an unknown call and
        :class:`InvalidRecordingDataError` for a bad field.
        """
        where = f"recording '{source_id}' of call '{call_id}'"
        _check_choice(kind, KINDS, f"{where}: kind")
        _check_choice(source, SOURCES, f"{where}: source")
        _check_path(path, where)
        _check_numbers(where, channels, duration_s, size_bytes, sha256)
        _check_aware(created_at, f"{where}: created_at")
        if expires_at is not None:
            _check_aware(expires_at, f"{where}: expires_at")
        row = Recording(
            call_id=call_id, kind=kind, source=source, source_id=source_id, path=path,
            channels=channels, duration_s=float(duration_s), size_bytes=size_bytes,
            sha256=sha256, created_at=created_at.astimezone(UTC), flow_id=flow_id, queue=queue,
            agent=agent, expires_at=expires_at.astimezone(UTC) if expires_at else None,
            wrapped_key=wrapped_key,
        )
        ids: list[int] = []
        try:
            with self._sessions.begin() as session:
                if session.get(Call, call_id) is None:
                    raise RecordingCallNotFoundError(call_id)
                session.add(row)
                if self.events is not None:
                    session.flush()
                    ids = self.events.recording_ready(session, row, created_at)
        except IntegrityError:
            # Another writer won the race (a repeated callback), or the path is taken.
            if self.by_source_id(source, source_id) is not None:
                raise DuplicateRecordingError(source, source_id) from None
            raise InvalidRecordingDataError(
                f"{where}: path '{path}' already belongs to another recording; "
                "every recording needs its own file"
            ) from None
        if ids and self.events is not None:
            self.events.committed(ids)
        return _info(row)

    def get(self, recording_id: int) -> RecordingInfo | None:
        """One recording by its id, or None if unknown."""
        if not 1 <= recording_id <= MAX_ID:
            return None  # PostgreSQL would refuse to compare with it
        with self._sessions() as session:
            row = session.get(Recording, recording_id)
            return _info(row) if row is not None else None

    def list_for_call(self, call_id: str) -> list[RecordingInfo]:
        """The recordings of one call, oldest first (empty for an unknown call)."""
        query = (
            select(Recording)
            .where(Recording.call_id == call_id)
            .order_by(Recording.created_at, Recording.id)
        )
        with self._sessions() as session:
            return [_info(row) for row in session.scalars(query)]

    def list_recordings(
        self, *, call: str | None = None, flow: str | None = None,
        since: datetime | None = None, until: datetime | None = None, limit: int = 100,
    ) -> list[RecordingInfo]:
        """Recordings newest first, filtered by call id, flow, and ``since <= created < until``.

        ``flow`` matches the recording's flow, or its call's flow when the recording names
        none (Twilio callbacks do not).
        """
        query = select(Recording)
        if call is not None:
            query = query.where(Recording.call_id == call)
        if flow is not None:
            query = query.join(Call, Call.id == Recording.call_id).where(or_(
                Recording.flow_id == flow,
                and_(Recording.flow_id.is_(None), Call.flow_id == flow)))
        if since is not None:
            query = query.where(Recording.created_at >= since)
        if until is not None:
            query = query.where(Recording.created_at < until)
        query = query.order_by(Recording.created_at.desc(), Recording.id.desc()).limit(limit)
        with self._sessions() as session:
            return [_info(row) for row in session.scalars(query)]

    def expired(self, now: datetime) -> list[RecordingInfo]:
        """Recordings whose ``expires_at`` is at or before ``now``, oldest expiry first."""
        _check_aware(now, "now")
        query = (
            select(Recording)
            .where(Recording.expires_at.is_not(None), Recording.expires_at <= now)
            .order_by(Recording.expires_at, Recording.id)
        )
        with self._sessions() as session:
            return [_info(row) for row in session.scalars(query)]

    def delete(self, recording_id: int) -> bool:
        """Delete a row with its transcript and job (cascade); False if it was already gone."""
        with self._sessions.begin() as session:
            result = session.execute(delete(Recording).where(Recording.id == recording_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def wrapped_key(self, recording_id: int) -> str | None:
        """The wrapped file key of an encrypted recording (None: stored in clear or unknown)."""
        with self._sessions() as session:
            return session.scalar(
                select(Recording.wrapped_key).where(Recording.id == recording_id))

    def transcript(self, recording_id: int) -> TranscriptInfo | None:
        """The recording's transcript with its segments in time order, or None."""
        with self._sessions() as session:
            row = session.scalars(
                select(Transcript).where(Transcript.recording_id == recording_id)).first()
            if row is None:
                return None
            segments = session.scalars(
                select(TranscriptSegment)
                .where(TranscriptSegment.transcript_id == row.id)
                .order_by(TranscriptSegment.start_s, TranscriptSegment.channel,
                          TranscriptSegment.id))
            return TranscriptInfo(
                model=row.model, created_at=row.created_at,
                segments=tuple(SegmentInfo(
                    speaker=s.speaker, start_s=s.start_s, end_s=s.end_s, text=s.text,
                    confidence=s.confidence, node=s.node) for s in segments))

    def by_source_id(self, source: str, source_id: str) -> RecordingInfo | None:
        """The recording the carrier knows as ``source_id`` (e.g. a RecordingSid), or None."""
        query = select(Recording).where(
            Recording.source == source, Recording.source_id == source_id
        )
        with self._sessions() as session:
            row = session.scalars(query).first()
            return _info(row) if row is not None else None

    def call_started_at(self, call_id: str) -> datetime | None:
        """When the call started according to the call log, or None if it is unknown.

        Recordings are filed under the day their call started, so all files of one call sit
        in one folder even when it crosses midnight.
        """
        with self._sessions() as session:
            return session.scalar(select(Call.started_at).where(Call.id == call_id))

    def call_flow(self, call_id: str) -> tuple[str, int | None] | None:
        """The flow id and version the call ran (version None: not pinned), or None."""
        with self._sessions() as session:
            row = session.execute(
                select(Call.flow_id, Call.flow_version).where(Call.id == call_id)).first()
            return (row[0], row[1]) if row is not None else None

    def queue_nodes(self, call_id: str) -> list[str]:
        """Ids of the ``queue`` nodes of the call's own flow that its path visited."""
        with self._sessions() as session:
            return list(session.scalars(
                select(CallEvent.node).join(Call, Call.id == CallEvent.call_id)
                .where(CallEvent.call_id == call_id, CallEvent.node_type == "queue",
                       CallEvent.flow_id == Call.flow_id).distinct()))


def _check_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise InvalidRecordingDataError(
            f"{what} '{value}' is unknown; use one of {', '.join(allowed)}"
        )


def _check_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecordingDataError(
            f"{what} {value!r} has no time zone; pass an aware datetime"
        )


def _check_path(path: str, where: str) -> None:
    if not is_safe_path(path):
        raise InvalidRecordingDataError(
            f"{where}: path '{path}' must be relative to the recordings folder, "
            "with '/' separators and no '..' (e.g. 2026/11/24/CA123.wav)"
        )


def _check_numbers(
    where: str, channels: int, duration_s: float, size_bytes: int, sha256: str
) -> None:
    if not isinstance(channels, int) or channels < 1:
        raise InvalidRecordingDataError(f"{where}: channels must be 1 or more, got {channels!r}")
    if duration_s < 0:
        raise InvalidRecordingDataError(f"{where}: duration_s must not be negative")
    if size_bytes < 0:
        raise InvalidRecordingDataError(f"{where}: size_bytes must not be negative")
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        raise InvalidRecordingDataError(
            f"{where}: sha256 must be 64 lowercase hex digits (hashlib.sha256().hexdigest())"
        )


def _info(row: Recording) -> RecordingInfo:
    return RecordingInfo(
        id=row.id,
        call_id=row.call_id,
        kind=row.kind,
        source=row.source,
        source_id=row.source_id,
        path=row.path,
        channels=row.channels,
        duration_s=row.duration_s,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        created_at=row.created_at,
        flow_id=row.flow_id,
        queue=row.queue,
        agent=row.agent,
        expires_at=row.expires_at,
        encrypted=row.wrapped_key is not None,
    )
