"""Many dispatchers at once never double-book an agent or offer a caller twice.

Runs on PostgreSQL (real concurrent transactions from several connections) and SQLite.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from acd_clock import Clock
from sqlalchemy import select

from voice.acd.service import Acd
from voice.store.models import Agent, QueueEntry


def test_concurrent_dispatch_never_double_books(acd: Acd, add_agent: Callable, services,
                                                clock: Clock) -> None:
    for n in range(12):
        add_agent(f"agent{n:02d}", available=False)
    for n in range(40):
        services.call_repository.start_call(
            call_id=f"c{n:02d}", channel="sip", flow_id="demo", flow_version=1,
            flow_sha256=None, from_number="+15550100", to_number="1000",
            started_at=clock(), simulated=False, worker="w1")
        acd.distributor.enqueue(f"c{n:02d}", "support", channel="sip",
                                from_number="+15550100")
        acd.distributor.activate(f"c{n:02d}")

    def make_available(n: int) -> None:
        acd.agents.set_state(f"agent{n:02d}", "available")  # dispatches too

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(make_available, n) for n in range(12)]
        futures += [pool.submit(acd.distributor.dispatch, ["support"]) for _ in range(24)]
        offers = [f.result() for f in futures]

    with services.session_factory() as session:
        offered = session.execute(select(QueueEntry.call_id, QueueEntry.agent_id).where(
            QueueEntry.status == "offered")).all()
        reserved = session.execute(select(Agent.id, Agent.call_id).where(
            Agent.state == "reserved")).all()
    assert len(offered) == 12  # every agent got exactly one caller
    assert max(Counter(agent for _call, agent in offered).values()) == 1
    assert max(Counter(call for call, _agent in offered).values()) == 1
    assert sorted((agent, call) for call, agent in offered) == sorted(reserved)
    # every offer a dispatcher reported is one of them: no claim was made twice
    reported = [o for result in offers if isinstance(result, list) for o in result]
    assert len(reported) == len({o.call_id for o in reported}) <= 12
