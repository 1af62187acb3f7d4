"""Saved IVR sessions: a live call's state between webhooks, safe across worker processes.

``SessionStore.save`` is an optimistic compare-and-swap on ``revision``: when two workers
handle the same call at once, one save wins and the other is told to retry on fresh state,
so a call never advances twice. Secrets are sealed with the ``SecretBox`` before they reach
the database. Queue bookkeeping (which queue, priority, since when) lives on the row so the
hold loop can tell a caller their position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.ivr import SessionState
from voice.secretbox import SecretBox
from voice.store.models import IvrSession


@dataclass
class SavedSession:
    """A call's session as loaded: state (secrets opened) plus the adapter's bookkeeping."""

    call_id: str
    state: SessionState
    versions: dict[str, int]
    revision: int = 0
    timers: dict[str, str] = field(default_factory=dict)
    adapter: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None
    queue_priority: int | None = None
    enqueued_at: datetime | None = None
    last_key: str | None = None
    last_reply: str | None = None
    ended: bool = False
    #: path steps finished by the request in progress, for the call log (never stored here)
    unlogged: list[dict[str, Any]] = field(default_factory=list)
    #: the request in progress put the caller in a queue: offer them once the path is logged
    joined: bool = False


class SessionStore:
    """Creates, loads and saves ``SavedSession`` rows."""

    def __init__(self, session_factory: sessionmaker[Session], box: SecretBox) -> None:
        self._sessions = session_factory
        self._box = box

    def create(self, saved: SavedSession, now: datetime) -> None:
        """Insert the first revision of a call's session."""
        with self._sessions.begin() as db:
            db.add(IvrSession(call_id=saved.call_id, revision=1, updated_at=now,
                              **self._columns(saved)))
        saved.revision = 1

    def load(self, call_id: str) -> SavedSession | None:
        """The saved session of ``call_id``, or None."""
        with self._sessions() as db:
            row = db.get(IvrSession, call_id)
            if row is None:
                return None
            data = dict(row.state)
            data["secrets"] = self._box.open(row.secrets)
            return SavedSession(
                call_id=row.call_id, state=SessionState.from_dict(data),
                versions=dict(row.versions), revision=row.revision, timers=dict(row.timers),
                adapter=dict(row.adapter), queue=row.queue, queue_priority=row.queue_priority,
                enqueued_at=row.enqueued_at, last_key=row.last_key, last_reply=row.last_reply,
                ended=row.ended)

    def save(self, saved: SavedSession, now: datetime) -> bool:
        """Store ``saved`` if nobody saved since it was loaded; False means reload and retry."""
        with self._sessions.begin() as db:
            result = db.execute(
                update(IvrSession)
                .where(IvrSession.call_id == saved.call_id,
                       IvrSession.revision == saved.revision)
                .values(revision=saved.revision + 1, updated_at=now, **self._columns(saved)))
        if result.rowcount != 1:
            return False
        saved.revision += 1
        return True

    def queue_position(self, saved: SavedSession) -> int | None:
        """1-based place of the call in its queue (higher priority, then earlier, first)."""
        if saved.queue is None or saved.enqueued_at is None:
            return None
        priority = saved.queue_priority or 0
        with self._sessions() as db:
            ahead = db.scalar(select(func.count()).select_from(IvrSession).where(
                IvrSession.queue == saved.queue, IvrSession.ended.is_(False),
                IvrSession.call_id != saved.call_id,
                (IvrSession.queue_priority > priority)
                | ((IvrSession.queue_priority == priority)
                   & (IvrSession.enqueued_at <= saved.enqueued_at))))
        return int(ahead or 0) + 1

    def _columns(self, saved: SavedSession) -> dict[str, Any]:
        return {
            "state": saved.state.to_dict(), "secrets": self._box.seal(saved.state.secrets),
            "versions": saved.versions, "timers": saved.timers, "adapter": saved.adapter,
            "queue": saved.queue, "queue_priority": saved.queue_priority,
            "enqueued_at": saved.enqueued_at, "last_key": saved.last_key,
            "last_reply": saved.last_reply, "ended": saved.ended,
        }
