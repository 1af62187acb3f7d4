"""The audit log's store: :class:`AuditLog` records changes and lists them back.

Every change a member of staff makes to configuration is one ``audit_log`` row: the actor
(username; for the CLI the operating-system user), their role, the door (``web``, ``api``,
``cli``), an ``action`` verb (``flow.publish``, ``queue.update``, ``user.add`` ...), the
entity's type and id, a one-line summary a person reads, and JSON details of what changed.
Details never carry secrets: keys that name a password, PIN, API key, token or signing
secret are refused (:class:`~voice.audit.errors.SecretInAuditError`), so a careless caller
fails in tests instead of leaking into the log.

:meth:`AuditLog.record` writes in its own transaction by default; pass ``session`` to write
inside the caller's transaction, so the change and its audit row commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from voice.audit.errors import SecretInAuditError
from voice.store.models import AuditEntry

#: words that mark a details key as a secret (compared case-insensitively, as substrings)
SECRET_WORDS = ("password", "pin", "api_key", "apikey", "token", "secret", "card")
#: the doors a change comes through
VIAS = ("web", "api", "cli")
PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditRecord:
    """One row of the audit log, as pages and the CLI show it."""

    id: int
    at: datetime
    actor: str
    actor_role: str | None
    via: str
    action: str
    entity_type: str
    entity_id: str
    summary: str
    details: dict[str, Any] | None


def check_details(details: Mapping[str, Any] | None) -> None:
    """Refuse details whose keys (at any depth) name a secret."""
    if not details:
        return
    for key, value in details.items():
        lowered = key.lower()
        if any(word in lowered for word in SECRET_WORDS) and not _is_flag(value):
            raise SecretInAuditError(key)
        if isinstance(value, Mapping):
            check_details(value)


def _is_flag(value: Any) -> bool:
    """``password_changed: true`` says that a secret changed without saying what it is."""
    return isinstance(value, bool) or value is None


class AuditLog:
    """Writes and reads ``audit_log`` rows."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(self, *, actor: str, action: str, entity_type: str, entity_id: str,
               summary: str, via: str = "web", actor_role: str | None = None,
               details: Mapping[str, Any] | None = None,
               session: Session | None = None) -> None:
        """Add one change to the log (in ``session``'s transaction when given)."""
        if via not in VIAS:
            raise ValueError(f"via must be one of {', '.join(VIAS)}, not {via!r}")
        check_details(details)
        row = AuditEntry(at=self._clock(), actor=actor, actor_role=actor_role, via=via,
                         action=action, entity_type=entity_type, entity_id=str(entity_id),
                         summary=summary, details=dict(details) if details else None)
        if session is not None:
            session.add(row)
            return
        with self._sessions.begin() as own:
            own.add(row)

    def entries(self, *, entity_type: str | None = None, entity_id: str | None = None,
                actor: str | None = None, before_id: int | None = None,
                limit: int = PAGE_SIZE) -> list[AuditRecord]:
        """The newest entries first, filtered; ``before_id`` pages back in time."""
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if entity_type:
            query = query.where(AuditEntry.entity_type == entity_type)
        if entity_id:
            query = query.where(AuditEntry.entity_id == entity_id)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        if before_id is not None:
            query = query.where(AuditEntry.id < before_id)
        with self._sessions() as session:
            return [_record(row) for row in session.scalars(query)]


def _record(row: AuditEntry) -> AuditRecord:
    return AuditRecord(id=row.id, at=row.at, actor=row.actor, actor_role=row.actor_role,
                       via=row.via, action=row.action, entity_type=row.entity_type,
                       entity_id=row.entity_id, summary=row.summary, details=row.details)


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any],
                   keys: Iterable[str] | None = None) -> dict[str, list[Any]]:
    """What a change changed, as audit details: ``{field: [before, after]}`` for the fields
    (``keys``, default every field of ``after``) whose values differ."""
    return {key: [before[key], after[key]] for key in (after if keys is None else keys)
            if before[key] != after[key]}


def cli_actor() -> str:
    """Who runs a CLI command: ``VOICE_ACTOR`` when set (scripts name themselves), else the
    operating-system user, else ``unknown`` (a container's user id without a name)."""
    import getpass
    import os

    try:
        return os.environ.get("VOICE_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
