"""The call log's storage: start, extend, end and list calls with their IVR path.

Owns all reads and writes of ``calls`` and ``call_events``. Inputs are stored exactly as
given (the engine has already masked sensitive ones); times must be timezone-aware and come
back as aware UTC. It validates shape (known channel, required path keys) so a bad caller
gets an error naming the field instead of a database constraint message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from voice.calls.errors import CallNotFoundError, DuplicateCallError, InvalidCallDataError
from voice.calls.records import CHANNELS, CallRecord, PathStep
from voice.store.models import Call, CallEvent

__all__ = ["CHANNELS", "CallRecord", "CallRepository", "PathStep"]

_REQUIRED_STEP_KEYS = ("seq", "at", "flow", "node", "type")


class CallEventSink(Protocol):
    """Where ``call.started``/``call.ended`` go: written in the call's own transaction."""

    def call_event(self, session: Session, event_type: str, call_id: str,
                   now: datetime) -> list[int]:
        """Add the event to the outbox in ``session``; the ids to send after commit."""

    def committed(self, ids: list[int]) -> None:
        """The transaction holding ``ids`` committed: send them."""


class CallRepository:
    """Records calls and their IVR paths through sessions from ``session_factory``.

    With :attr:`events` set, starting and ending a real (not simulated) call also writes
    ``call.started``/``call.ended`` to the webhook outbox in the same transaction.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory
        self.events: CallEventSink | None = None

    def start_call(
        self,
        *,
        call_id: str,
        channel: str,
        flow_id: str,
        flow_version: int | None,
        flow_sha256: str | None,
        from_number: str,
        to_number: str,
        started_at: datetime,
        simulated: bool,
        worker: str | None = None,
    ) -> None:
        """Add a new call; raises DuplicateCallError if ``call_id`` was already started."""
        if channel not in CHANNELS:
            known = ", ".join(CHANNELS)
            raise InvalidCallDataError(
                f"call '{call_id}': channel '{channel}' is unknown; use one of {known}"
            )
        _require_aware(started_at, f"call '{call_id}': started_at")
        call = Call(
            id=call_id,
            channel=channel,
            flow_id=flow_id,
            flow_version=flow_version,
            flow_sha256=flow_sha256,
            from_number=from_number,
            to_number=to_number,
            started_at=started_at,
            simulated=simulated,
            worker=worker,
        )
        ids: list[int] = []
        try:
            with self._sessions.begin() as session:
                session.add(call)
                if self.events is not None and not simulated:
                    session.flush()
                    ids = self.events.call_event(session, "call.started", call_id, started_at)
        except IntegrityError:
            raise DuplicateCallError(call_id) from None
        if ids and self.events is not None:
            self.events.committed(ids)

    def append_path(self, call_id: str, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append IVR path steps (keys seq, at, flow, node, type, outcome, input, detail)."""
        events = [_event(call_id, index, entry) for index, entry in enumerate(entries)]
        try:
            with self._sessions.begin() as session:
                if session.get(Call, call_id) is None:
                    raise CallNotFoundError(call_id)
                session.add_all(events)
        except IntegrityError:
            seqs = ", ".join(str(event.seq) for event in events)
            raise InvalidCallDataError(
                f"call '{call_id}': a path step with seq {seqs} is already recorded; "
                "seq must be unique within a call"
            ) from None

    def record_path(self, call_id: str, entries: Sequence[Mapping[str, Any]]) -> int:
        """Append the steps not logged yet (seq above the highest logged); safe to repeat.

        Returns how many steps were added. Live front ends call this after every request,
        with the finished steps so far.
        """
        with self._sessions() as session:
            logged = session.scalar(select(func.max(CallEvent.seq))
                                    .where(CallEvent.call_id == call_id)) or 0
        fresh = [entry for entry in entries if int(entry["seq"]) > logged]
        if fresh:
            self.append_path(call_id, fresh)
        return len(fresh)

    def end_call(self, call_id: str, *, ended_at: datetime, outcome: str | None) -> None:
        """Mark the call ended with ``outcome`` (e.g. 'hangup', 'queued', 'transferred')."""
        _require_aware(ended_at, f"call '{call_id}': ended_at")
        ids: list[int] = []
        with self._sessions.begin() as session:
            call = session.get(Call, call_id)
            if call is None:
                raise CallNotFoundError(call_id)
            first = call.ended_at is None
            call.ended_at = ended_at
            call.outcome = outcome
            if self.events is not None and first and not call.simulated:
                session.flush()
                ids = self.events.call_event(session, "call.ended", call_id, ended_at)
        if ids and self.events is not None:
            self.events.committed(ids)

    def end_open_calls(self, *, worker: str, ended_at: datetime, outcome: str) -> list[str]:
        """End every call still open on media worker ``worker`` (it died); return their ids."""
        _require_aware(ended_at, f"worker '{worker}': ended_at")
        ids: list[int] = []
        with self._sessions.begin() as session:
            open_calls = session.scalars(
                select(Call).where(Call.worker == worker, Call.ended_at.is_(None))).all()
            for call in open_calls:
                call.ended_at = ended_at
                call.outcome = outcome
            session.flush()
            for call in open_calls:
                if self.events is not None and not call.simulated:
                    ids += self.events.call_event(session, "call.ended", call.id, ended_at)
            ended = [call.id for call in open_calls]
        if ids and self.events is not None:
            self.events.committed(ids)
        return ended

    def list_calls(self, limit: int = 50, channel: str | None = None) -> list[CallRecord]:
        """The ``limit`` most recent calls (optionally of one channel), newest first."""
        query = (
            select(Call)
            .options(selectinload(Call.events))
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(limit)
        )
        if channel is not None:
            query = query.where(Call.channel == channel)
        with self._sessions() as session:
            return [_record(call) for call in session.scalars(query)]

    def get(self, call_id: str) -> CallRecord | None:
        """One call with its path, or None if unknown."""
        with self._sessions() as session:
            call = session.scalars(
                select(Call).options(selectinload(Call.events)).where(Call.id == call_id)
            ).first()
            return _record(call) if call else None


