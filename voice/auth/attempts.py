"""The audit of verification attempts (``auth_attempts``), which lockouts are counted from.

Every attempt is one row: when, which call, method, outcome (verified, failed, locked,
limited) and reason, the caller ID, and the account only as an HMAC key plus its masked
form; never the PIN or answers. ``voice customers unlock`` adds an ``unlocked`` row, which
ends a run of failures.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from voice.ivr.templates import mask
from voice.store.models import AuthAttempt

FAILURES = ("failed", "locked", "limited")


@dataclass(frozen=True)
class AttemptView:
    """One audited attempt as shown to admins."""

    at: datetime
    call_id: str | None
    method: str
    outcome: str
    reason: str | None
    caller_id: str | None
    account: str | None  # masked
    customer_id: int | None
    actor: str | None

    def as_json(self) -> dict[str, object]:
        """The JSON shape of an attempt."""
        return {"at": self.at.isoformat(), "call_id": self.call_id, "method": self.method,
                "outcome": self.outcome, "reason": self.reason, "caller_id": self.caller_id,
                "account": self.account, "customer_id": self.customer_id, "actor": self.actor}


class AttemptRepository:
    """Writes and counts auth attempts; ``key`` makes the account HMAC."""

    def __init__(self, session_factory: sessionmaker[Session], key: str | bytes) -> None:
        self._sessions = session_factory
        self._key = key.encode() if isinstance(key, str) else key

    def account_key(self, account: str) -> str:
        """The HMAC-SHA256 (hex) an account number is audited and counted under."""
        return hmac.new(self._key, b"account:" + account.encode(), hashlib.sha256).hexdigest()

    def record(self, *, at: datetime, method: str, outcome: str, reason: str | None = None,
               call_id: str | None = None, caller_id: str | None = None,
               account: str | None = None, customer_id: int | None = None,
               actor: str | None = None) -> None:
        """Add one attempt (``account`` in clear here; stored as key and mask only)."""
        with self._sessions.begin() as session:
            session.add(AuthAttempt(
                at=at, call_id=call_id, method=method, outcome=outcome, reason=reason,
                caller_id=caller_id or None,
                account_key=self.account_key(account) if account else None,
                account_masked=_masked(account),
                customer_id=customer_id, actor=actor))

    def account_run(self, account: str, since: datetime) -> int:
        """Failures in a row on this account since ``since`` (a success or unlock ends it)."""
        with self._sessions() as session:
            outcomes = session.scalars(
                select(AuthAttempt.outcome)
                .where(AuthAttempt.account_key == self.account_key(account),
                       AuthAttempt.at >= since)
                .order_by(AuthAttempt.at.desc(), AuthAttempt.id.desc())).all()
        run = 0
        for outcome in outcomes:
            if outcome not in ("failed",):
                if outcome in ("verified", "unlocked"):
                    break
                continue  # refused while locked/limited: does not extend the lock
            run += 1
        return run

    def caller_failures(self, caller_id: str, since: datetime) -> int:
        """Failed checks from this caller ID (any account) since ``since``."""
        with self._sessions() as session:
            return session.scalar(
                select(func.count()).select_from(AuthAttempt)
                .where(AuthAttempt.caller_id == caller_id, AuthAttempt.outcome == "failed",
                       AuthAttempt.method != "ani", AuthAttempt.at >= since)) or 0

    def list(self, *, account: str | None = None, call_id: str | None = None,
             limit: int = 50) -> list[AttemptView]:
        """Newest attempts first, for one account and/or call."""
        query = select(AuthAttempt)
        if account is not None:
            query = query.where(AuthAttempt.account_key == self.account_key(account))
        if call_id is not None:
            query = query.where(AuthAttempt.call_id == call_id)
        with self._sessions() as session:
            rows = session.scalars(query.order_by(AuthAttempt.at.desc(), AuthAttempt.id.desc())
                                   .limit(limit)).all()
            return [AttemptView(r.at, r.call_id, r.method, r.outcome, r.reason, r.caller_id,
                                r.account_masked, r.customer_id, r.actor) for r in rows]


def _masked(subject: str | None) -> str | None:
    """The account as people may see it; a customer identified by caller ID has none."""
    if not subject or subject.startswith("customer:"):
        return None
    return mask(subject)
