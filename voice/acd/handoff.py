"""What happens once an agent is chosen: answered, not answered, the call's end, callbacks,
and the agent's disposition afterwards.

Each step is one transaction guarded by the state it expects (the entry offered to *this*
agent, the agent reserved for *this* call), so a late or repeated report from a front end
changes nothing. Ring-no-answer puts the agent in away ("missed call") and the caller back
in line with their original place; the distributor then tries the next agent. At the end of
a call the agent wraps up for the queue's ``wrap_up`` seconds, then is available again (or
in the state they chose meanwhile).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.acd.agents import move
from voice.acd.distributor import AcdEvents, Distributor, NoEvents, offer_of
from voice.acd.errors import NoSuchCallError
from voice.acd.queues import QueueRepository
from voice.acd.records import Offer
from voice.store.models import Agent, CallDisposition, QueueEntry

log = logging.getLogger(__name__)
MISSED = "missed call"


class Handoff:
    """Moves an offered call and its agent along (see module docstring)."""

    def __init__(self, session_factory: sessionmaker[Session], queues: QueueRepository,
                 distributor: Distributor, clock: Callable[[], datetime], *,
                 events: AcdEvents | None = None) -> None:
        self._sessions = session_factory
        self.queues = queues
        self.distributor = distributor
        self.clock = clock
        self.events: AcdEvents = events or NoEvents()

    def answered(self, call_id: str, agent_id: int) -> bool:
        """The agent picked up: entry connected, agent on_call, ``call.answered`` sent."""
        now = self.clock()
        with self._sessions.begin() as session:
            entry, agent = _offered(session, call_id, agent_id)
            if entry is None or agent is None or entry.status != "offered":
                return False
            entry.status, entry.answered_at = "connected", now
            move(session, agent, "on_call", now, call_id=call_id)
            agent.call_id = call_id
            ids = self.events.emit(session, "call.answered", entry, agent, now)
        self.events.committed(ids)
        log.info("call %s answered by agent %s", call_id, agent.name)
        return True

    def ring_failed(self, call_id: str, agent_id: int, reason: str = "no-answer") -> bool:
        """The agent did not answer (or refused): away "missed call", caller back in line."""
        now = self.clock()
        with self._sessions.begin() as session:
            entry, agent = _offered(session, call_id, agent_id)
            if entry is None or entry.status != "offered":
                return False
            entry.status, entry.agent_id, entry.offered_at = "waiting", None, None
            entry.holder = None if entry.callback else entry.holder
            entry.tried = [*(entry.tried or []), agent.name if agent else str(agent_id)]
            queue = entry.queue
            if agent is not None and agent.state == "reserved" and agent.call_id == call_id:
                move(session, agent, "away", now, reason=MISSED)
                agent.after_call = agent.after_call_reason = None
        log.info("call %s: agent %s did not answer (%s); back in line", call_id, agent_id,
                 reason)
        self.distributor.dispatch([queue])
        return True

    def finished(self, call_id: str) -> None:
        """The call ended (either side hung up): entry closed, the agent wraps up."""
        now = self.clock()
        queues: list[str] = []
        with self._sessions.begin() as session:
            entry = session.scalars(
                select(QueueEntry).where(QueueEntry.call_id == call_id,
                                         QueueEntry.status.in_(("offered", "connected")))
                .order_by(QueueEntry.id.desc()).limit(1).with_for_update()).first()
            if entry is None:
                return
            answered = entry.status == "connected"
            entry.status, entry.ended_at = "ended", now
            entry.outcome = "answered" if answered else "abandoned"
            agent = session.get(Agent, entry.agent_id, with_for_update=True) \
                if entry.agent_id is not None else None
            if agent is not None and agent.call_id == call_id:
                wrap = self.queues.get(entry.queue).wrap_up if answered else 0
                release(session, agent, now, wrap)
                if agent.state == "available":
                    queues.append(entry.queue)
        if queues:
            self.distributor.dispatch(queues)

    def request_callback(self, call_id: str, number: str) -> bool:
        """The caller asked to be called back: they keep their place and may hang up."""
        with self._sessions.begin() as session:
            entry = session.scalars(
                select(QueueEntry).where(QueueEntry.call_id == call_id,
                                         QueueEntry.status == "waiting")
                .with_for_update()).first()
            if entry is None:
                return False
            entry.callback, entry.callback_number = True, number
        log.info("call %s: callback requested; the place in line is kept", call_id)
        return True

    def claim_callback(self, holder: str, channel: str = "sip") -> Offer | None:
        """A callback offered to an agent that nobody carries out yet, now ``holder``'s.

        One conditional UPDATE: two workers never call back the same customer.
        """
        with self._sessions.begin() as session:
            candidates = session.scalars(
                select(QueueEntry.id).where(QueueEntry.status == "offered",
                                            QueueEntry.callback.is_(True),
                                            QueueEntry.holder.is_(None),
                                            QueueEntry.channel == channel)
                .order_by(QueueEntry.offered_at).limit(5)).all()
            for entry_id in candidates:
                taken = session.execute(
                    update(QueueEntry).where(QueueEntry.id == entry_id,
                                             QueueEntry.status == "offered",
                                             QueueEntry.holder.is_(None))
                    .values(holder=holder)
                    .execution_options(synchronize_session=False)).rowcount
                if taken == 1:
                    entry = session.get(QueueEntry, entry_id)
                    assert entry is not None and entry.agent_id is not None
                    agent = session.get(Agent, entry.agent_id)
                    assert agent is not None
                    return offer_of(entry, agent, self.queues.get(entry.queue))
        return None

    def dispose(self, call_id: str, agent_id: int, disposition: str, note: str,
                customer_id: int | None) -> int:
        """Store the agent's disposition and note against the call (and customer)."""
        disposition = disposition.strip()
        if not disposition:
            raise NoSuchCallError("a disposition is required, e.g. 'resolved' or 'follow-up'")
        with self._sessions.begin() as session:
            handled = session.scalar(select(QueueEntry.id).where(
                QueueEntry.call_id == call_id, QueueEntry.agent_id == agent_id).limit(1))
            if handled is None:
                raise NoSuchCallError(f"call {call_id} was not handled by this agent; "
                                      "dispositions go on your own calls")
            row = CallDisposition(call_id=call_id, agent_id=agent_id, customer_id=customer_id,
                                  disposition=disposition[:100], note=note,
                                  created_at=self.clock())
            session.add(row)
            session.flush()
            return row.id


