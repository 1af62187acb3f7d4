"""Reconciliation repairs agent states that outlived their calls."""

from __future__ import annotations

from collections.abc import Callable

from acd_clock import Clock

from voice.acd.service import Acd


def test_agent_on_a_call_that_ended_elsewhere_is_freed(acd: Acd, add_call: Callable,
                                                       add_agent: Callable, services,
                                                       clock: Clock) -> None:
    add_agent("ann")
    add_call("c1")
    acd.handoff.answered("c1", acd.agents.get("ann").id)
    # the worker holding the call died: the supervisor closed the call, nobody told the ACD
    services.call_repository.end_open_calls(worker="w1", ended_at=clock(),
                                            outcome="worker-died")
    repairs = acd.reconciler.run()
    assert any("ann" in line for line in repairs)
    after = acd.agents.get("ann")
    assert (after.state, after.state_reason) == ("available", "reconciled")
    assert acd.reconciler.run() == []  # nothing left to repair


def test_an_offer_nobody_reports_on_goes_back_in_line(acd: Acd, add_call: Callable,
                                                      add_agent: Callable,
                                                      clock: Clock) -> None:
    add_agent("ann")
    add_call("c1")
    clock.advance(20)
    assert acd.reconciler.run() == []  # still within the ring timeout
    clock.advance(60)
    assert acd.reconciler.run()
    # back in line and, ann being free again, offered again
    offer = acd.distributor.placement("c1").offer
    assert offer is not None and offer.agent_name == "ann"


def test_callers_gone_while_waiting_leave_the_line(acd: Acd, add_call: Callable, services,
                                                   clock: Clock) -> None:
    add_call("c1")
    add_call("c2")
    services.call_repository.end_call("c1", ended_at=clock(), outcome="worker-died")
    assert acd.reconciler.run()
    assert acd.distributor.placement("c2").position == 1


def test_overflow_after_the_queue_max_wait(acd: Acd, add_call: Callable, add_agent: Callable,
                                           clock: Clock) -> None:
    acd.queues.put("support", {"max_wait": 60, "overflow": "backup"})
    add_agent("ann", queues=("backup",))
    add_call("c1")
    clock.advance(61)
    acd.reconciler.run()
    offer = acd.distributor.placement("c1").offer
    assert offer is not None and offer.queue == "backup" and offer.agent_name == "ann"


def test_the_worker_runs_reconciliation_every_minute(acd: Acd, add_call: Callable,
                                                      add_agent: Callable, services,
                                                      clock: Clock) -> None:
    from huey import crontab

    add_agent("ann")
    add_call("c1")
    services.call_repository.end_call("c1", ended_at=clock(), outcome="worker-died")
    queue = services.task_queue
    queue.reconcile = acd.reconciler.run  # as the composition root wires it
    [task] = [t for t in queue.huey._registry.periodic_tasks if t.name == "voice.reconcile"]
    assert crontab(minute="*")(clock()) and task.validate_datetime(clock())
    queue.huey.execute(task)
    assert acd.agents.get("ann").state == "available"
