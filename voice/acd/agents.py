"""Agents: users with the agent role, their queues, skills, contacts and chosen states.

An agent is made with a login (``voice agents add`` makes the user too) and answers the
queues listed for them. They reach the ACD's "available" pool by choosing it (desktop page,
softphone, REST API or ``voice agents state``); the ACD alone moves them through reserved,
on_call and wrap_up. An agent who chooses away or offline while a call rings or lasts keeps
the call: the choice is kept in ``after_call`` and taken when the call and its wrap-up end.
Every state change is also a row of ``agent_sessions`` (time in state, reports).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from voice.acd.errors import (
    AgentNotFoundError,
    InvalidAgentError,
    InvalidStateError,
    NotAnAgentError,
)
from voice.acd.records import CHOSEN_STATES, STATES, AgentView
from voice.acd.strategies import parse_skills
from voice.store.models import Agent, AgentQueue, AgentSession, User
from voice.users.service import UserService

_SIP_URI = re.compile(r"sips?:[^\s<>\"]+")
_QUEUE = re.compile(r"[A-Za-z0-9._-]{1,100}")
BUSY = ("reserved", "on_call")


def move(session: Session, agent: Agent, state: str, now: datetime, *,
         reason: str | None = None, call_id: str | None = None) -> None:
    """Put ``agent`` (a row loaded in ``session``) in ``state`` and log the change."""
    session.execute(update(AgentSession).where(AgentSession.agent_id == agent.id,
                                               AgentSession.ended_at.is_(None))
                    .values(ended_at=now))
    session.add(AgentSession(agent_id=agent.id, state=state, reason=reason, call_id=call_id,
                             started_at=now))
    agent.state, agent.state_reason, agent.state_since = state, reason, now
    if state == "available":
        agent.idle_since = agent.idle_since if agent.idle_since else now
        agent.call_id = None
    elif state in ("offline", "away"):
        agent.call_id, agent.idle_since, agent.wrap_up_until = None, None, None


def contact_problems(contact: str | None) -> list[str]:
    """Problems with a SIP contact URI (empty: fine, or no contact)."""
    if contact and not _SIP_URI.fullmatch(contact):
        return [f"contact '{contact}' must be a SIP URI such as sip:alice@192.0.2.10:5060"]
    return []


class AgentService:
    """Adds agents and changes what they chose (see module docstring)."""

    def __init__(self, session_factory: sessionmaker[Session], users: UserService,
                 clock: Callable[[], datetime]) -> None:
        self._sessions = session_factory
        self._users = users
        self._clock = clock
        #: called with the agent's queues after they became available (the distributor)
        self.on_available: Callable[[list[str]], object] | None = None

    def add(self, name: str, password: str, *, queues: Iterable[str] = (),
            skills: Iterable[str] = (), contact: str | None = None,
            twilio_identity: str | None = None, extension: str | None = None) -> AgentView:
        """Create the user (role agent) and the agent; raises InvalidAgentError or the
        user errors (duplicate name, weak password)."""
        queue_list, skill_map = self._check(queues, skills, contact)
        self._users.add(name, "agent", password)
        now = self._clock()
        with self._sessions.begin() as session:
            user = session.scalars(select(User).where(User.username == name)).one()
            agent = Agent(user_id=user.id, name=name, extension=extension, contact_uri=contact,
                          twilio_identity=twilio_identity, skills=skill_map, state="offline",
                          state_since=now)
            session.add(agent)
            session.flush()
            session.add_all(AgentQueue(agent_id=agent.id, queue=q) for q in queue_list)
            session.add(AgentSession(agent_id=agent.id, state="offline", started_at=now))
        return self.get(name)

    def update(self, name: str, *, queues: Iterable[str] | None = None,
               skills: Iterable[str] | None = None, contact: str | None = None,
               twilio_identity: str | None = None, extension: str | None = None) -> AgentView:
        """Change an agent's queues, skills or contacts (None: unchanged; "" clears)."""
        queue_list, skill_map = self._check(queues or (), skills or (), contact)
        with self._sessions.begin() as session:
            agent = _row(session, name)
            if queues is not None:
                session.execute(delete(AgentQueue).where(AgentQueue.agent_id == agent.id))
                session.add_all(AgentQueue(agent_id=agent.id, queue=q) for q in queue_list)
            if skills is not None:
                agent.skills = skill_map
            if contact is not None:
                agent.contact_uri = contact or None
            if twilio_identity is not None:
                agent.twilio_identity = twilio_identity or None
            if extension is not None:
                agent.extension = extension or None
        return self.get(name)

    def get(self, name: str) -> AgentView:
        """One agent; raises AgentNotFoundError."""
        with self._sessions() as session:
            return _view(session, _row(session, name))

    def for_user(self, username: str) -> AgentView:
        """The agent behind a logged-in user; raises NotAnAgentError."""
        try:
            return self.get(username)
        except AgentNotFoundError:
            raise NotAnAgentError(username) from None

    def list(self, queue: str | None = None) -> builtins.list[AgentView]:
        """Every agent (of one queue), by name."""
        query = select(Agent).order_by(Agent.name)
        if queue is not None:
            query = query.join(AgentQueue, AgentQueue.agent_id == Agent.id).where(
                AgentQueue.queue == queue)
        with self._sessions() as session:
            return [_view(session, row) for row in session.scalars(query)]

    def set_state(self, name: str, state: str, reason: str | None = None) -> AgentView:
        """The agent chooses ``state`` (offline, available, away); see module docstring."""
        if state not in STATES:
            raise InvalidStateError(f"state '{state}' is unknown; use one of "
                                    f"{', '.join(CHOSEN_STATES)}")
        if state not in CHOSEN_STATES:
            raise InvalidStateError(f"'{state}' is set by the call distributor; an agent can "
                                    f"choose {', '.join(CHOSEN_STATES)}")
        now = self._clock()
        with self._sessions.begin() as session:
            agent = _row(session, name, lock=True)
            if agent.state in BUSY:
                agent.after_call = None if state == "available" else state
                agent.after_call_reason = reason if state == "away" else None
            elif agent.state != state or agent.state_reason != reason:
                move(session, agent, state, now, reason=reason if state == "away" else None)
                agent.after_call = agent.after_call_reason = None
            queues = _queues(session, agent.id)
            became_available = agent.state == "available"
        if became_available and self.on_available is not None:
            self.on_available(queues)
        return self.get(name)

    def set_disabled(self, name: str, disabled: bool) -> AgentView:
        """Disable the agent's login (password, API key and sessions stop working) and put
        them offline (after the call in progress, if any), or enable the login again (they
        stay offline until they choose available). Raises AgentNotFoundError."""
        self.get(name)
        if disabled:
            self.set_state(name, "offline")
        self._users.set_disabled(name, disabled)
        return self.get(name)

    def report_contact(self, name: str, contact: str | None) -> AgentView:
        """A softphone says where it rings (None: it went away)."""
        problems = contact_problems(contact)
        if problems:
            raise InvalidAgentError(problems)
        with self._sessions.begin() as session:
            _row(session, name).registered_contact = contact
        return self.get(name)

    @staticmethod
    def _check(queues: Iterable[str], skills: Iterable[str],
               contact: str | None) -> tuple[list[str], dict[str, int]]:
        problems = contact_problems(contact)
        queue_list = [q.strip() for q in queues if q.strip()]
        problems += [f"queue name '{q}' must be letters, digits, '.', '_' or '-'"
                     for q in queue_list if not _QUEUE.fullmatch(q)]
        try:
            skill_map = parse_skills(skills)
        except ValueError as exc:
            problems.append(str(exc))
            skill_map = {}
        if problems:
            raise InvalidAgentError(problems)
        return list(dict.fromkeys(queue_list)), skill_map


def _row(session: Session, name: str, *, lock: bool = False) -> Agent:
    query = select(Agent).where(Agent.name == name)
    if lock:
        query = query.with_for_update()
    agent = session.scalars(query).first()
    if agent is None:
        raise AgentNotFoundError(name)
    return agent


def _queues(session: Session, agent_id: int) -> list[str]:
    return list(session.scalars(select(AgentQueue.queue).where(AgentQueue.agent_id == agent_id)
                                .order_by(AgentQueue.queue)))


def _view(session: Session, agent: Agent) -> AgentView:
    return AgentView(id=agent.id, name=agent.name, user_id=agent.user_id,
                     extension=agent.extension, contact_uri=agent.contact_uri,
                     registered_contact=agent.registered_contact,
                     twilio_identity=agent.twilio_identity, skills=dict(agent.skills or {}),
                     queues=_queues(session, agent.id), state=agent.state,
                     state_reason=agent.state_reason, state_since=agent.state_since,
                     call_id=agent.call_id, wrap_up_until=agent.wrap_up_until,
                     after_call=agent.after_call)
