"""Read-side values of the ACD: agents, queues and offers as callers of the services see them.

Plain frozen data with a ``to_dict`` JSON form (times as ISO 8601 UTC); no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: every agent state; the ACD alone sets reserved, on_call and wrap_up
STATES = ("offline", "available", "reserved", "on_call", "wrap_up", "away")
#: states an agent (or admin) may ask for
CHOSEN_STATES = ("offline", "available", "away")
#: queue entry statuses while the caller is still in the ACD's hands
LIVE_STATUSES = ("joining", "waiting", "offered", "connected")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class AgentView:
    """One agent as shown to admins, supervisors and the agent."""

    id: int
    name: str
    user_id: int
    extension: str | None
    contact_uri: str | None
    registered_contact: str | None
    twilio_identity: str | None
    skills: dict[str, int]
    queues: list[str]
    state: str
    state_reason: str | None
    state_since: datetime
    call_id: str | None
    wrap_up_until: datetime | None
    after_call: str | None = None

    @property
    def contact(self) -> str | None:
        """Where the agent's SIP phone rings: what the softphone reported, else the fixed URI."""
        return self.registered_contact or self.contact_uri

    def editable(self) -> dict[str, Any]:
        """The settings an admin changes (queues, skills, extension, contacts), as the
        audit log records them."""
        return {"queues": list(self.queues), "skills": dict(self.skills),
                "extension": self.extension, "contact_uri": self.contact_uri,
                "twilio_identity": self.twilio_identity}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id, "name": self.name, "extension": self.extension,
            "contact": self.contact, "contact_uri": self.contact_uri,
            "registered_contact": self.registered_contact,
            "twilio_identity": self.twilio_identity, "skills": dict(self.skills),
            "queues": list(self.queues), "state": self.state,
            "state_reason": self.state_reason, "state_since": _iso(self.state_since),
            "call_id": self.call_id, "wrap_up_until": _iso(self.wrap_up_until),
            "after_call": self.after_call,
        }


@dataclass(frozen=True)
class QueueConfig:
    """A queue's settings (configured, or the defaults for a queue only a flow names)."""

    name: str
    skills: list[str] = field(default_factory=list)
    strategy: str = "longest_idle"
    ring_timeout: int = 20
    wrap_up: int = 30
    max_wait: int | None = None
    overflow: str | None = None
    service_level: int = 20
    description: str | None = None
    configured: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name, "description": self.description, "skills": list(self.skills),
            "strategy": self.strategy, "ring_timeout": self.ring_timeout,
            "wrap_up": self.wrap_up, "max_wait": self.max_wait, "overflow": self.overflow,
            "service_level": self.service_level, "configured": self.configured,
        }


@dataclass(frozen=True)
class Offer:
    """A caller offered to an agent: what the holder of the call needs to ring them."""

    call_id: str
    entry_id: int
    queue: str
    channel: str
    status: str  # offered or connected
    agent_id: int
    agent_name: str
    contact: str | None
    twilio_identity: str | None
    ring_timeout: int
    callback: bool = False
    callback_number: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "call_id": self.call_id, "entry_id": self.entry_id, "queue": self.queue,
            "channel": self.channel, "status": self.status, "agent_id": self.agent_id,
            "agent": self.agent_name, "contact": self.contact,
            "twilio_identity": self.twilio_identity, "ring_timeout": self.ring_timeout,
            "callback": self.callback, "callback_number": self.callback_number,
        }


@dataclass(frozen=True)
class Placement:
    """Where a caller stands: their status, place in line and estimated wait."""

    status: str
    position: int | None
    estimated_wait: float | None
    offer: Offer | None = None
