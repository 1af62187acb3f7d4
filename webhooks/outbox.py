"""The transactional outbox: events become delivery rows in the producer's own transaction.

A producer (the ACD offering a call, the recordings service filing audio...) calls
:meth:`Outbox.add` with the SQLAlchemy ``Session`` it is already writing its state change
in. One ``pending`` row per matching enabled endpoint is inserted there, so the change and
its events commit together or not at all: no event for a change that rolled back, no change
without its event. After the commit the producer hands the returned ids to
``TaskQueue.webhook_queued`` (fast path, then the worker); if it dies before that, the
worker's sweep finds the rows anyway, because the database, not the queue, is the truth.

Matching: an endpoint whose ``events`` is empty receives every event, else those named; one
whose ``queues`` is empty receives events of every queue (and events with no queue), else
only events that carry one of its queues.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voice.store.models import WebhookDelivery, WebhookEndpoint
from webhooks.errors import WebhookEndpointNotFoundError
from webhooks.payloads import check_event_type, event_body, new_msg_id


def endpoint_wants(endpoint: WebhookEndpoint, event_type: str, queue: str | None) -> bool:
    """Whether ``endpoint``'s filters let an event of ``event_type`` in ``queue`` through."""
    if endpoint.events and event_type not in endpoint.events:
        return False
    return not endpoint.queues or (queue is not None and queue in endpoint.queues)


class Outbox:
    """Inserts pending deliveries inside the caller's transaction."""

    def __init__(self, msg_ids: Callable[[], str] = new_msg_id) -> None:
        self._msg_ids = msg_ids

    def add(self, session: Session, event_type: str, data: dict[str, Any], *,
            call_id: str | None = None, queue: str | None = None,
            now: datetime) -> list[int]:
        """Queue ``event_type`` with ``data`` for every enabled endpoint that wants it, in
        ``session`` (not committed here); returns the new delivery ids (flushed).

        ``now`` is the event's time (the body's ``timestamp``) and the first attempt's.
        Raises UnknownEventTypeError for an event type endpoints cannot subscribe to.
        """
        check_event_type(event_type)
        endpoints = session.scalars(select(WebhookEndpoint)
                                    .where(WebhookEndpoint.enabled.is_(True))
                                    .order_by(WebhookEndpoint.id))
        wanted = [e.id for e in endpoints if endpoint_wants(e, event_type, queue)]
        if not wanted:
            return []
        body = event_body(event_type, data, now)
        return self._insert(session, wanted, event_type, body, call_id, now)

    def add_for_endpoint(self, session: Session, endpoint_id: int, event_type: str,
                         data: dict[str, Any], *, call_id: str | None = None,
                         now: datetime) -> int:
        """Queue one event for one endpoint whatever its filters (a test ping); returns
        the delivery id. Raises WebhookEndpointNotFoundError."""
        if session.get(WebhookEndpoint, endpoint_id) is None:
            raise WebhookEndpointNotFoundError(endpoint_id)
        body = event_body(event_type, data, now)
        return self._insert(session, [endpoint_id], event_type, body, call_id, now)[0]

    def _insert(self, session: Session, endpoint_ids: list[int], event_type: str, body: str,
                call_id: str | None, now: datetime) -> list[int]:
        rows = [WebhookDelivery(msg_id=self._msg_ids(), endpoint_id=endpoint_id,
                                event_type=event_type, call_id=call_id, body=body,
                                status="pending", attempts=0, next_attempt_at=now,
                                created_at=now)
                for endpoint_id in endpoint_ids]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]
