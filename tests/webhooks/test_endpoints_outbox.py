"""Endpoints (secrets sealed, validation, rotation, disable/remove) and the outbox (filters,
the body, and rows that exist only if the producer's transaction commits). SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text

from voice.compose import Services
from voice.store.models import WebhookDelivery, WebhookEndpoint
from webhooks.endpoints import EndpointRepository
from webhooks.errors import (
    InvalidWebhookEndpointError,
    UnknownEventTypeError,
    WebhookEndpointNotFoundError,
)
from webhooks.payloads import iso_utc


@pytest.fixture
def endpoints(services: Services) -> EndpointRepository:
    assert services.webhook_endpoints is not None
    return services.webhook_endpoints


def _deliveries(services: Services) -> list[WebhookDelivery]:
    with services.session_factory() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_the_secret_is_shown_once_and_stored_only_sealed(
        services: Services, endpoints: EndpointRepository) -> None:
    endpoint_id, secret = endpoints.add("https://crm.example.com/hook", ["call.offered"])

    assert secret.startswith("whsec_") and len(secret) > 40
    assert endpoints.secret(endpoint_id) == secret
    with services.session_factory() as session:
        stored = session.execute(text("SELECT secret_sealed FROM webhook_endpoints")).scalar()
    assert secret not in stored and secret.removeprefix("whsec_") not in stored
    shown = json.dumps([view.to_dict() for view in endpoints.list()])
    assert secret.removeprefix("whsec_") not in shown and "secret" not in shown


def test_rotation_replaces_the_secret(endpoints: EndpointRepository) -> None:
    endpoint_id, first = endpoints.add("https://crm.example.com/hook")

    second = endpoints.rotate(endpoint_id)

    assert second != first and second.startswith("whsec_")
    assert endpoints.secret(endpoint_id) == second


def test_bad_fields_say_what_to_fix(endpoints: EndpointRepository) -> None:
    with pytest.raises(InvalidWebhookEndpointError, match="http:// or https://"):
        endpoints.add("ftp://crm.example.com/hook")
    with pytest.raises(InvalidWebhookEndpointError, match="http:// or https://"):
        endpoints.add("crm.example.com/hook")
    with pytest.raises(InvalidWebhookEndpointError, match=r"call\.offerd.*call\.offered"):
        endpoints.add("https://crm.example.com/hook", ["call.offerd"])
    with pytest.raises(WebhookEndpointNotFoundError, match="voice webhooks list"):
        endpoints.rotate(999)
    assert endpoints.list() == []


def test_star_means_every_event(endpoints: EndpointRepository) -> None:
    endpoint_id, _ = endpoints.add("http://127.0.0.1:9/hook", ["*", "call.ended"], [" sales "])

    view = endpoints.get(endpoint_id)
    assert (view.events, view.queues, view.enabled) == ((), ("sales",), True)


def test_events_go_to_the_endpoints_whose_filters_match(
        services: Services, endpoints: EndpointRepository,
        emit: Callable[..., list[int]]) -> None:
    every, _ = endpoints.add("http://127.0.0.1:9/every")
    offers, _ = endpoints.add("http://127.0.0.1:9/offers", ["call.offered"])
    sales, _ = endpoints.add("http://127.0.0.1:9/sales", [], ["sales"])
    off, _ = endpoints.add("http://127.0.0.1:9/off")
    endpoints.disable(off)

    emit("call.offered", call_id="c1", queue="sales")
    emit("call.ended", call_id="c1", queue="support")
    emit("call.started", call_id="c2")

    sent = [(d.event_type, d.endpoint_id) for d in _deliveries(services)]
    assert sent == [("call.offered", every), ("call.offered", offers),
                    ("call.offered", sales), ("call.ended", every), ("call.started", every)]


def test_the_body_is_type_timestamp_data_and_ids_are_unique(
        services: Services, endpoints: EndpointRepository,
        emit: Callable[..., list[int]]) -> None:
    endpoints.add("http://127.0.0.1:9/a")
    endpoints.add("http://127.0.0.1:9/b")

    ids = emit("call.offered", {"call_id": "c1", "from": "+15550100", "agent_id": 7},
               call_id="c1")

    rows = _deliveries(services)
    assert [r.id for r in rows] == ids and len(ids) == 2
    assert len({r.msg_id for r in rows}) == 2 and all(r.msg_id.startswith("msg_")
                                                      for r in rows)
    body = json.loads(rows[0].body)
    assert body == {"type": "call.offered", "timestamp": iso_utc(services.clock()),
                    "data": {"call_id": "c1", "from": "+15550100", "agent_id": 7}}
    assert body["timestamp"].endswith("Z")
    assert all((r.status, r.attempts, r.call_id) == ("pending", 0, "c1") for r in rows)


def test_nothing_is_queued_when_the_producer_rolls_back(
        services: Services, endpoints: EndpointRepository) -> None:
    endpoints.add("http://127.0.0.1:9/hook")
    assert services.outbox is not None

    class Boom(Exception):
        pass

    with pytest.raises(Boom), services.session_factory.begin() as session:
        ids = services.outbox.add(session, "call.ended", {"call_id": "c9"}, call_id="c9",
                                  now=services.clock())
        assert len(ids) == 1  # flushed inside the transaction...
        raise Boom

    with services.session_factory() as session:  # ...and gone with it
        assert session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_an_unknown_event_type_is_refused(services: Services,
                                          emit: Callable[..., list[int]]) -> None:
    with pytest.raises(UnknownEventTypeError, match=r"call\.offered"):
        emit("call.ofered")


def test_disabling_cancels_pending_and_removing_deletes_the_log(
        services: Services, endpoints: EndpointRepository,
        emit: Callable[..., list[int]]) -> None:
    endpoint_id, _ = endpoints.add("http://127.0.0.1:9/hook")
    emit("call.started", call_id="c1")
    emit("call.ended", call_id="c1")

    assert endpoints.disable(endpoint_id) == 2
    assert {d.status for d in _deliveries(services)} == {"cancelled"}
    assert emit("call.started", call_id="c2") == []  # disabled: nothing new
    view = endpoints.enable(endpoint_id)
    assert view.enabled and view.disabled_reason is None
    assert len(emit("call.started", call_id="c3")) == 1

    endpoints.remove(endpoint_id)
    assert _deliveries(services) == []
    with services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
