"""The ACD as one object for the composition root and the front ends.

:class:`Acd` bundles the queue settings, agents, distributor, hand-off and reconciler built
over one database, so adapters are handed a single service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from voice.acd.agents import AgentService
from voice.acd.distributor import AcdEvents, Distributor
from voice.acd.handoff import Handoff
from voice.acd.queues import QueueRepository
from voice.acd.reconcile import Reconciler
from voice.users.service import UserService


class Acd:
    """Queues, agents, distribution, hand-off and repair over one database."""

    def __init__(self, session_factory: sessionmaker[Session], users: UserService,
                 clock: Callable[[], datetime], *, events: AcdEvents | None = None,
                 default_handle_time: float = 180.0) -> None:
        self.queues = QueueRepository(session_factory, clock)
        self.agents = AgentService(session_factory, users, clock)
        self.distributor = Distributor(session_factory, self.queues, clock, events=events,
                                       default_handle_time=default_handle_time)
        self.handoff = Handoff(session_factory, self.queues, self.distributor, clock,
                               events=events)
        self.reconciler = Reconciler(session_factory, self.queues, self.distributor, clock)
        self.agents.on_available = self.distributor.dispatch
