"""Fixtures of the webhook tests: an injected clock, services driven by it, a receiver.

``clock`` starts at the real time and only moves when a test advances it, so retries are
driven without sleeping; the ``receiver`` checks signatures against the same clock.
``services`` (SQLite and PostgreSQL, like the shared fixture) uses that clock; ``add_endpoint``
registers the receiver as an endpoint and gives it the secret; ``emit`` commits an event
through the outbox the way a producer does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from webhook_clock import FakeClock
from webhook_receiver import WebhookReceiver, running_receiver

from voice.compose import Services, build_services
from voice.settings import Settings
from voice.store.migrate import upgrade


@pytest.fixture
def clock() -> FakeClock:
    """The injected clock, starting now."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def services(settings: Settings, clock: FakeClock) -> Iterator[Services]:
    """Services over a migrated database (SQLite or PostgreSQL), on the injected clock."""
    upgrade(settings.database_url)
    built = build_services(settings, clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def receiver(clock: FakeClock) -> Iterator[WebhookReceiver]:
    """A receiver on 127.0.0.1 verifying against the injected clock."""
    with running_receiver(clock) as started:
        yield started


@pytest.fixture
def add_endpoint(services: Services, receiver: WebhookReceiver) -> Callable[..., int]:
    """``add_endpoint(events=(), queues=())``: the receiver as an endpoint; returns its id."""

    def add(events: tuple[str, ...] = (), queues: tuple[str, ...] = (),
            url: str | None = None) -> int:
        assert services.webhook_endpoints is not None
        endpoint_id, secret = services.webhook_endpoints.add(url or receiver.url, events,
                                                             queues, "test receiver")
        receiver.secret = secret
        return endpoint_id

    return add


@pytest.fixture
def emit(services: Services) -> Callable[..., list[int]]:
    """``emit(event_type, data, call_id=None, queue=None)``: commit an event; its ids."""

    def run(event_type: str, data: dict[str, Any] | None = None, *,
            call_id: str | None = None, queue: str | None = None) -> list[int]:
        assert services.outbox is not None
        with services.session_factory.begin() as session:
            return services.outbox.add(session, event_type, data or {"call_id": call_id},
                                       call_id=call_id, queue=queue, now=services.clock())

    return run
