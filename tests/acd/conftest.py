"""Fixtures of the ACD tests: an :class:`Acd` over the migrated test database with a clock
the test moves, and helpers to add agents and calls."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from acd_clock import Clock

from voice.acd.service import Acd
from voice.compose import Services


@pytest.fixture
def clock() -> Clock:
    """The test's clock (starts 2026-11-24 09:00 UTC)."""
    return Clock()


@pytest.fixture
def acd(services: Services, clock: Clock) -> Acd:
    """An ACD over the test database, without webhooks."""
    assert services.user_service is not None
    return Acd(services.session_factory, services.user_service, clock,
               default_handle_time=120)


@pytest.fixture
def add_agent(acd: Acd) -> Callable[..., object]:
    """``add_agent(name, queues=("support",), skills=(), available=True)``."""

    def add(name: str, queues: tuple[str, ...] = ("support",), skills: tuple[str, ...] = (),
            available: bool = True, contact: str | None = None,
            twilio_identity: str | None = None) -> object:
        acd.agents.add(name, "agent-password-1", queues=queues, skills=skills,
                       contact=contact or f"sip:{name}@127.0.0.1:5999",
                       twilio_identity=twilio_identity)
        if available:
            acd.agents.set_state(name, "available")
        return acd.agents.get(name)

    return add


@pytest.fixture
def add_call(services: Services, clock: Clock, acd: Acd) -> Callable[..., str]:
    """``add_call(call_id, queue="support", priority=0, skills=())``: a live call, queued."""

    def add(call_id: str, queue: str = "support", priority: int = 0,
            skills: tuple[str, ...] = (), channel: str = "sip") -> str:
        services.call_repository.start_call(
            call_id=call_id, channel=channel, flow_id="demo", flow_version=1,
            flow_sha256=None, from_number="+15550100",
            to_number="1000", started_at=clock(), simulated=False, worker="w1")
        acd.distributor.enqueue(call_id, queue, channel=channel, from_number="+15550100",
                                priority=priority, skills=skills)
        acd.distributor.activate(call_id)
        return call_id

    return add
