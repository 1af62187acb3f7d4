"""The screen pop: what an agent's desktop and the CRM learn about a call offered to them.

:func:`call_payload` builds the ``data`` of the ``call.*`` events (contract in DESIGN.md):
call id, channel, from, to, flow, the IVR path with timestamps, the inputs collected (as the
call log stores them: sensitive ones already masked), the authentication result (verified,
method, level, customer id and name, masked account), queue, wait and the agent. The webhook
(written by :class:`voice.events.OutboxEvents`) and the agent desktop's live stream
(``/api/agents/me/events``) carry the same payload.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voice.store.models import Agent, Call, CallEvent, Customer, QueueEntry


def call_payload(session: Session, entry: QueueEntry | None, agent: Agent | None,
                 now: datetime, *, call_id: str | None = None) -> dict[str, Any]:
    """The ``data`` of a call event, read inside ``session`` (see module docstring)."""
    call_id = call_id or (entry.call_id if entry is not None else None)
    call = session.get(Call, call_id) if call_id else None
    if entry is None and call_id is not None:  # e.g. call.ended: the call's last queue stay
        entry = session.scalars(select(QueueEntry).where(QueueEntry.call_id == call_id)
                                .order_by(QueueEntry.id.desc()).limit(1)).first()
    if agent is None and entry is not None and entry.agent_id is not None:
        agent = session.get(Agent, entry.agent_id)
    steps = list(session.scalars(select(CallEvent).where(CallEvent.call_id == call_id)
                                 .order_by(CallEvent.seq))) if call is not None else []
    path = [{"flow": s.flow_id, "node": s.node, "type": s.node_type, "at": _iso(s.at),
             "outcome": s.outcome, "input": s.input} for s in steps]
    inputs = {s.node: s.input for s in steps if s.input is not None
              and s.node_type != "authenticate"}
    data: dict[str, Any] = {
        "call_id": call_id,
        "channel": call.channel if call else (entry.channel if entry else None),
        "from": call.from_number if call else (entry.from_number if entry else None),
        "to": call.to_number if call else None,
        "flow_id": call.flow_id if call else None,
        "flow_version": call.flow_version if call else None,
        "started_at": _iso(call.started_at) if call else None,
        "ivr_path": path,
        "inputs": inputs,
        "authentication": _authentication(session, steps),
    }
    if entry is not None:
        end = entry.answered_at or entry.ended_at or now
        data["queue"] = {"name": entry.queue, "priority": entry.priority,
                         "enqueued_at": _iso(entry.enqueued_at),
                         "wait_seconds": round((end - entry.enqueued_at).total_seconds(), 1),
                         "outcome": entry.outcome,
                         "estimated_wait": entry.estimated_wait,
                         "callback": entry.callback}
    if agent is not None:
        data["agent"] = {"id": agent.id, "name": agent.name, "extension": agent.extension}
    if call is not None and call.ended_at is not None:
        data["ended_at"] = _iso(call.ended_at)
        data["outcome"] = call.outcome
    return data


def _authentication(session: Session, steps: list[CallEvent]) -> dict[str, Any]:
    step = next((s for s in reversed(steps)
                 if s.node_type == "authenticate" and s.outcome is not None), None)
    if step is None:
        return {"verified": False, "outcome": "not-attempted", "method": None, "level": None,
                "customer_id": None, "customer_name": None, "account": None}
    detail = step.detail or {}
    customer_id = detail.get("customer_id")
    name = None
    if customer_id is not None:
        customer = session.get(Customer, int(customer_id))
        if customer is not None:
            name = f"{customer.first_name} {customer.last_name}".strip()
    return {"verified": step.outcome == "verified", "outcome": step.outcome,
            "method": detail.get("method"), "level": detail.get("level"),
            "customer_id": customer_id, "customer_name": name, "account": step.input}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
