"""The distributor: order of callers, strategies, skills, hand-off, wrap-up and abandonment."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from acd_clock import Clock

from voice.acd.errors import InvalidStateError
from voice.acd.service import Acd


def agent_of(acd: Acd, call_id: str) -> str | None:
    offer = acd.distributor.placement(call_id).offer
    return offer.agent_name if offer else None


def test_callers_wait_in_priority_then_arrival_order(acd: Acd, add_call: Callable,
                                                     add_agent: Callable,
                                                     clock: Clock) -> None:
    add_call("c1")
    clock.advance(1)
    add_call("c2")
    clock.advance(1)
    add_call("vip", priority=5)
    assert [acd.distributor.placement(c).position for c in ("vip", "c1", "c2")] == [1, 2, 3]
    add_agent("ann")
    assert agent_of(acd, "vip") == "ann"
    assert acd.distributor.placement("c1").position == 1
    assert acd.agents.get("ann").state == "reserved"
    assert acd.agents.get("ann").call_id == "vip"


def test_longest_idle_agent_gets_the_call(acd: Acd, add_call: Callable, add_agent: Callable,
                                          clock: Clock) -> None:
    add_agent("ann")
    clock.advance(10)
    add_agent("bob")
    clock.advance(10)
    add_call("c1")
    assert agent_of(acd, "c1") == "ann"
    add_call("c2")
    assert agent_of(acd, "c2") == "bob"


def test_round_robin_and_fewest_calls(acd: Acd, add_call: Callable, add_agent: Callable,
                                      clock: Clock) -> None:
    acd.queues.put("support", {"strategy": "round_robin", "wrap_up": 0})
    add_agent("ann")
    add_agent("bob")
    seen = []
    for n in range(4):
        call = add_call(f"c{n}")
        agent = agent_of(acd, call)
        seen.append(agent)
        acd.handoff.answered(call, acd.agents.get(agent).id)
        clock.advance(5)
        acd.handoff.finished(call)
        clock.advance(1)
    assert seen == ["ann", "bob", "ann", "bob"]


def test_skills_route_past_the_head_of_the_line(acd: Acd, add_call: Callable,
                                                add_agent: Callable, clock: Clock) -> None:
    add_call("needs-spanish", skills=("spanish:3",))
    clock.advance(1)
    add_call("plain")
    add_agent("ann", skills=("spanish:2",))
    assert agent_of(acd, "needs-spanish") is None  # level 2 is not enough
    assert agent_of(acd, "plain") == "ann"
    add_agent("bea", skills=("spanish:4",))
    assert agent_of(acd, "needs-spanish") == "bea"


def test_queue_skills_apply_to_every_caller(acd: Acd, add_call: Callable,
                                            add_agent: Callable) -> None:
    acd.queues.put("billing", {"skills": ["billing"]})
    add_agent("ann", queues=("billing",))
    add_call("c1", queue="billing")
    assert agent_of(acd, "c1") is None
    acd.agents.update("ann", skills=["billing:1"])
    acd.distributor.dispatch(["billing"])
    assert agent_of(acd, "c1") == "ann"


def test_twilio_callers_only_go_to_agents_twilio_can_reach(acd: Acd, add_call: Callable,
                                                           add_agent: Callable) -> None:
    acd.agents.add("web", "agent-password-1", queues=["support"], twilio_identity="web-1")
    acd.agents.set_state("web", "available")
    add_call("sip-caller")
    assert agent_of(acd, "sip-caller") is None  # a browser softphone cannot take SIP calls
    add_call("tw-caller", channel="twilio")
    assert agent_of(acd, "tw-caller") == "web"


def test_ring_no_answer_goes_to_the_next_agent(acd: Acd, add_call: Callable,
                                               add_agent: Callable, clock: Clock) -> None:
    add_agent("ann")
    clock.advance(1)
    add_agent("bob")
    add_call("c1")
    ann = acd.agents.get("ann")
    assert agent_of(acd, "c1") == "ann"
    assert acd.handoff.ring_failed("c1", ann.id)
    after = acd.agents.get("ann")
    assert (after.state, after.state_reason) == ("away", "missed call")
    assert agent_of(acd, "c1") == "bob"
    # a late report about the old offer changes nothing
    assert not acd.handoff.ring_failed("c1", ann.id)
    assert agent_of(acd, "c1") == "bob"


def test_call_end_wraps_up_then_agent_is_available(acd: Acd, add_call: Callable,
                                                   add_agent: Callable, clock: Clock) -> None:
    acd.queues.put("support", {"wrap_up": 30})
    add_agent("ann")
    add_call("c1")
    ann = acd.agents.get("ann")
    assert acd.handoff.answered("c1", ann.id)
    assert acd.agents.get("ann").state == "on_call"
    clock.advance(60)
    acd.handoff.finished("c1")
    assert acd.agents.get("ann").state == "wrap_up"
    add_call("c2")
    assert agent_of(acd, "c2") is None  # still wrapping up
    clock.advance(31)
    acd.distributor.dispatch(["support"])
    assert agent_of(acd, "c2") == "ann"


def test_state_chosen_during_a_call_is_taken_after_it(acd: Acd, add_call: Callable,
                                                      add_agent: Callable,
                                                      clock: Clock) -> None:
    acd.queues.put("support", {"wrap_up": 0})
    add_agent("ann")
    add_call("c1")
    acd.handoff.answered("c1", acd.agents.get("ann").id)
    acd.agents.set_state("ann", "away", "lunch")
    assert acd.agents.get("ann").state == "on_call"  # the call goes on
    acd.handoff.finished("c1")
    after = acd.agents.get("ann")
    assert (after.state, after.state_reason) == ("away", "lunch")


def test_agents_cannot_choose_acd_states(acd: Acd, add_agent: Callable) -> None:
    add_agent("ann")
    with pytest.raises(InvalidStateError, match="set by the call distributor"):
        acd.agents.set_state("ann", "on_call")
    with pytest.raises(InvalidStateError, match="unknown"):
        acd.agents.set_state("ann", "sleeping")


def test_abandoned_call_is_recorded_with_its_wait(acd: Acd, add_call: Callable,
                                                  services, clock: Clock) -> None:
    from sqlalchemy import select

    from voice.store.models import QueueEntry

    add_call("c1")
    clock.advance(42)
    acd.distributor.leave("c1", "abandoned")
    with services.session_factory() as session:
        entry = session.scalars(select(QueueEntry).where(QueueEntry.call_id == "c1")).one()
    assert entry.outcome == "abandoned"
    assert (entry.ended_at - entry.enqueued_at).total_seconds() == 42


def test_abandoning_while_ringing_frees_the_agent(acd: Acd, add_call: Callable,
                                                  add_agent: Callable) -> None:
    add_agent("ann")
    add_call("c1")
    acd.distributor.leave("c1", "abandoned")
    assert acd.agents.get("ann").state == "available"


def test_estimate_uses_measured_handle_times(acd: Acd, add_call: Callable,
                                             add_agent: Callable, clock: Clock) -> None:
    acd.queues.put("support", {"wrap_up": 0})
    add_agent("ann")
    for n in range(3):  # three calls of 200 s each
        add_call(f"h{n}")
        acd.handoff.answered(f"h{n}", acd.agents.get("ann").id)
        clock.advance(200)
        acd.handoff.finished(f"h{n}")
    assert acd.distributor.handle_time("support") == 200
    add_call("busy")
    acd.handoff.answered("busy", acd.agents.get("ann").id)
    clock.advance(50)
    add_call("waiting")
    placement = acd.distributor.placement("waiting")
    assert placement.position == 1
    assert placement.estimated_wait == 150  # 200 s average, 50 s into the current call


def test_no_agents_staffed_means_no_estimate(acd: Acd, add_call: Callable) -> None:
    add_call("c1")
    assert acd.distributor.placement("c1").estimated_wait is None


def test_callback_keeps_the_place_after_hanging_up(acd: Acd, add_call: Callable,
                                                   add_agent: Callable, services,
                                                   clock: Clock) -> None:
    add_call("c1")
    clock.advance(1)
    add_call("c2")
    assert acd.handoff.request_callback("c1", "+15550100")
    acd.distributor.leave("c1", "abandoned")  # the caller hangs up: place kept
    services.call_repository.end_call("c1", ended_at=clock(), outcome="callback")
    acd.reconciler.run()
    assert acd.distributor.placement("c1").position == 1
    add_agent("ann")
    offer = acd.distributor.placement("c1").offer
    assert offer is not None and offer.callback and offer.callback_number == "+15550100"
