"""Published flow versions: store, number and read them back.

Owns the ``flows`` and ``flow_versions`` tables. Publishing assigns the next version number
atomically (two publishers racing on the same flow get distinct numbers: the loser of the
unique ``(flow_id, version)`` constraint retries) and computes the content hash. It does not
parse or validate YAML: callers (``voice.flows.catalog``) validate before publishing, so an
invalid flow never reaches this table and the previous version keeps serving.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from voice.store.errors import ConcurrentUpdateError
from voice.store.models import Flow, FlowVersion

PUBLISH_ATTEMPTS = 20


@dataclass(frozen=True)
class FlowVersionInfo:
    """One published version of a flow, as read from the database."""

    flow_id: str
    version: int
    name: str
    sha256: str
    content: str
    numbers: list[str]
    published_at: datetime
    published_by: str
    note: str | None


def content_sha256(content: str) -> str:
    """The hex SHA-256 of a flow's YAML text (UTF-8), as stored with each version."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class FlowRepository:
    """Reads and writes published flow versions through sessions from ``session_factory``."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def publish(
        self,
        *,
        flow_id: str,
        name: str,
        content: str,
        numbers: Sequence[str],
        published_by: str,
        note: str | None = None,
    ) -> FlowVersionInfo:
        """Store ``content`` as the next version of ``flow_id`` and return it.

        Raises :class:`~voice.store.errors.ConcurrentUpdateError` only if the flow is being
        published concurrently so often that retries run out.
        """
        numbers_list = [str(number) for number in numbers]
        sha256 = content_sha256(content)
        for _attempt in range(PUBLISH_ATTEMPTS):
            try:
                return self._publish_once(
                    flow_id, name, content, numbers_list, published_by, note, sha256
                )
            except IntegrityError:
                continue  # another publisher took this number (or created the flow): retry
        raise ConcurrentUpdateError(
            f"flow '{flow_id}' could not be published after {PUBLISH_ATTEMPTS} attempts "
            "because other publishers kept winning; try again"
        )

    def current(self, flow_id: str) -> FlowVersionInfo | None:
        """The highest version of ``flow_id``, or None if it was never published."""
        with self._sessions() as session:
            row = session.scalars(
                select(FlowVersion)
                .where(FlowVersion.flow_id == flow_id)
                .order_by(FlowVersion.version.desc())
                .limit(1)
            ).first()
            return _info(row) if row else None

    def get(self, flow_id: str, version: int) -> FlowVersionInfo | None:
        """Version ``version`` of ``flow_id``, or None if there is no such version."""
        with self._sessions() as session:
            row = session.scalars(
                select(FlowVersion).where(
                    FlowVersion.flow_id == flow_id, FlowVersion.version == version
                )
            ).first()
            return _info(row) if row else None

    def versions(self, flow_id: str) -> list[FlowVersionInfo]:
        """Every version of ``flow_id``, oldest first (empty if never published)."""
        with self._sessions() as session:
            rows = session.scalars(
                select(FlowVersion)
                .where(FlowVersion.flow_id == flow_id)
                .order_by(FlowVersion.version)
            )
            return [_info(row) for row in rows]

    def list_current(self) -> list[FlowVersionInfo]:
        """The newest version of every published flow, sorted by flow id."""
        newest = (
            select(FlowVersion.flow_id, func.max(FlowVersion.version).label("version"))
            .group_by(FlowVersion.flow_id)
            .subquery()
        )
        with self._sessions() as session:
            rows = session.scalars(
                select(FlowVersion)
                .join(
                    newest,
                    (FlowVersion.flow_id == newest.c.flow_id)
                    & (FlowVersion.version == newest.c.version),
                )
                .order_by(FlowVersion.flow_id)
            )
            return [_info(row) for row in rows]

    def _publish_once(
        self,
        flow_id: str,
        name: str,
        content: str,
        numbers: list[str],
        published_by: str,
        note: str | None,
        sha256: str,
    ) -> FlowVersionInfo:
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            # FOR UPDATE serialises publishers of one flow on PostgreSQL (SQLite ignores it
            # and serialises all writers anyway); the unique constraint is the real guard.
            flow = session.scalars(select(Flow).where(Flow.id == flow_id).with_for_update()).first()
            if flow is None:
                flow = Flow(id=flow_id, name=name, created_at=now)
                session.add(flow)
                session.flush()
            else:
                flow.name = name
            latest = session.scalar(
                select(func.max(FlowVersion.version)).where(FlowVersion.flow_id == flow_id)
            )
            row = FlowVersion(
                flow_id=flow_id,
                version=(latest or 0) + 1,
                name=name,
                content=content,
                sha256=sha256,
                numbers=numbers,
                published_at=now,
                published_by=published_by,
                note=note,
            )
            session.add(row)
            session.flush()
            return _info(row)


def _info(row: FlowVersion) -> FlowVersionInfo:
    return FlowVersionInfo(
        flow_id=row.flow_id,
        version=row.version,
        name=row.name,
        sha256=row.sha256,
        content=row.content,
        numbers=list(row.numbers or []),
        published_at=row.published_at,
        published_by=row.published_by,
        note=row.note,
    )
