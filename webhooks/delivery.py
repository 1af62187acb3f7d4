"""Sending webhook deliveries: claim, sign, POST, record; at least once, never twice at once.

Owns one attempt of one delivery (:meth:`Deliverer.attempt`), whoever calls it (the fast
path right after a commit, the ``voice.deliver`` task, the sweep, ``voice webhooks
replay``). An attempt first *claims* the row with one conditional UPDATE (pending, due, no
live lease, endpoint enabled) that sets a lease (60 s, longer than the 10 s HTTP timeout)
and counts the attempt, so two processes never send the same attempt. It then POSTs the
stored body byte for byte with the Standard Webhooks headers, signed at send time with the
endpoint's current secret, and records the answer, fenced on its own claim:

- 2xx: ``delivered``;
- 410 Gone: the receiver asked us to stop: the endpoint is disabled (reason recorded) and
  its pending deliveries, this one included, are ``cancelled``;
- anything else (other status, timeout, connection refused): ``pending`` again at the next
  time of the retry schedule (``webhooks.schedule``, Retry-After honoured), or ``dead``
  after the last attempt.

A process that dies mid-attempt leaves the lease behind: the row is due again once the lease
ran out, or at once when the same worker name starts again (:meth:`Deliverer.release`). The
receiver may then see the same ``webhook-id`` twice; that is the at-least-once contract.
Listing and replaying deliveries live in ``webhooks.log``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.secretbox import SecretBox, SecretBoxError
from voice.store.models import WebhookDelivery, WebhookEndpoint
from webhooks.endpoints import disable_endpoint, open_secret
from webhooks.errors import WebhookSecretError
from webhooks.log import DeliveryLog
from webhooks.payloads import iso_utc
from webhooks.schedule import RetrySchedule
from webhooks.signing import sign

log = logging.getLogger(__name__)

TIMEOUT_S = 10.0
LEASE = timedelta(seconds=60)
USER_AGENT = "voice-webhooks/1.0 (Standard Webhooks)"
#: bytes of a receiver's answer kept in ``last_error``
KEEP_ANSWER = 300


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one attempt did. ``status`` is the delivery's new status, or ``skipped`` when
    its row changed meanwhile (replayed, endpoint disabled) and the result was not kept."""

    delivery_id: int
    msg_id: str
    status: str
    attempts: int
    http_status: int | None
    error: str | None
    next_attempt_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the CLI and the API."""
        return {"id": self.delivery_id, "msg_id": self.msg_id, "status": self.status,
                "attempts": self.attempts, "http_status": self.http_status,
                "error": self.error, "next_attempt_at": (
                    iso_utc(self.next_attempt_at) if self.next_attempt_at else None)}


@dataclass(frozen=True)
class _Claim:
    id: int
    msg_id: str
    attempts: int
    lease_until: datetime
    endpoint_id: int
    url: str
    secret_sealed: str
    body: str


@dataclass(frozen=True)
class _Answer:
    status: int | None = None
    error: str | None = None
    retry_after: str | None = None


class Deliverer(DeliveryLog):
    """Claims, sends and records delivery attempts; lists and replays deliveries."""

    def __init__(self, session_factory: sessionmaker[Session], box: SecretBox,
                 http: httpx.Client, clock: Callable[[], datetime], *,
                 schedule: RetrySchedule | None = None, lease: timedelta = LEASE,
                 timeout: float = TIMEOUT_S, user_agent: str = USER_AGENT) -> None:
        super().__init__(session_factory, clock)
        self._box = box
        self._http = http
        self.schedule = schedule or RetrySchedule()
        self._lease = lease
        self._timeout = timeout
        self._user_agent = user_agent

    def due(self, now: datetime | None = None, *, older_than: timedelta = timedelta(0),
            limit: int = 500) -> list[int]:
        """Pending deliveries of enabled endpoints due more than ``older_than`` before
        ``now`` whose lease is free or ran out, oldest first."""
        now = now or self._clock()
        with self._sessions() as session:
            return list(session.scalars(
                select(WebhookDelivery.id)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.status == "pending",
                       WebhookDelivery.next_attempt_at <= now - older_than,
                       or_(WebhookDelivery.lease_until.is_(None),
                           WebhookDelivery.lease_until < now),
                       WebhookEndpoint.enabled.is_(True))
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit)))

    def release(self, owner: str) -> int:
        """Free the leases ``owner`` holds (it has just restarted, so none of its attempts
        is still running); returns how many. Those deliveries are due again at once."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.status == "pending",
                       WebhookDelivery.lease_owner == owner,
                       WebhookDelivery.lease_until.is_not(None))
                .values(lease_until=None))
            return int(result.rowcount or 0)

    def attempt(self, delivery_id: int, owner: str | None = None) -> DeliveryOutcome | None:
        """Claim the delivery (as ``owner``), send it once and record the answer; None when
        it is not ours to send now (done, not due, or another process has it)."""
        claim = self._claim(delivery_id, owner, self._clock())
        if claim is None:
            return None
        return self._record(claim, self._send(claim))

    def _claim(self, delivery_id: int, owner: str | None, now: datetime) -> _Claim | None:
        lease_until = now + self._lease
        enabled = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True))
        with self._sessions.begin() as session:
            result = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id,
                       WebhookDelivery.status == "pending",
                       WebhookDelivery.next_attempt_at <= now,
                       or_(WebhookDelivery.lease_until.is_(None),
                           WebhookDelivery.lease_until < now),
                       WebhookDelivery.endpoint_id.in_(enabled))
                .values(attempts=WebhookDelivery.attempts + 1, lease_until=lease_until,
                        lease_owner=owner))
            if not result.rowcount:
                return None
            row = session.execute(
                select(WebhookDelivery.msg_id, WebhookDelivery.attempts,
                       WebhookDelivery.endpoint_id, WebhookEndpoint.url,
                       WebhookEndpoint.secret_sealed, WebhookDelivery.body)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(WebhookDelivery.id == delivery_id)).one()
        return _Claim(delivery_id, row.msg_id, row.attempts, lease_until, row.endpoint_id,
                      row.url, row.secret_sealed, row.body)

    def _send(self, claim: _Claim) -> _Answer:
        try:
            secret = open_secret(self._box, claim.secret_sealed)
            headers = sign(secret, claim.msg_id, self._clock(), claim.body)
        except (SecretBoxError, WebhookSecretError, KeyError) as exc:
            return _Answer(error=f"cannot sign: {exc}; give the endpoint a new secret with "
                                 f"'voice webhooks rotate {claim.endpoint_id}'")
        headers |= {"content-type": "application/json", "user-agent": self._user_agent}
        try:
            with self._http.stream("POST", claim.url, content=claim.body.encode("utf-8"),
                                   headers=headers, timeout=self._timeout) as response:
                answer = b""
                for chunk in response.iter_bytes():
                    answer += chunk
                    if len(answer) >= KEEP_ANSWER:
                        break
        except httpx.TimeoutException:
            return _Answer(error=f"no answer within {self._timeout:g} s")
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return _Answer(error=f"{type(exc).__name__}: {exc}")
        text = answer[:KEEP_ANSWER].decode("utf-8", "replace").strip()
        return _Answer(status=response.status_code,
                       error=None if response.is_success else
                       f"HTTP {response.status_code}" + (f": {text}" if text else ""),
                       retry_after=response.headers.get("retry-after"))

    def _record(self, claim: _Claim, answer: _Answer) -> DeliveryOutcome:
        now = self._clock()
        next_at: datetime | None = None
        values: dict[str, Any] = {"lease_until": None, "last_status": answer.status,
                                  "last_error": answer.error}
        if answer.status is not None and 200 <= answer.status < 300:
            values |= {"status": "delivered", "delivered_at": now}
        elif answer.status == 410:
            values |= {"status": "cancelled",
                       "last_error": "410 Gone: the receiver asked to stop; endpoint disabled"}
        else:
            next_at = self.schedule.next_attempt(claim.attempts, now, answer.retry_after)
            values |= ({"status": "pending", "next_attempt_at": next_at} if next_at
                       else {"status": "dead"})
        with self._sessions.begin() as session:
            result = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == claim.id, WebhookDelivery.status == "pending",
                       WebhookDelivery.attempts == claim.attempts,
                       WebhookDelivery.lease_until == claim.lease_until)
                .values(**values))
            kept = bool(result.rowcount)
            if answer.status == 410:
                disable_endpoint(session, claim.endpoint_id,
                                 f"{claim.url} answered 410 Gone at {iso_utc(now)}; "
                                 f"'voice webhooks enable {claim.endpoint_id}' resumes", now)
        status = values["status"] if kept else "skipped"
        outcome = DeliveryOutcome(claim.id, claim.msg_id, status, claim.attempts,
                                  answer.status, answer.error, next_at if kept else None)
        _log_outcome(outcome, claim.url)
        return outcome


def _log_outcome(outcome: DeliveryOutcome, url: str) -> None:
    what = (f"webhook delivery {outcome.delivery_id} ({outcome.msg_id}) to {url}, "
            f"attempt {outcome.attempts}")
    if outcome.status == "delivered":
        log.info("%s: delivered (HTTP %s)", what, outcome.http_status)
    elif outcome.status == "pending":
        log.warning("%s failed (%s); next attempt at %s", what, outcome.error,
                    outcome.next_attempt_at and iso_utc(outcome.next_attempt_at))
    elif outcome.status == "skipped":
        log.warning("%s: the delivery changed while it was being sent (replayed or its "
                    "endpoint disabled); this attempt's result was not kept", what)
    else:
        log.warning("%s: %s (%s)", what, outcome.status, outcome.error)
