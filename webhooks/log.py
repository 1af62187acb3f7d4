"""The delivery log: what was sent where, how it went, and replaying a delivery.

Owns reading ``webhook_deliveries`` for admins (``voice webhooks deliveries``,
``GET /api/webhook-deliveries``) and :meth:`DeliveryLog.replay`. A replay makes the same
row pending again, due now: the same ``msg_id`` (``webhook-id``) and the same body, so a
receiver that already processed it can recognise the duplicate. Its ``attempts`` restart at
0, so a replayed delivery gets the whole retry schedule again (``last_status`` and
``last_error`` keep the previous outcome until the next attempt). A delivery cannot be
replayed while an attempt of it is on the wire, nor while its endpoint is disabled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.store.models import WebhookDelivery, WebhookEndpoint
from webhooks.errors import (
    DeliveryNotReplayableError,
    InvalidDeliveryFilterError,
    WebhookDeliveryNotFoundError,
)
from webhooks.payloads import iso_utc

STATUSES = ("pending", "delivered", "dead", "cancelled")


@dataclass(frozen=True)
class DeliveryView:
    """One delivery as shown to admins (the body only through :meth:`DeliveryLog.body`)."""

    id: int
    msg_id: str
    endpoint_id: int
    event_type: str
    call_id: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the CLI and the API."""
        return {"id": self.id, "msg_id": self.msg_id, "endpoint_id": self.endpoint_id,
                "event_type": self.event_type, "call_id": self.call_id,
                "status": self.status, "attempts": self.attempts,
                "next_attempt_at": (iso_utc(self.next_attempt_at)
                                    if self.status == "pending" else None),
                "last_status": self.last_status, "last_error": self.last_error,
                "created_at": iso_utc(self.created_at),
                "delivered_at": iso_utc(self.delivered_at) if self.delivered_at else None}


class DeliveryLog:
    """Reads deliveries and replays them."""

    def __init__(self, session_factory: sessionmaker[Session],
                 clock: Callable[[], datetime]) -> None:
        self._sessions = session_factory
        self._clock = clock

    def get(self, delivery_id: int) -> DeliveryView:
        """One delivery; raises WebhookDeliveryNotFoundError."""
        with self._sessions() as session:
            return _view(_row(session, delivery_id))

    def body(self, delivery_id: int) -> str:
        """The exact JSON body the delivery sends."""
        with self._sessions() as session:
            return _row(session, delivery_id).body

    def list_deliveries(self, status: str | None = None, endpoint: int | None = None,
                        limit: int = 100) -> list[DeliveryView]:
        """Newest first, filtered by status and endpoint id."""
        if status is not None and status not in STATUSES:
            raise InvalidDeliveryFilterError(
                f"unknown delivery status {status!r}; use one of {', '.join(STATUSES)}")
        query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc())
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        if endpoint is not None:
            query = query.where(WebhookDelivery.endpoint_id == endpoint)
        with self._sessions() as session:
            return [_view(row) for row in session.scalars(query.limit(max(1, limit)))]

    def replay(self, delivery_id: int) -> DeliveryView:
        """Make the delivery pending and due now with the same ``msg_id`` (attempts reset
        to 0). Hand its id to ``TaskQueue.webhook_queued`` to send it at once."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = _row(session, delivery_id)
            endpoint = session.get(WebhookEndpoint, row.endpoint_id)
            if endpoint is None or not endpoint.enabled:
                reason = endpoint.disabled_reason if endpoint is not None else "removed"
                raise DeliveryNotReplayableError(
                    f"delivery {delivery_id}: endpoint {row.endpoint_id} is disabled "
                    f"({reason}); enable it first with 'voice webhooks enable "
                    f"{row.endpoint_id}'")
            result = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id,
                       or_(WebhookDelivery.status != "pending",
                           WebhookDelivery.lease_until.is_(None),
                           WebhookDelivery.lease_until < now))
                .values(status="pending", attempts=0, next_attempt_at=now, lease_until=None,
                        lease_owner=None, delivered_at=None)
                .execution_options(synchronize_session=False))
            if not result.rowcount:
                raise DeliveryNotReplayableError(
                    f"delivery {delivery_id} is being sent right now; see how it went with "
                    "'voice webhooks deliveries' and replay it afterwards if needed")
        return self.get(delivery_id)


def _row(session: Session, delivery_id: int) -> WebhookDelivery:
    row = session.get(WebhookDelivery, delivery_id)
    if row is None:
        raise WebhookDeliveryNotFoundError(delivery_id)
    return row


def _view(row: WebhookDelivery) -> DeliveryView:
    return DeliveryView(id=row.id, msg_id=row.msg_id, endpoint_id=row.endpoint_id,
                        event_type=row.event_type, call_id=row.call_id, status=row.status,
                        attempts=row.attempts, next_attempt_at=row.next_attempt_at,
                        last_status=row.last_status, last_error=row.last_error,
                        created_at=row.created_at, delivered_at=row.delivered_at)