def release(session: Session, agent: Agent, now: datetime, wrap_up: int) -> None:
    """End the agent's call: wrap up for ``wrap_up`` seconds, or go straight to what they
    chose meanwhile (available by default)."""
    if wrap_up > 0:
        move(session, agent, "wrap_up", now, call_id=agent.call_id)
        agent.wrap_up_until = now + timedelta(seconds=wrap_up)
        agent.idle_since = agent.wrap_up_until
        agent.call_id = None
        return
    settle_agent(session, agent, now)


def settle_agent(session: Session, agent: Agent, now: datetime) -> None:
    """After a call (and wrap-up): the state the agent chose meanwhile, else available."""
    chosen, reason = agent.after_call or "available", agent.after_call_reason
    agent.after_call = agent.after_call_reason = None
    agent.idle_since = now if chosen == "available" else None
    move(session, agent, chosen, now, reason=reason)
    agent.call_id = None
    agent.wrap_up_until = None


def _offered(session: Session, call_id: str,
             agent_id: int) -> tuple[QueueEntry | None, Agent | None]:
    entry = session.scalars(
        select(QueueEntry).where(QueueEntry.call_id == call_id, QueueEntry.agent_id == agent_id,
                                 QueueEntry.status.in_(("offered", "connected")))
        .order_by(QueueEntry.id.desc()).limit(1).with_for_update()).first()
    agent = session.get(Agent, agent_id, with_for_update=True)
    return entry, agent
