"""What the agent desktop shows: the agent's state, the call offered or in progress (the
same payload as the ``call.offered`` webhook) and the caller's history.

Read-only; the desktop's live stream (``/api/agents/me/events``) compares snapshots to send
only what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from voice.acd.screenpop import call_payload
from voice.store.models import Agent, Call, CallDisposition, CallEvent, QueueEntry

HISTORY_LIMIT = 20


class AgentDesktop:
    """Snapshots and caller history for one agent's desktop."""

    def __init__(self, session_factory: sessionmaker[Session],
                 clock: Callable[[], datetime]) -> None:
        self._sessions = session_factory
        self.clock = clock

    def snapshot(self, agent_id: int) -> dict[str, Any]:
        """``{"state", "reason", "since", "call_id", "call": screen pop or None}``."""
        with self._sessions() as session:
            agent = session.get(Agent, agent_id)
            if agent is None:
                return {"state": "offline", "reason": None, "since": None, "call_id": None,
                        "call": None}
            call = None
            if agent.call_id and agent.state in ("reserved", "on_call", "wrap_up"):
                entry = session.scalars(
                    select(QueueEntry).where(QueueEntry.call_id == agent.call_id,
                                             QueueEntry.agent_id == agent.id)
                    .order_by(QueueEntry.id.desc()).limit(1)).first()
                call = call_payload(session, entry, agent, self.clock(),
                                    call_id=agent.call_id)
            return {"state": agent.state, "reason": agent.state_reason,
                    "since": agent.state_since.isoformat(), "call_id": agent.call_id,
                    "wrap_up_until": agent.wrap_up_until.isoformat()
                    if agent.wrap_up_until else None, "call": call}

    def history(self, call_id: str, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
        """Earlier calls of the same caller (by number or verified customer), newest first,
        with the dispositions agents wrote."""
        with self._sessions() as session:
            call = session.get(Call, call_id)
            if call is None:
                return []
            customer_ids = {d.get("customer_id") for (d,) in session.execute(
                select(CallEvent.detail).where(CallEvent.call_id == call_id,
                                               CallEvent.node_type == "authenticate"))
                if d and d.get("customer_id") is not None}
            same_customer = select(CallDisposition.call_id).where(
                CallDisposition.customer_id.in_(customer_ids)) if customer_ids else None
            condition = Call.from_number == call.from_number
            if same_customer is not None:
                condition = or_(condition, Call.id.in_(same_customer))
            calls = session.scalars(select(Call).where(condition, Call.id != call_id,
                                                       Call.simulated.is_(False))
                                    .order_by(Call.started_at.desc()).limit(limit)).all()
            notes = {}
            for row in session.scalars(select(CallDisposition).where(
                    CallDisposition.call_id.in_([c.id for c in calls]))
                    .order_by(CallDisposition.created_at)):
                notes.setdefault(row.call_id, []).append(
                    {"disposition": row.disposition, "note": row.note,
                     "at": row.created_at.isoformat()})
            return [{"call_id": c.id, "started_at": c.started_at.isoformat(),
                     "channel": c.channel, "flow_id": c.flow_id, "outcome": c.outcome,
                     "dispositions": notes.get(c.id, [])} for c in calls]
