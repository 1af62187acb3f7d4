"""What the evaluation tests share: a sample scorecard definition, calls to score, a clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from voice.compose import Services
from voice.store.models import Agent, Call, QueueEntry

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

#: q1 yes/no weight 1, q2 yes/no weight 3 with N/A, q3 scale 1-5 weight 2
SECTIONS: list[dict[str, Any]] = [
    {"title": "Opening", "questions": [
        {"text": "Greeted the caller", "kind": "yes_no", "weight": 1},
        {"text": "Verified the caller", "kind": "yes_no", "weight": 3, "allow_na": True}]},
    {"title": "Manner", "questions": [
        {"text": "Courtesy", "kind": "scale", "min": 1, "max": 5, "weight": 2}]},
]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move on by ``timedelta(**delta)``."""
        self.now += timedelta(**delta)


def add_call(services: Services, call_id: str, *, agent: str | None = None,
             queue: str | None = None, started_at: datetime = NOW) -> None:
    """A finished call; with ``queue`` a queue stay, answered by ``agent`` (made if new)."""
    agent_id = None
    if agent is not None:
        with services.session_factory() as session:
            agent_id = session.scalar(select(Agent.id).where(Agent.name == agent))
        if agent_id is None:
            assert services.acd is not None
            services.acd.agents.add(agent, "a-long-password-123", queues=[queue or "general"])
            with services.session_factory() as session:
                agent_id = session.scalar(select(Agent.id).where(Agent.name == agent))
    with services.session_factory.begin() as session:
        session.add(Call(id=call_id, channel="sip", flow_id="main", from_number="+15550111",
                         to_number="1000", started_at=started_at,
                         ended_at=started_at + timedelta(minutes=5), outcome="agent",
                         simulated=False, worker="test"))
        if queue is not None:
            answered = started_at if agent_id else None
            session.add(QueueEntry(
                call_id=call_id, queue=queue, channel="sip", from_number="+15550111",
                priority=0, skills=[], status="ended",
                outcome="answered" if agent_id else "abandoned", enqueued_at=started_at,
                agent_id=agent_id, offered_at=answered, answered_at=answered,
                ended_at=started_at + timedelta(minutes=5), estimated_wait=None,
                callback=False, callback_number=None, tried=[], holder=None))
