"""The distributor: callers in, agents chosen, each assignment one atomic database operation.

Callers are ordered by priority (higher first), then arrival. :meth:`Distributor.dispatch`
matches waiting callers with agents able to take them (in the queue, skills met, reachable on
the caller's channel, available or past their wrap-up) in the queue's strategy order, and
claims each pair in one transaction: ``UPDATE agents ... WHERE state is still available`` and
``UPDATE queue_entries ... WHERE status is still waiting``, both or neither. Any process may
dispatch at any time (the SIP worker holding a caller, the web process when an agent becomes
available); two dispatchers racing for one agent or one caller cannot both win, on SQLite or
PostgreSQL. The ``call.offered`` event (the screen pop) is written to the outbox in the same
transaction.

The holder of the call (SIP worker, Twilio hold loop) learns of the offer by asking
:meth:`Distributor.placement`, and :attr:`Distributor.on_offer` lets a front end act at once
(Twilio's REST redirect).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.acd.agents import move
from voice.acd.estimate import estimate_wait
from voice.acd.queues import QueueRepository
from voice.acd.records import LIVE_STATUSES, Offer, Placement, QueueConfig
from voice.acd.strategies import Candidate, qualifies, rank
from voice.store.models import Agent, AgentQueue, QueueEntry

log = logging.getLogger(__name__)

#: handle times (talk + wrap-up) of this many recent calls make a queue's average
HANDLE_SAMPLE = 50
HANDLE_WINDOW = timedelta(days=7)


class AcdEvents(Protocol):
    """Where the ACD's events go: written in the state change's transaction, sent after."""

    def emit(self, session: Session, event_type: str, entry: QueueEntry, agent: Agent | None,
             now: datetime) -> list[int]:
        """Add ``event_type`` about ``entry`` to the outbox in ``session``; the ids to send."""

    def committed(self, ids: list[int]) -> None:
        """The transaction holding ``ids`` committed: send them."""


class NoEvents:
    """An :class:`AcdEvents` that sends nothing (tools and tests without webhooks)."""

    def emit(self, session: Session, event_type: str, entry: QueueEntry, agent: Agent | None,
             now: datetime) -> list[int]:
        """Nothing to send."""
        return []

    def committed(self, ids: list[int]) -> None:
        """Nothing to send."""


def available_now(now: datetime):  # type: ignore[no-untyped-def]
    """SQL condition: the agent can be offered a call at ``now``."""
    return or_(Agent.state == "available",
               and_(Agent.state == "wrap_up", Agent.wrap_up_until <= now,
                    Agent.after_call.is_(None)))


class Distributor:
    """Queues callers and assigns agents (see module docstring)."""

    def __init__(self, session_factory: sessionmaker[Session], queues: QueueRepository,
                 clock: Callable[[], datetime], *, events: AcdEvents | None = None,
                 default_handle_time: float = 180.0) -> None:
        self._sessions = session_factory
        self.queues = queues
        self.clock = clock
        self.events: AcdEvents = events or NoEvents()
        self.default_handle_time = default_handle_time
        #: called after commit with each new offer (e.g. redirect a Twilio call at once)
        self.on_offer: list[Callable[[Offer], object]] = []

    # -- callers ------------------------------------------------------------------------
    def enqueue(self, call_id: str, queue: str, *, channel: str, from_number: str,
                priority: int = 0, skills: Sequence[str] = (),
                holder: str | None = None) -> Placement:
        """Put a caller in ``queue`` (again: their live entry is kept), not yet offerable.

        The entry is *joining* until :meth:`activate`: the front end first logs the IVR
        path the screen pop will carry. Its place in line counts from now.
        """
        now = self.clock()
        with self._sessions.begin() as session:
            entry = _live_entry(session, call_id)
            if entry is None:
                entry = QueueEntry(call_id=call_id, queue=queue, channel=channel,
                                   from_number=from_number, priority=priority,
                                   skills=list(skills), status="joining", enqueued_at=now,
                                   callback=False, tried=[], holder=holder)
                session.add(entry)
                session.flush()
                position = _position(session, entry)
                entry.estimated_wait = self._estimate(session, self.queues.get(queue),
                                                      position, now)
            else:
                position = _position(session, entry)
            return Placement(status=entry.status, position=position,
                             estimated_wait=entry.estimated_wait)

    def activate(self, call_id: str) -> list[Offer]:
        """A joining caller becomes offerable; dispatch their queue."""
        with self._sessions.begin() as session:
            entry = _live_entry(session, call_id)
            if entry is None:
                return []
            queue = entry.queue
            if entry.status == "joining":
                entry.status = "waiting"
        return self.dispatch([queue])

    def leave(self, call_id: str, outcome: str) -> None:
        """The caller left the queue (timeout, abandoned, overflow...); a ringing agent is
        released without penalty."""
        now = self.clock()
        with self._sessions.begin() as session:
            entry = _live_entry(session, call_id)
            if entry is None or (entry.callback and outcome == "abandoned"):
                return
            if entry.status == "offered" and entry.agent_id is not None:
                agent = session.get(Agent, entry.agent_id, with_for_update=True)
                if agent is not None and agent.call_id == call_id and agent.state == "reserved":
                    move(session, agent, "available", now, reason=None)
            entry.status, entry.outcome, entry.ended_at = "ended", outcome, now
            log.info("call %s left queue %s: %s after %.1f s", call_id, entry.queue, outcome,
                     (now - entry.enqueued_at).total_seconds())

    def placement(self, call_id: str) -> Placement:
        """Where the caller stands: status, position, estimated wait and any offer."""
        now = self.clock()
        with self._sessions() as session:
            entry = session.scalars(select(QueueEntry).where(QueueEntry.call_id == call_id)
                                    .order_by(QueueEntry.id.desc()).limit(1)).first()
            if entry is None:
                return Placement(status="none", position=None, estimated_wait=None)
            if entry.status not in ("waiting", "joining"):
                return Placement(status=entry.status, position=None, estimated_wait=None,
                                 offer=self._offer(session, entry))
            position = _position(session, entry)
            config = self.queues.get(entry.queue)
            return Placement(status=entry.status, position=position,
                             estimated_wait=self._estimate(session, config, position, now))

    def status(self, queue: str) -> dict[str, object]:
        """A queue now: callers waiting, the longest wait (s) and its agents by state."""
        now = self.clock()
        with self._sessions() as session:
            waiting, oldest = session.execute(
                select(func.count(), func.min(QueueEntry.enqueued_at))
                .where(QueueEntry.queue == queue,
                       QueueEntry.status.in_(("joining", "waiting")))).one()
            states = dict(session.execute(
                select(Agent.state, func.count()).join(AgentQueue, AgentQueue.agent_id == Agent.id)
                .where(AgentQueue.queue == queue).group_by(Agent.state)).all())
        return {"waiting": int(waiting or 0),
                "longest_wait_seconds": round((now - oldest).total_seconds(), 1)
                if oldest is not None else 0.0,
                "agents": {state: int(count) for state, count in sorted(states.items())}}

    # -- agents -------------------------------------------------------------------------
    def dispatch(self, queues: Sequence[str] | None = None) -> list[Offer]:
        """Offer waiting callers to free agents in ``queues`` (None: every queue)."""
        now = self.clock()
        with self._sessions() as session:
            names = list(queues) if queues is not None else list(session.scalars(
                select(QueueEntry.queue).where(QueueEntry.status == "waiting").distinct()))
        offers: list[Offer] = []
        for name in names:
            offers += self._dispatch_queue(self.queues.get(name), now)
        for offer in offers:
            for hook in self.on_offer:
                try:
                    hook(offer)
                except Exception:
                    log.exception("call %s: offer hook failed", offer.call_id)
        return offers

    def _dispatch_queue(self, config: QueueConfig, now: datetime) -> list[Offer]:
        with self._sessions() as session:
            candidates = self._candidates(session, config, now)
            if not candidates:
                return []
            entries = list(session.execute(
                select(QueueEntry.id, QueueEntry.channel, QueueEntry.skills)
                .where(QueueEntry.queue == config.name, QueueEntry.status == "waiting")
                .order_by(QueueEntry.priority.desc(), QueueEntry.enqueued_at, QueueEntry.id)
                .limit(max(50, 4 * len(candidates)))))
        ranked = rank([c for c, _reach in candidates.values()], config.strategy)
        offers = []
        for entry_id, channel, skills in entries:
            if not ranked:
                break
            needs = [*config.skills, *(skills or [])]
            for candidate in ranked:
                reach = candidates[candidate.id][1]
                if channel not in reach or not qualifies(candidate.skills, needs):
                    continue
                offer = self._claim(entry_id, candidate.id, config, now)
                ranked.remove(candidate)  # taken now, or by someone else: either way gone
                if offer is not None:
                    offers.append(offer)
                    break
        return offers

    def _candidates(self, session: Session, config: QueueConfig,
                    now: datetime) -> dict[int, tuple[Candidate, set[str]]]:
        rows = session.scalars(
            select(Agent).join(AgentQueue, AgentQueue.agent_id == Agent.id)
            .where(AgentQueue.queue == config.name, available_now(now)))
        found: dict[int, tuple[Candidate, set[str]]] = {}
        calls_today: dict[int, int] = {}
        if config.strategy == "fewest_calls":
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            calls_today = dict(session.execute(
                select(QueueEntry.agent_id, func.count()).where(
                    QueueEntry.answered_at >= midnight).group_by(QueueEntry.agent_id)).all())
        for agent in rows:
            reach = set()
            if agent.registered_contact or agent.contact_uri:
                reach |= {"sip", "twilio"}
            if agent.twilio_identity:
                reach.add("twilio")
            if not reach:
                continue
            idle = agent.idle_since
            if agent.state == "wrap_up" and agent.wrap_up_until is not None:
                idle = agent.wrap_up_until
            found[agent.id] = (Candidate(id=agent.id, name=agent.name,
                                         skills=dict(agent.skills or {}), idle_since=idle,
                                         last_offered_at=agent.last_offered_at,
                                         calls_today=calls_today.get(agent.id, 0)), reach)
        return found

    def _claim(self, entry_id: int, agent_id: int, config: QueueConfig,
               now: datetime) -> Offer | None:
        """Reserve the agent and offer the entry in one transaction; None if either moved."""
        try:
            with self._sessions.begin() as session:
                taken = session.execute(
                    update(Agent).where(Agent.id == agent_id, available_now(now))
                    .values(state="reserved", last_offered_at=now, wrap_up_until=None)
                    .execution_options(synchronize_session=False)).rowcount
                if taken != 1:
                    raise _Lost
                offered = session.execute(
                    update(QueueEntry).where(QueueEntry.id == entry_id,
                                             QueueEntry.status == "waiting")
                    .values(status="offered", agent_id=agent_id, offered_at=now)
                    .execution_options(synchronize_session=False)).rowcount
                if offered != 1:
                    raise _Lost  # rolls the agent back too
                agent = session.get(Agent, agent_id)
                entry = session.get(QueueEntry, entry_id)
                assert agent is not None and entry is not None
                move(session, agent, "reserved", now, call_id=entry.call_id)
                agent.call_id = entry.call_id
                ids = self.events.emit(session, "call.offered", entry, agent, now)
                offer = offer_of(entry, agent, config)
                waited = (now - entry.enqueued_at).total_seconds()
        except _Lost:
            return None
        log.info("call %s offered to agent %s (queue %s, waited %.1f s)", offer.call_id,
                 offer.agent_name, config.name, waited)
        self.events.committed(ids)
        return offer

    # -- estimates ----------------------------------------------------------------------
    def handle_time(self, queue: str, now: datetime | None = None) -> float:
        """Average talk + wrap-up of recent answered calls in ``queue`` (default if none)."""
        now = now or self.clock()
        with self._sessions() as session:
            return self._handle_time(session, self.queues.get(queue), now)

    def _handle_time(self, session: Session, config: QueueConfig, now: datetime) -> float:
        rows = session.execute(
            select(QueueEntry.answered_at, QueueEntry.ended_at)
            .where(QueueEntry.queue == config.name, QueueEntry.outcome == "answered",
                   QueueEntry.ended_at >= now - HANDLE_WINDOW)
            .order_by(QueueEntry.ended_at.desc()).limit(HANDLE_SAMPLE)).all()
        talks = [(end - start).total_seconds() for start, end in rows if start and end]
        if not talks:
            return float(self.default_handle_time)
        return sum(talks) / len(talks) + config.wrap_up

    def _estimate(self, session: Session, config: QueueConfig, position: int,
                  now: datetime) -> float | None:
        agents = session.execute(
            select(Agent.state, Agent.state_since, Agent.wrap_up_until, Agent.after_call)
            .join(AgentQueue, AgentQueue.agent_id == Agent.id)
            .where(AgentQueue.queue == config.name,
                   Agent.state.in_(("available", "reserved", "on_call", "wrap_up")))).all()
        handle = self._handle_time(session, config, now)
        free, busy = 0, []
        for state, since, wrap_until, after in agents:
            if state == "available" or (state == "wrap_up" and wrap_until and wrap_until <= now
                                        and after is None):
                free += 1
            elif state == "wrap_up":
                if after is None:  # frees up when the wrap-up ends
                    left = (wrap_until - now).total_seconds() if wrap_until else 0.0
                    busy.append(max(handle - left, 0.0))
            else:
                busy.append((now - since).total_seconds())
        return estimate_wait(position, free_agents=free, busy_elapsed=busy, handle_time=handle)

    def _offer(self, session: Session, entry: QueueEntry) -> Offer | None:
        if entry.status not in ("offered", "connected") or entry.agent_id is None:
            return None
        agent = session.get(Agent, entry.agent_id)
        if agent is None:
            return None
        return offer_of(entry, agent, self.queues.get(entry.queue))


class _Lost(Exception):
    """Another dispatcher took the agent or the caller first."""


def _live_entry(session: Session, call_id: str) -> QueueEntry | None:
    return session.scalars(
        select(QueueEntry).where(QueueEntry.call_id == call_id,
                                 QueueEntry.status.in_(LIVE_STATUSES))
        .order_by(QueueEntry.id.desc()).limit(1).with_for_update()).first()


def _position(session: Session, entry: QueueEntry) -> int:
    ahead = session.scalar(
        select(func.count()).select_from(QueueEntry).where(
            QueueEntry.queue == entry.queue, QueueEntry.status.in_(("waiting", "joining")),
            QueueEntry.id != entry.id,
            or_(QueueEntry.priority > entry.priority,
                and_(QueueEntry.priority == entry.priority,
                     or_(QueueEntry.enqueued_at < entry.enqueued_at,
                         and_(QueueEntry.enqueued_at == entry.enqueued_at,
                              QueueEntry.id < entry.id))))))
    return int(ahead or 0) + 1


def offer_of(entry: QueueEntry, agent: Agent, config: QueueConfig) -> Offer:
    """What the holder of ``entry`` needs to ring ``agent``."""
    return Offer(call_id=entry.call_id, entry_id=entry.id, queue=entry.queue,
                 channel=entry.channel, status=entry.status, agent_id=agent.id,
                 agent_name=agent.name, contact=agent.registered_contact or agent.contact_uri,
                 twilio_identity=agent.twilio_identity, ring_timeout=config.ring_timeout,
                 callback=entry.callback, callback_number=entry.callback_number)
