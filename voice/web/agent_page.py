"""The agent desktop page ``GET /agent``: state, live screen pop, caller history, disposition.

Owns the server-rendered page; its script (``static/agent.js``) does the rest through the
agent API of :mod:`voice.web.api_agents`: it follows ``/api/agents/me/events`` (Server-Sent
Events) for state changes and screen pops, changes state with ``POST
/api/agents/me/state``, reads the caller's earlier calls from ``/api/agents/me/history``
and saves the disposition with ``POST /api/calls/<id>/disposition``, sending the session's
CSRF token in ``X-CSRF-Token``. The page embeds the agent's current snapshot and, when no
call is live, their last answered call (so a reload during wrap-up still shows the screen
pop and the disposition form). Agents only: others get a 403 page, visitors the login.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlalchemy import select

from voice.acd.errors import NotAnAgentError
from voice.acd.screenpop import call_payload
from voice.store.models import Agent, CallDisposition, QueueEntry
from voice.web import services
from voice.web.access import current_user, require_page_role
from voice.web.sessions import error_page

bp = Blueprint("agent_page", __name__)

#: the away reasons an agent picks from (the API accepts any text)
AWAY_REASONS = ("break", "lunch", "training", "other")
#: the dispositions offered after a call (the API accepts any text)
DISPOSITIONS = (("resolved", "Resolved"), ("follow-up", "Follow-up needed"),
                ("escalated", "Escalated"), ("callback", "Callback promised"),
                ("wrong-number", "Wrong number"), ("other", "Other (see note)"))


@bp.get("/agent")
@require_page_role("agent")
def agent_desktop() -> str | tuple[str, int]:
    """The desktop of the signed-in agent."""
    built = services()
    assert built.acd is not None and built.agent_desktop is not None
    user = current_user()
    try:
        me = built.acd.agents.for_user(user.username)
    except NotAnAgentError:
        return error_page(404, "No agent profile", f"The user {user.username} has the agent "
                          "role but no agent profile (queues, phone), so no calls can reach "
                          "it. Ask an admin to create one with 'voice agents add' or "
                          "POST /api/agents.")
    snapshot = built.agent_desktop.snapshot(me.id)
    state = {k: v for k, v in snapshot.items() if k != "call"}
    call, live, disposition = snapshot["call"], snapshot["call"] is not None, None
    if call is None:
        call, disposition = _last_call(me.id)
    data: dict[str, Any] = {
        "agent": {"id": me.id, "name": me.name, "extension": me.extension,
                  "queues": me.queues},
        "state": state,
        "after_call": me.after_call,
        "call": call,
        "call_live": live,
        "disposition": disposition,
        "server_now": built.clock().isoformat(),
    }
    return render_template("agent.html", agent=me, data=data, away_reasons=AWAY_REASONS,
                           dispositions=DISPOSITIONS)


def _last_call(agent_id: int) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The screen pop of the agent's last answered call and their latest disposition of it."""
    built = services()
    with built.session_factory() as session:
        entry = session.scalars(
            select(QueueEntry).where(QueueEntry.agent_id == agent_id,
                                     QueueEntry.answered_at.is_not(None))
            .order_by(QueueEntry.answered_at.desc(), QueueEntry.id.desc()).limit(1)).first()
        if entry is None:
            return None, None
        agent = session.get(Agent, agent_id)
        payload = call_payload(session, entry, agent, built.clock())
        row = session.scalars(
            select(CallDisposition).where(CallDisposition.call_id == entry.call_id,
                                          CallDisposition.agent_id == agent_id)
            .order_by(CallDisposition.created_at.desc()).limit(1)).first()
        saved = None if row is None else {"disposition": row.disposition, "note": row.note,
                                          "at": row.created_at.isoformat()}
        return payload, saved
