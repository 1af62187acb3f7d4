"""Reconciliation: repair agent and queue states that outlived their calls.

The most common bug class of call centers built on Asterisk queues, FreeSWITCH
mod_callcenter or OpenSIPS: an agent left "reserved" or "on_call" with no live call because a
worker died, a softphone vanished or a message was lost, and so never offered a call again.
:meth:`Reconciler.run` (every minute from ``voice worker``, and at once when the SIP
supervisor buries a dead worker's calls) finds them from the database alone:

- an agent reserved or on a call whose call has ended, or who has no live queue entry for
  it, is made available again (reason ``reconciled``);
- an entry still offered long after its ring timeout (its holder never reported back) goes
  back in line and its agent is freed;
- an entry whose call ended while waiting is closed as ``lost`` (callbacks keep their place,
  and an agent reserved for a callback is not "on an ended call");
- a finished wrap-up becomes available (or the state the agent chose meanwhile);
- a caller waiting longer than the queue's ``max_wait`` moves to its ``overflow`` queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, sessionmaker

from voice.acd.agents import move
from voice.acd.distributor import Distributor
from voice.acd.handoff import settle_agent
from voice.acd.queues import QueueRepository
from voice.store.models import Agent, Call, QueueEntry

log = logging.getLogger(__name__)
#: how long past its ring timeout an unanswered offer is left to its holder
RING_GRACE = timedelta(seconds=30)


class Reconciler:
    """Finds and repairs stale ACD states (see module docstring)."""

    def __init__(self, session_factory: sessionmaker[Session], queues: QueueRepository,
                 distributor: Distributor, clock: Callable[[], datetime]) -> None:
        self._sessions = session_factory
        self.queues = queues
        self.distributor = distributor
        self.clock = clock

    def run(self) -> list[str]:
        """Repair what is stale; returns one line per repair (also logged)."""
        now = self.clock()
        repairs: list[str] = []
        with self._sessions.begin() as session:
            repairs += self._busy_agents(session, now)
            repairs += self._stale_offers(session, now)
            repairs += self._dead_entries(session, now)
            repairs += self._wrap_ups(session, now)
            repairs += self._overflow(session, now)
        for line in repairs:
            log.warning("reconciled: %s", line)
        self.distributor.dispatch()
        return repairs

    def settle(self) -> None:
        """Only end finished wrap-ups (cheap; run before showing agent states)."""
        now = self.clock()
        with self._sessions.begin() as session:
            self._wrap_ups(session, now)

    def _busy_agents(self, session: Session, now: datetime) -> list[str]:
        repairs = []
        agents = session.scalars(select(Agent).where(Agent.state.in_(("reserved", "on_call")))
                                 .with_for_update()).all()
        for agent in agents:
            entry = session.scalars(
                select(QueueEntry).where(QueueEntry.call_id == agent.call_id,
                                         QueueEntry.agent_id == agent.id,
                                         QueueEntry.status.in_(("offered", "connected")))
                .limit(1)).first()
            call = session.get(Call, agent.call_id) if agent.call_id else None
            # a callback's call ended when the caller hung up to wait: the entry is the truth
            ended = call is not None and call.ended_at is not None and not (
                entry is not None and entry.callback)
            if entry is not None and not ended:
                continue
            if entry is not None:
                entry.status, entry.ended_at = "ended", now
                entry.outcome = "answered" if entry.answered_at else "lost"
            repairs.append(f"agent {agent.name} was {agent.state} for call {agent.call_id}, "
                           "which is over; available again")
            agent.after_call = None
            move(session, agent, "available", now, reason="reconciled")
            agent.idle_since = now
        return repairs

    def _stale_offers(self, session: Session, now: datetime) -> list[str]:
        repairs = []
        entries = session.scalars(select(QueueEntry).where(QueueEntry.status == "offered")
                                  .with_for_update()).all()
        for entry in entries:
            timeout = timedelta(seconds=self.queues.get(entry.queue).ring_timeout)
            if entry.offered_at is None or now - entry.offered_at < timeout + RING_GRACE:
                continue
            agent = session.get(Agent, entry.agent_id) if entry.agent_id else None
            if agent is not None and agent.state == "reserved" and \
                    agent.call_id == entry.call_id:
                move(session, agent, "available", now, reason="reconciled")
                agent.idle_since = now
            entry.status, entry.agent_id, entry.offered_at = "waiting", None, None
            entry.holder = None if entry.callback else entry.holder
            repairs.append(f"call {entry.call_id} was offered for too long with no answer "
                           "reported; back in line")
        return repairs

    def _dead_entries(self, session: Session, now: datetime) -> list[str]:
        rows = session.execute(
            select(QueueEntry, Call.outcome).join(Call, Call.id == QueueEntry.call_id)
            .where(QueueEntry.status.in_(("joining", "waiting")),
                   QueueEntry.callback.is_(False),
                   Call.ended_at.is_not(None))).all()
        repairs = []
        for entry, outcome in rows:
            entry.status, entry.ended_at = "ended", now
            entry.outcome = "abandoned" if outcome == "abandoned" else "lost"
            repairs.append(f"call {entry.call_id} ended ({outcome}) while waiting in "
                           f"{entry.queue}; taken out of line")
        return repairs

    def _wrap_ups(self, session: Session, now: datetime) -> list[str]:
        agents = session.scalars(select(Agent).where(
            and_(Agent.state == "wrap_up", Agent.wrap_up_until <= now))
            .with_for_update()).all()
        for agent in agents:
            settle_agent(session, agent, agent.wrap_up_until or now)
        return []

    def _overflow(self, session: Session, now: datetime) -> list[str]:
        repairs = []
        for config in self.queues.list():
            if config.max_wait is None or config.overflow is None:
                continue
            late = session.scalars(select(QueueEntry).where(
                QueueEntry.queue == config.name, QueueEntry.status == "waiting",
                QueueEntry.enqueued_at <= now - timedelta(seconds=config.max_wait))).all()
            for entry in late:
                entry.queue = config.overflow
                repairs.append(f"call {entry.call_id} waited over {config.max_wait} s in "
                               f"{config.name}; moved to {config.overflow}")
        return repairs
