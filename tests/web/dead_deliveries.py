"""A webhook delivery whose retries ran out, for the admin webhook pages' tests."""

from __future__ import annotations

from sqlalchemy import update

from voice.compose import Services
from voice.store.models import WebhookDelivery
from webhooks.payloads import TEST_EVENT


def dead_delivery(services: Services, endpoint_id: int) -> int:
    """A delivery whose retries ran out (the receiver was down all day); its id."""
    assert services.outbox is not None
    with services.session_factory.begin() as session:
        delivery_id = services.outbox.add_for_endpoint(session, endpoint_id, TEST_EVENT,
                                                       {"endpoint_id": endpoint_id},
                                                       now=services.clock())
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                        .values(status="dead", attempts=8, last_status=503,
                                last_error="HTTP 503: down for maintenance"))
    return delivery_id
