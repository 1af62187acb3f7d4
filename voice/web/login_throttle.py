"""Login lockout: too many wrong passwords for one username and it is refused for a while.

Owns the rule and its storage (``login_attempts``): :data:`MAX_FAILURES` failed sign-ins for
one username within :data:`WINDOW` lock that username for :data:`LOCK_TIME`; a successful
sign-in ends a run of failures. Attempts while locked are refused without checking the
password and logged as ``refused``, which does not extend the lock (a user who keeps trying
is let in once the lock lifts). Counting is per username *as typed*, known or not, so the
answer never tells whether a username exists. Rows live in the database, so the rule holds
across gunicorn workers and restarts; rows older than :data:`KEEP_FOR` are pruned.

Both the login form (``voice.web.login``) and HTTP Basic (``voice.web.access``) go through
it, so the API is not a way around the lockout. Bearer API keys are random 256-bit secrets
and are not throttled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from voice.store.models import ID_LENGTH, LoginAttempt

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK_TIME = timedelta(minutes=15)
KEEP_FOR = timedelta(days=30)
T = TypeVar("T")
#: the most recent rows read per check (enough to find any lock that can still be active)
_READ_LIMIT = 200


class LoginThrottle:
    """Records sign-in attempts and says whether a username is locked (module docstring)."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime],
                 *, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW,
                 lock_time: timedelta = LOCK_TIME) -> None:
        self._sessions = session_factory
        self._clock = clock
        self.max_failures = max_failures
        self.window = window
        self.lock_time = lock_time

    def locked_until(self, username: str) -> datetime | None:
        """When the lock on ``username`` lifts, or None when it may sign in now."""
        return self._state(username)[0]

    def _state(self, username: str) -> tuple[datetime | None, int]:
        """The active lock's end (or None) and the failures not yet ended by a success."""
        now = self._clock()
        since = now - self.window - self.lock_time
        with self._sessions() as session:
            rows = session.execute(
                select(LoginAttempt.at, LoginAttempt.outcome)
                .where(LoginAttempt.username == _key(username), LoginAttempt.at >= since,
                       LoginAttempt.outcome.in_(("failed", "succeeded")))
                .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
                .limit(_READ_LIMIT)).all()
        failures: list[datetime] = []
        pending = 0
        until: datetime | None = None
        for at, outcome in reversed(rows):
            if outcome == "succeeded":
                failures, until, pending = [], None, 0
                continue
            pending += 1
            failures = [t for t in failures if at - t < self.window] + [at]
            if len(failures) >= self.max_failures:
                until, failures = at + self.lock_time, []
        return (until if until is not None and until > now else None), pending

    def record(self, username: str, outcome: str, remote_addr: str | None = None) -> None:
        """Log one attempt: ``succeeded``, ``failed`` or ``refused`` (locked)."""
        if outcome not in ("succeeded", "failed", "refused"):
            raise ValueError(f"outcome '{outcome}' is not succeeded, failed or refused")
        now = self._clock()
        with self._sessions.begin() as session:
            session.add(LoginAttempt(username=_key(username), at=now, outcome=outcome,
                                     remote_addr=(remote_addr or None) and remote_addr[:64]))
            if outcome == "succeeded":
                session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_FOR))

    def attempt(self, username: str, check: Callable[[], T | None],
                remote_addr: str | None = None, *, quiet: bool = False) -> tuple[str, T | None]:
        """Run ``check`` (the password check) unless ``username`` is locked; log the outcome.

        Returns the outcome (``succeeded``, ``failed`` or ``refused``) and what ``check``
        returned (None unless it succeeded). ``quiet`` (HTTP Basic, one check per API call)
        logs a success only when it ends a run of failures, not one row per request.
        """
        until, pending = self._state(username)
        if until is not None:
            self.record(username, "refused", remote_addr)
            return "refused", None
        result = check()
        outcome = "succeeded" if result is not None else "failed"
        if outcome == "failed" or not quiet or pending:
            self.record(username, outcome, remote_addr)
        return outcome, result


def _key(username: str) -> str:
    """The username as counted: as typed, cut to the column's length."""
    return username[:ID_LENGTH]