def _require_aware(value: object, what: str) -> None:
    if not isinstance(value, datetime):
        raise InvalidCallDataError(f"{what} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidCallDataError(
            f"{what} {value!r} has no time zone; pass an aware datetime, e.g. datetime.now(UTC)"
        )


def _event(call_id: str, index: int, entry: Mapping[str, Any]) -> CallEvent:
    where = f"call '{call_id}': path entry {index}"
    missing = [key for key in _REQUIRED_STEP_KEYS if key not in entry]
    if missing:
        raise InvalidCallDataError(f"{where} is missing {', '.join(missing)}")
    seq = entry["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise InvalidCallDataError(f"{where}: seq must be an int, got {seq!r}")
    _require_aware(entry["at"], f"{where}: at")
    detail = entry.get("detail")
    if detail is not None and not isinstance(detail, Mapping):
        raise InvalidCallDataError(f"{where}: detail must be a mapping or None, got {detail!r}")
    return CallEvent(
        call_id=call_id,
        seq=seq,
        at=entry["at"],
        flow_id=str(entry["flow"]),
        node=str(entry["node"]),
        node_type=str(entry["type"]),
        outcome=entry.get("outcome"),
        input=entry.get("input"),
        detail=dict(detail) if detail is not None else None,
    )


def _record(call: Call) -> CallRecord:
    return CallRecord(
        id=call.id,
        channel=call.channel,
        flow_id=call.flow_id,
        flow_version=call.flow_version,
        flow_sha256=call.flow_sha256,
        from_number=call.from_number,
        to_number=call.to_number,
        started_at=call.started_at,
        ended_at=call.ended_at,
        outcome=call.outcome,
        simulated=call.simulated,
        worker=call.worker,
        path=[
            PathStep(
                seq=event.seq,
                at=event.at,
                flow=event.flow_id,
                node=event.node,
                type=event.node_type,
                outcome=event.outcome,
                input=event.input,
                detail=event.detail,
            )
            for event in call.events
        ],
    )
