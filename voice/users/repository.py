"""Storage of staff users: add them, find them by name or API key hash, change their secrets.

Owns all reads and writes of the ``users`` table. It stores what it is given (an argon2
password hash, the SHA-256 hex of an API key) and enforces only what the database does:
unique usernames, reported as :class:`~voice.users.errors.DuplicateUserError`. The rules
(valid names, roles, password length) live in :mod:`voice.users.service`.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from voice.store.models import User
from voice.users.errors import DuplicateUserError, UserNotFoundError


@dataclass(frozen=True)
class UserRecord:
    """One row of ``users`` as read from the database, secrets as hashes."""

    id: int
    username: str
    role: str
    password_hash: str
    api_key_hash: str | None
    disabled: bool
    created_at: datetime


class UserRepository:
    """Reads and writes staff users through sessions from ``session_factory``."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def add(self, *, username: str, role: str, password_hash: str,
            created_at: datetime, disabled: bool = False) -> UserRecord:
        """Store a new user; raises DuplicateUserError if ``username`` is taken."""
        row = User(username=username, role=role, password_hash=password_hash,
                   api_key_hash=None, disabled=disabled, created_at=created_at)
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                return _record(row)
        except IntegrityError:
            raise DuplicateUserError(username) from None

    def get_by_username(self, username: str) -> UserRecord | None:
        """The user called ``username`` (exact match), or None."""
        with self._sessions() as session:
            row = session.scalars(select(User).where(User.username == username)).first()
            return _record(row) if row else None

    def get_by_api_key_hash(self, api_key_hash: str) -> UserRecord | None:
        """The user whose API key has this SHA-256 hex, or None."""
        with self._sessions() as session:
            row = session.scalars(select(User).where(User.api_key_hash == api_key_hash)).first()
            return _record(row) if row else None

    def set_password_hash(self, username: str, password_hash: str) -> None:
        """Replace the password hash of ``username``; raises UserNotFoundError."""
        with self._sessions.begin() as session:
            _row(session, username).password_hash = password_hash

    def set_api_key_hash(self, username: str, api_key_hash: str | None) -> None:
        """Replace (or with None, remove) the API key hash of ``username``."""
        with self._sessions.begin() as session:
            _row(session, username).api_key_hash = api_key_hash

    def set_role(self, username: str, role: str) -> None:
        """Give ``username`` another role; raises UserNotFoundError."""
        with self._sessions.begin() as session:
            _row(session, username).role = role

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (no logins, no API keys) or enable ``username``; raises UserNotFoundError."""
        with self._sessions.begin() as session:
            _row(session, username).disabled = disabled

    def list(self) -> builtins.list[UserRecord]:
        """Every user, sorted by username."""
        with self._sessions() as session:
            rows = session.scalars(select(User).order_by(User.username))
            return [_record(row) for row in rows]


def _row(session: Session, username: str) -> User:
    row = session.scalars(
        select(User).where(User.username == username).with_for_update()
    ).first()
    if row is None:
        raise UserNotFoundError(username)
    return row


def _record(row: User) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        role=row.role,
        password_hash=row.password_hash,
        api_key_hash=row.api_key_hash,
        disabled=row.disabled,
        created_at=row.created_at,
    )
