"""Delivering to a real receiver on 127.0.0.1: signatures, retries on the schedule (driven by
the injected clock, no sleeping), 410 Gone, Retry-After, dead letters, replays and claims.
SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from email.utils import format_datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from webhook_clock import FakeClock
from webhook_receiver import WebhookReceiver

from voice.compose import Services
from webhooks.delivery import Deliverer, DeliveryOutcome
from webhooks.errors import DeliveryNotReplayableError, WebhookDeliveryNotFoundError
from webhooks.schedule import DELAYS, MAX_ATTEMPTS
from webhooks.signing import verify

SCREEN_POP = {"call_id": "CA1", "channel": "twilio", "from": "+15550100", "to": "+15550200",
              "queue": "sales", "agent_id": 7}


@pytest.fixture
def deliverer(services: Services) -> Deliverer:
    assert services.webhook_deliverer is not None
    return services.webhook_deliverer


def _attempt(deliverer: Deliverer, delivery_id: int) -> DeliveryOutcome:
    outcome = deliverer.attempt(delivery_id)
    assert outcome is not None, "the delivery was not claimed"
    return outcome


def test_the_delivery_is_signed_with_the_endpoint_secret(
        services: Services, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    add_endpoint()
    [delivery_id] = emit("call.offered", SCREEN_POP, call_id="CA1", queue="sales")

    outcome = _attempt(deliverer, delivery_id)

    assert (outcome.status, outcome.http_status, outcome.attempts) == ("delivered", 200, 1)
    [got] = receiver.received
    assert got.verified, got.problem
    assert got.webhook_id == outcome.msg_id
    assert got.body == deliverer.body(delivery_id).encode()  # byte for byte
    assert got.json()["data"] == SCREEN_POP and got.json()["type"] == "call.offered"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"].startswith("voice-webhooks/")
    assert receiver.secret is not None
    Webhook(receiver.secret).verify(got.body, got.headers)  # the reference library agrees
    verify(receiver.secret, got.headers, got.body)
    view = deliverer.get(delivery_id)
    assert (view.status, view.attempts, view.delivered_at) == ("delivered", 1, services.clock())
    assert deliverer.attempt(delivery_id) is None  # nothing more to send


def test_after_rotation_deliveries_verify_only_with_the_new_secret(
        services: Services, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    endpoint_id = add_endpoint()
    old = receiver.secret
    [delivery_id] = emit("call.ended", call_id="CA1")
    assert services.webhook_endpoints is not None
    receiver.secret = services.webhook_endpoints.rotate(endpoint_id)

    assert _attempt(deliverer, delivery_id).status == "delivered"

    [got] = receiver.received
    assert got.verified and old is not None and old != receiver.secret
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(got.body, got.headers)


def test_a_receiver_that_is_down_gets_it_later_with_the_same_id(
        clock: FakeClock, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    add_endpoint()
    receiver.stop()
    [delivery_id] = emit("call.offered", SCREEN_POP, call_id="CA1")

    first = _attempt(deliverer, delivery_id)
    assert (first.status, first.http_status) == ("pending", None)
    assert first.error and "Connect" in first.error
    assert first.next_attempt_at is not None
    assert timedelta(seconds=4) <= first.next_attempt_at - clock() <= timedelta(seconds=6)
    assert deliverer.due() == [] and deliverer.attempt(delivery_id) is None  # not yet

    clock.to(first.next_attempt_at)
    assert deliverer.due() == [delivery_id]
    receiver.start()
    receiver.answer(500)
    second = _attempt(deliverer, delivery_id)
    assert (second.status, second.http_status, second.attempts) == ("pending", 500, 2)
    assert second.next_attempt_at is not None
    assert timedelta(minutes=4) <= second.next_attempt_at - clock() <= timedelta(minutes=6)

    clock.to(second.next_attempt_at)
    third = _attempt(deliverer, delivery_id)

    assert (third.status, third.attempts) == ("delivered", 3)
    assert [r.webhook_id for r in receiver.received] == [first.msg_id] * 2
    assert all(r.verified for r in receiver.received)
    assert receiver.received[0].body == receiver.received[1].body


def test_dead_after_the_last_attempt(
        clock: FakeClock, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    add_endpoint()
    receiver.answer(500, times=MAX_ATTEMPTS)
    [delivery_id] = emit("call.ended", call_id="CA1")

    outcomes = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        outcome = _attempt(deliverer, delivery_id)
        outcomes.append(outcome)
        assert outcome.attempts == attempt
        if outcome.next_attempt_at is not None:
            wait = outcome.next_attempt_at - clock()
            assert DELAYS[attempt] * 0.8 <= wait <= DELAYS[attempt] * 1.2
            clock.to(outcome.next_attempt_at)

    assert [o.status for o in outcomes] == ["pending"] * (MAX_ATTEMPTS - 1) + ["dead"]
    assert outcomes[-1].next_attempt_at is None
    clock.advance(timedelta(days=2))
    assert deliverer.due() == [] and deliverer.attempt(delivery_id) is None
    view = deliverer.get(delivery_id)
    assert (view.status, view.attempts, view.last_status) == ("dead", MAX_ATTEMPTS, 500)
    assert len({r.webhook_id for r in receiver.received}) == 1
    assert len(receiver.received) == MAX_ATTEMPTS
    assert [v.id for v in deliverer.list_deliveries(status="dead")] == [delivery_id]


def test_410_gone_disables_the_endpoint_and_cancels_what_is_pending(
        services: Services, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    endpoint_id = add_endpoint()
    [first] = emit("call.started", call_id="CA1")
    [second] = emit("call.ended", call_id="CA1")
    receiver.answer(410)

    outcome = _attempt(deliverer, first)

    assert (outcome.status, outcome.http_status) == ("cancelled", 410)
    assert services.webhook_endpoints is not None
    endpoint = services.webhook_endpoints.get(endpoint_id)
    assert not endpoint.enabled
    assert endpoint.disabled_reason and "410 Gone" in endpoint.disabled_reason
    assert deliverer.get(second).status == "cancelled"
    assert deliverer.due() == [] and deliverer.attempt(second) is None
    assert emit("call.started", call_id="CA2") == []
    assert len(receiver.received) == 1


@pytest.mark.parametrize("as_date", [False, True], ids=["seconds", "http-date"])
def test_retry_after_is_honoured(
        clock: FakeClock, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]],
        as_date: bool) -> None:
    add_endpoint()
    value = format_datetime(clock() + timedelta(hours=1), usegmt=True) if as_date else "3600"
    receiver.answer(503, {"Retry-After": value})
    [delivery_id] = emit("call.ended", call_id="CA1")

    outcome = _attempt(deliverer, delivery_id)

    assert (outcome.status, outcome.http_status) == ("pending", 503)
    assert outcome.next_attempt_at == clock() + timedelta(hours=1)
    clock.advance(timedelta(minutes=59))
    assert deliverer.due() == []
    clock.advance(timedelta(minutes=1))
    assert _attempt(deliverer, delivery_id).status == "delivered"


def test_replay_resends_with_the_same_id(
        services: Services, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    endpoint_id = add_endpoint()
    [delivery_id] = emit("call.offered", SCREEN_POP, call_id="CA1")
    assert _attempt(deliverer, delivery_id).status == "delivered"

    view = deliverer.replay(delivery_id)
    assert (view.status, view.attempts, view.delivered_at) == ("pending", 0, None)
    assert _attempt(deliverer, delivery_id).status == "delivered"

    first, again = receiver.received
    assert again.webhook_id == first.webhook_id and again.body == first.body
    assert again.verified
    assert services.webhook_endpoints is not None
    services.webhook_endpoints.disable(endpoint_id)
    with pytest.raises(DeliveryNotReplayableError, match="voice webhooks enable"):
        deliverer.replay(delivery_id)
    with pytest.raises(WebhookDeliveryNotFoundError):
        deliverer.replay(delivery_id + 100)


def test_a_delivery_being_sent_is_not_sent_again_until_its_lease_runs_out(
        clock: FakeClock, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    add_endpoint()
    [delivery_id] = emit("call.offered", SCREEN_POP, call_id="CA1")
    receiver.stall()
    results: list[DeliveryOutcome | None] = []
    stalled = threading.Thread(target=lambda: results.append(deliverer.attempt(delivery_id)))
    stalled.start()
    try:
        receiver.wait_for(1)
        assert deliverer.attempt(delivery_id) is None  # claimed: nobody else sends it
        assert deliverer.due() == []
        with pytest.raises(DeliveryNotReplayableError, match="being sent"):
            deliverer.replay(delivery_id)

        clock.advance(timedelta(seconds=61))  # as if its sender had died: the lease ran out
        assert deliverer.due() == [delivery_id]
        assert _attempt(deliverer, delivery_id).status == "delivered"
    finally:
        receiver.release()
        stalled.join(30)

    assert results and results[0] is not None and results[0].status == "skipped"
    view = deliverer.get(delivery_id)
    assert (view.status, view.attempts) == ("delivered", 2)
    assert len({r.webhook_id for r in receiver.received}) == 1
