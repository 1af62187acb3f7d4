"""Hand-made queue entries and IVR paths whose report figures and funnel counts are worked
out by hand in the tests (shared by ``tests/reports`` and ``tests/web``).

Queue entries (threshold: support 20 s, billing 30 s), all on 2026-11-24 UTC unless noted:

====  =======  =====  ======================================  ======
id    queue    at     what happened                           agent
====  =======  =====  ======================================  ======
s1    support  09:10  answered after 10 s, talk 100 s, wrap 20  ann
s2    support  09:40  answered after 30 s (late), talk 60 s    ann
s3    support  10:05  abandoned after 5 s (short)
s4    support  10:20  abandoned after 45 s (late)
b1    billing  10:30  answered after 25 s, talk 100 s, wrap 15  bob
b2    billing  14:50  timed out after 300 s
y1    support  11-23 23:30  answered after 5 s, talk 60 s      bob
====  =======  =====  ======================================  ======

IVR paths of flow ``main`` (calls started 2026-11-24 08:00 UTC, one a minute): see
:data:`PATHS`; ``old`` started the day before, ``pay`` runs another flow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from voice.compose import Services
from voice.store.models import AgentSession, Call, CallEvent, QueueEntry

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 24, tzinfo=UTC)

#: call id -> (ended?, [(node, type, outcome), ...])
PATHS: dict[str, tuple[bool, list[tuple[str, str, str | None]]]] = {
    # hung up in the menu
    "f1": (True, [("greeting", "say", "said"), ("main_menu", "menu", "hangup")]),
    # queued, answered
    "f2": (True, [("greeting", "say", "said"), ("main_menu", "menu", "2"),
                  ("support", "queue", "agent")]),
    # after hours: contained at the hang-up node
    "f3": (True, [("greeting", "say", "said"), ("hours", "hours", "closed"),
                  ("after_hours", "say", "said"), ("goodbye", "hangup", "hangup")]),
    # queued, timed out to voicemail, then goodbye: queued, not contained
    "f4": (True, [("greeting", "say", "said"), ("main_menu", "menu", "0"),
                  ("agents", "queue", "timeout"), ("voicemail", "record", "recorded"),
                  ("goodbye", "hangup", "hangup")]),
    # back to the menu after the language switch, then hung up: the menu counts once
    "f5": (True, [("greeting", "say", "said"), ("main_menu", "menu", "9"),
                  ("spanish", "set", "set"), ("main_menu", "menu", "hangup")]),
    # still in the greeting
    "f6": (False, [("greeting", "say", None)]),
    # abandoned in the queue: queued, not "hung up here"
    "f7": (True, [("greeting", "say", "said"), ("main_menu", "menu", "2"),
                  ("support", "queue", "abandoned")]),
    # transferred out: neither left nor contained
    "f8": (True, [("greeting", "say", "said"), ("main_menu", "menu", "4"),
                  ("claims", "transfer", "connected")]),
}


def queue_entry(call_id: str, queue: str, enqueued: datetime, *,
                answered: float | None = None, ended: float | None = None,
                outcome: str | None = None, agent_id: int | None = None) -> QueueEntry:
    """A queue entry; ``answered``/``ended`` are seconds after ``enqueued``."""
    return QueueEntry(
        call_id=call_id, queue=queue, channel="sip", from_number="+15550100", priority=0,
        skills=[], status="ended" if ended is not None else "connected" if answered else
        "waiting", outcome=outcome, enqueued_at=enqueued, agent_id=agent_id,
        answered_at=None if answered is None else enqueued + timedelta(seconds=answered),
        ended_at=None if ended is None else enqueued + timedelta(seconds=ended),
        callback=False, tried=[])


def add_queue_data(services: Services, password: str = "agent-password-1") -> dict[str, int]:
    """The queues, agents ann and bob, and the entries of the table above; agent ids."""
    acd = services.acd
    assert acd is not None
    acd.queues.put("support", {"service_level": 20})
    acd.queues.put("billing", {"service_level": 30})
    acd.agents.add("ann", password, queues=["support"])
    acd.agents.add("bob", password, queues=["billing", "support"])
    ann, bob = acd.agents.get("ann").id, acd.agents.get("bob").id
    at = DAY.replace
    with services.session_factory.begin() as session:
        session.add_all([
            queue_entry("s1", "support", at(hour=9, minute=10), answered=10, ended=110,
                        outcome="answered", agent_id=ann),
            queue_entry("s2", "support", at(hour=9, minute=40), answered=30, ended=90,
                        outcome="answered", agent_id=ann),
            queue_entry("s3", "support", at(hour=10, minute=5), ended=5, outcome="abandoned"),
            queue_entry("s4", "support", at(hour=10, minute=20), ended=45, outcome="abandoned"),
            queue_entry("b1", "billing", at(hour=10, minute=30), answered=25, ended=125,
                        outcome="answered", agent_id=bob),
            queue_entry("b2", "billing", at(hour=14, minute=50), ended=300, outcome="timeout"),
            queue_entry("y1", "support", DAY - timedelta(minutes=30), answered=5, ended=65,
                        outcome="answered", agent_id=bob),
            AgentSession(agent_id=ann, state="wrap_up", call_id="s1",
                         started_at=at(hour=9, minute=12),
                         ended_at=at(hour=9, minute=12, second=20)),
            AgentSession(agent_id=bob, state="wrap_up", call_id="b1",
                         started_at=at(hour=10, minute=32, second=5),
                         ended_at=at(hour=10, minute=32, second=20)),
        ])
    return {"ann": ann, "bob": bob}


def _call(call_id: str, flow: str, started: datetime, ended: bool,
          steps: list[tuple[str, str, str | None]]) -> list[Any]:
    rows: list[Any] = [Call(
        id=call_id, channel="sip", flow_id=flow, flow_version=None, flow_sha256=None,
        from_number="+15550100", to_number="1000", started_at=started,
        ended_at=started + timedelta(seconds=50) if ended else None,
        outcome="ended" if ended else None, simulated=False, worker="test")]
    rows += [CallEvent(call_id=call_id, seq=seq, at=started + timedelta(seconds=seq),
                       flow_id=flow, node=node, node_type=node_type, outcome=outcome,
                       input=None, detail=None)
             for seq, (node, node_type, outcome) in enumerate(steps, start=1)]
    return rows


def add_funnel_calls(services: Services) -> None:
    """The calls of :data:`PATHS`, one that started the day before and one in flow
    ``payments``."""
    rows: list[Any] = []
    for minute, (call_id, (ended, steps)) in enumerate(PATHS.items()):
        rows += _call(call_id, "main", DAY.replace(hour=8, minute=minute), ended, steps)
    rows += _call("old", "main", DAY - timedelta(hours=2), True,
                  [("greeting", "say", "said"), ("main_menu", "menu", "hangup")])
    rows += _call("pay", "payments", DAY.replace(hour=8, minute=30), True,
                  [("amount", "gather", "hangup")])
    with services.session_factory.begin() as session:
        session.add_all([row for row in rows if isinstance(row, Call)])
        session.flush()  # the calls before their events (the foreign key)
        session.add_all([row for row in rows if not isinstance(row, Call)])
