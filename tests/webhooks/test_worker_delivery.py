"""``voice worker`` as a real process delivers webhooks (without a speech model), and one
SIGKILLed mid-delivery delivers it after a restart: nothing lost, one ``webhook-id``.
SQLite and PostgreSQL, Huey on SQLite in the data folder."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from webhook_receiver import WebhookReceiver, running_receiver
from worker_process import start_worker, stop_worker, wait_for

from voice.compose import Services
from voice.store.models import WebhookDelivery
from webhooks.delivery import Deliverer


@pytest.fixture
def live_receiver(services: Services) -> Iterator[WebhookReceiver]:
    """A receiver on the wall clock, registered as the only endpoint."""
    assert services.webhook_endpoints is not None
    with running_receiver() as started:
        _, started.secret = services.webhook_endpoints.add(started.url)
        yield started


@pytest.fixture
def env(services: Services) -> dict[str, str]:
    """The worker's environment: the test's database and data folder, no speech model."""
    settings = services.settings
    return {"VOICE_DATA_DIR": str(settings.data_dir),
            "VOICE_DATABASE_URL": settings.database_url,
            "VOICE_FLOWS_DIR": str(settings.flows_dir), "VOICE_LOG_LEVEL": "INFO"}


@pytest.fixture
def deliverer(services: Services) -> Deliverer:
    assert services.webhook_deliverer is not None and services.task_queue is not None
    services.task_queue.sender = None  # this process only queues: the worker sends
    return services.webhook_deliverer


def _rows(services: Services, call_id: str) -> int:
    with services.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookDelivery)
                                  .where(WebhookDelivery.call_id == call_id)) or 0)


def test_a_worker_without_a_model_delivers(
        services: Services, deliverer: Deliverer, live_receiver: WebhookReceiver,
        env: dict[str, str], emit: Callable[..., list[int]], tmp_path: Path) -> None:
    assert services.task_queue is not None
    ids = emit("call.offered", {"call_id": "CA1"}, call_id="CA1")
    services.task_queue.webhook_queued(ids)
    log = tmp_path / "worker.log"

    worker = start_worker(env, log, "w1")
    try:
        wait_for(lambda: deliverer.get(ids[0]).status == "delivered", 60,
                 "the worker did not deliver it", log.read_text)
    finally:
        stop_worker(worker)

    [got] = live_receiver.received
    assert got.verified and got.webhook_id == deliverer.get(ids[0]).msg_id
    assert "VOICE_VOSK_MODEL is not set" in log.read_text()


def test_a_worker_killed_mid_delivery_delivers_it_after_restart(
        services: Services, deliverer: Deliverer, live_receiver: WebhookReceiver,
        env: dict[str, str], emit: Callable[..., list[int]], tmp_path: Path) -> None:
    assert services.task_queue is not None
    live_receiver.stall()  # the CRM takes the request and hangs
    [delivery_id] = emit("call.offered", {"call_id": "CA2", "agent_id": 7}, call_id="CA2")
    services.task_queue.webhook_queued([delivery_id])
    log = tmp_path / "worker.log"

    first = start_worker(env, log, "w1")
    try:
        live_receiver.wait_for(1, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    left = deliverer.get(delivery_id)
    assert (left.status, left.attempts) == ("pending", 1)  # killed mid-attempt

    second = start_worker(env, log, "w1")  # same name: it takes the delivery back at once
    try:
        wait_for(lambda: deliverer.get(delivery_id).status == "delivered", 60,
                 "the restarted worker did not deliver it", log.read_text)
    finally:
        stop_worker(second)

    view = deliverer.get(delivery_id)
    assert (view.status, view.attempts, view.last_status) == ("delivered", 2, 200)
    assert _rows(services, "CA2") == 1
    received = live_receiver.received
    assert len(received) == 2 and all(r.verified for r in received)
    assert {r.webhook_id for r in received} == {view.msg_id}
    assert received[0].body == received[1].body
