"""Drafts of flows being edited in the web editor: the ``flow_drafts`` table.

One draft per flow, shared by every admin: the YAML text exactly as typed (comments, blank
lines, quoting and key order are kept byte for byte, nothing is re-serialised), the published
version it was started from and who saved it when. Each save bumps ``revision``; a save that
names an older revision than the stored one is refused with
:class:`~voice.flows.errors.DraftConflictError` (unless it asks to overwrite), so two admins
never silently overwrite each other. Drafts are never served to callers: only publishing
(:mod:`voice.flows.editing`) makes a version live, and it deletes the draft.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from voice.flows.errors import DraftConflictError
from voice.store.models import FlowDraft


@dataclass(frozen=True)
class DraftInfo:
    """One saved draft."""

    flow_id: str
    content: str
    base_version: int | None
    revision: int
    saved_at: datetime
    saved_by: str


class DraftStore:
    """Reads and writes ``flow_drafts`` rows."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def get(self, flow_id: str) -> DraftInfo | None:
        """The draft of ``flow_id``, or None."""
        with self._sessions() as session:
            row = session.get(FlowDraft, flow_id)
            return _info(row) if row is not None else None

    def list(self) -> list[DraftInfo]:
        """Every draft, by flow id."""
        with self._sessions() as session:
            rows = session.scalars(select(FlowDraft).order_by(FlowDraft.flow_id))
            return [_info(row) for row in rows]

    def save(self, flow_id: str, content: str, *, saved_by: str, base_version: int | None,
             expected_revision: int | None, overwrite: bool = False) -> DraftInfo:
        """Store ``content`` as the draft of ``flow_id``; the saved draft.

        ``expected_revision`` is the revision the editor loaded (None: it loaded no draft).
        When the stored draft has another revision, DraftConflictError names who saved it,
        unless ``overwrite``.
        """
        now = self._clock()
        try:
            with self._sessions.begin() as session:
                row = session.scalars(select(FlowDraft).where(FlowDraft.flow_id == flow_id)
                                      .with_for_update()).first()
                if row is None:
                    # no draft (or the one the editor loaded was published or discarded
                    # meanwhile): this save starts a new one, so nothing typed is lost
                    row = FlowDraft(flow_id=flow_id, content=content, base_version=base_version,
                                    revision=1, saved_at=now, saved_by=saved_by)
                    session.add(row)
                else:
                    if row.revision != expected_revision and not overwrite:
                        raise DraftConflictError(flow_id, row.revision, row.saved_by,
                                                 f"{row.saved_at:%Y-%m-%d %H:%M:%S} UTC")
                    row.content = content
                    row.base_version = base_version
                    row.revision += 1
                    row.saved_at = now
                    row.saved_by = saved_by
                session.flush()
                return _info(row)
        except IntegrityError:
            # another admin created the draft between our read and our insert
            current = self.get(flow_id)
            if current is None or overwrite:
                raise
            raise DraftConflictError(flow_id, current.revision, current.saved_by,
                                     f"{current.saved_at:%Y-%m-%d %H:%M:%S} UTC") from None

    def delete(self, flow_id: str) -> bool:
        """Forget the draft of ``flow_id``; True when there was one."""
        with self._sessions.begin() as session:
            result = session.execute(delete(FlowDraft).where(FlowDraft.flow_id == flow_id))
            return bool(getattr(result, "rowcount", 0))


def _info(row: FlowDraft) -> DraftInfo:
    return DraftInfo(flow_id=row.flow_id, content=row.content, base_version=row.base_version,
                     revision=row.revision, saved_at=row.saved_at, saved_by=row.saved_by)
