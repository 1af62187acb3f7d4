"""The task queue's side of webhooks: the fast path right after commit, retries scheduled in
Huey, ``voice.deliver`` run from the queue, and the sweep that finds what was lost.
SQLite and PostgreSQL (Huey on SQLite in the data folder)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from webhook_clock import FakeClock
from webhook_receiver import WebhookReceiver

from voice.compose import Services
from voice.tasks.queue import TaskQueue
from webhooks.delivery import Deliverer, DeliveryOutcome
from webhooks.sender import WebhookSender


@pytest.fixture
def queue(services: Services) -> TaskQueue:
    assert services.task_queue is not None
    return services.task_queue


@pytest.fixture
def deliverer(services: Services) -> Deliverer:
    assert services.webhook_deliverer is not None
    return services.webhook_deliverer


def _until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(what)


def _run_queued(queue: TaskQueue) -> list[str]:
    """Run every message waiting in Huey, as a worker would; their task names."""
    names = []
    while (task := queue.huey.dequeue()) is not None:
        names.append(task.name)
        queue.huey.execute(task)
    return names


def test_the_fast_path_delivers_right_after_commit(
        queue: TaskQueue, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    add_endpoint()
    ids = emit("call.offered", {"call_id": "CA1"}, call_id="CA1")

    queue.webhook_queued(ids)

    [got] = receiver.wait_for(1)
    assert got.verified and got.webhook_id == deliverer.get(ids[0]).msg_id
    _until(lambda: deliverer.get(ids[0]).status == "delivered", "not recorded as delivered")
    assert queue.huey.pending_count() == 0  # nothing went through the queue


def test_the_sender_claims_so_each_delivery_goes_out_once(
        deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    add_endpoint()
    ids = emit("call.ended", {"call_id": "CA1"}, call_id="CA1")
    sender = WebhookSender(deliverer)
    try:
        futures = sender.submit(ids * 4)  # the same delivery handed over four times
        outcomes = [future.result(timeout=20) for future in futures]
    finally:
        sender.close()

    assert sorted(o.status for o in outcomes if o is not None) == ["delivered"]
    assert len(receiver.received) == 1
    assert sender.submit(ids) == []  # closed: left to the worker's sweep


def test_a_failed_fast_attempt_is_retried_through_huey(
        clock: FakeClock, queue: TaskQueue, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    add_endpoint()
    receiver.answer(500)
    [delivery_id] = emit("call.offered", {"call_id": "CA1"}, call_id="CA1")

    queue.webhook_queued([delivery_id])

    _until(lambda: deliverer.get(delivery_id).attempts == 1
           and deliverer.get(delivery_id).last_status == 500, "the first attempt did not fail")
    _until(lambda: queue.huey.pending_count() == 1, "no retry was scheduled")
    [retry] = queue.huey.pending()  # the consumer keeps it in its schedule until its eta
    assert (retry.name, retry.args) == ("voice.deliver", (delivery_id,))
    assert retry.eta is not None

    clock.to(deliverer.get(delivery_id).next_attempt_at)
    queue.huey.execute(retry, timestamp=retry.eta)  # what the worker does at its eta
    assert deliverer.get(delivery_id).status == "delivered"
    assert [r.webhook_id for r in receiver.received] == [deliverer.get(delivery_id).msg_id] * 2


def test_without_a_sender_deliveries_go_through_the_queue(
        queue: TaskQueue, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    add_endpoint()
    queue.sender = None
    ids = emit("call.started", {"call_id": "CA1"}, call_id="CA1")
    ids += emit("call.ended", {"call_id": "CA1"}, call_id="CA1")

    queue.webhook_queued(ids)

    assert receiver.received == []
    assert _run_queued(queue) == ["voice.deliver", "voice.deliver"]
    assert [deliverer.get(i).status for i in ids] == ["delivered", "delivered"]
    assert [r.json()["type"] for r in receiver.received] == ["call.started", "call.ended"]


def test_the_sweep_sends_what_was_never_queued(
        clock: FakeClock, queue: TaskQueue, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    add_endpoint()
    [delivery_id] = emit("call.offered", {"call_id": "CA1"}, call_id="CA1")
    # the producer died between its commit and webhook_queued(): only the row exists

    assert queue.sweep_webhooks() == []  # due for less than the grace: its message may come
    clock.advance(timedelta(seconds=11))
    assert queue.sweep_webhooks() == [delivery_id]
    assert _run_queued(queue) == ["voice.deliver"]
    assert deliverer.get(delivery_id).status == "delivered"
    assert queue.sweep_webhooks() == []


def test_a_restarted_worker_takes_back_what_it_was_sending(
        queue: TaskQueue, deliverer: Deliverer, receiver: WebhookReceiver,
        add_endpoint: Callable[..., int], emit: Callable[..., list[int]]) -> None:
    add_endpoint()
    [delivery_id] = emit("call.offered", {"call_id": "CA1"}, call_id="CA1")
    receiver.stall()  # worker w1 sends it and hangs there, as if it had died mid-attempt
    outcomes: list[DeliveryOutcome | None] = []
    hung = threading.Thread(
        target=lambda: outcomes.append(deliverer.attempt(delivery_id, owner="w1")))
    hung.start()
    try:
        receiver.wait_for(1)
        assert deliverer.due() == []  # leased for another minute

        queue.serve(worker="w1", transcribe=None, purge=None)  # w1 starts again
        assert _run_queued(queue) == ["voice.deliver"]
    finally:
        receiver.release()
        hung.join(30)

    view = deliverer.get(delivery_id)
    assert (view.status, view.attempts) == ("delivered", 2)
    assert outcomes and outcomes[0] is not None and outcomes[0].status == "skipped"
    assert len({r.webhook_id for r in receiver.received}) == 1
