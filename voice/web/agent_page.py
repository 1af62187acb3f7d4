"""The agent desktop page ``GET /agent``: state, live screen pop, caller history, disposition.

Owns the server-rendered page; its script (``static/agent.js``) does the rest through the
agent API of :mod:`voice.web.api_agents`: it follows ``/api/agents/me/events`` (Server-Sent
Events) for state changes and screen pops, changes state with ``POST
/api/agents/me/state``, reads the caller's earlier calls from ``/api/agents/me/history``
and saves the disposition with ``POST /api/calls/<id>/disposition``, sending the session's
CSRF token in ``X-CSRF-Token``. The page embeds the agent's current snapshot and, when no
call is live, their last answered call (so a reload during wrap-up still shows the screen
pop and the disposition form). Agents only: others get a 403 page, visitors the login.

The page's browser phone (``static/browser_phone.js`` on Twilio's Voice JavaScript SDK, served
from ``static/vendor/`` by ``scripts/setup.sh``) is switched on here, server-side, only when
the agent has a ``twilio_identity``, the access-token settings of
:mod:`voice.web.api_twilio` are set and the SDK file is on disk; otherwise the panel says
what is missing and how to fix it, and no SDK is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, render_template
from sqlalchemy import select

from voice.acd.errors import NotAnAgentError
from voice.acd.screenpop import call_payload
from voice.settings import Settings
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
#: the pinned Twilio Voice JavaScript SDK under static/ (scripts/setup.sh: ensure_web_vendor)
TWILIO_VOICE_SDK_VERSION = "2.18.5"
TWILIO_VOICE_SDK = f"vendor/twilio-voice-{TWILIO_VOICE_SDK_VERSION}.min.js"


@dataclass(frozen=True)
class BrowserPhone:
    """What the page's browser-phone panel shows: the phone, or why it is off."""

    enabled: bool
    identity: str | None = None
    #: why the phone is off (empty when enabled), one sentence each, fixes included
    problems: list[str] = field(default_factory=list)
    #: the SDK's path under static/ when it is to be loaded
    sdk: str | None = None


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
    phone = browser_phone(me.name, me.twilio_identity, built.settings)
    return render_template("agent.html", agent=me, data=data, away_reasons=AWAY_REASONS,
                           dispositions=DISPOSITIONS, phone=phone)


def browser_phone(agent_name: str, identity: str | None, settings: Settings) -> BrowserPhone:
    """Whether the agent's browser phone can work here, else the reasons (with the fixes).

    Needs what ``GET /api/agents/me/twilio-token`` needs (the agent's Twilio identity and the
    token settings; the same messages as its 409 and 503) plus the vendored SDK file.
    """
    problems: list[str] = []
    if not identity:
        problems.append(
            f"Agent '{agent_name}' has no Twilio identity, so calls cannot ring in the browser; "
            f"an admin sets one with 'voice agents set {agent_name} --twilio-identity ID' or "
            f"PATCH /api/agents/{agent_name} {{\"twilio_identity\": \"ID\"}}.")
    missing = settings.missing_twilio_token_settings()
    if missing:
        problems.append(
            f"Browser softphones are not set up on this service: set {', '.join(missing)} "
            "(Twilio console: Account > API keys & tokens for the key, Voice > TwiML Apps for "
            "the app) and restart.")
    if problems:
        return BrowserPhone(enabled=False, identity=identity, problems=problems)
    static = Path(current_app.static_folder or "")
    if not (static / TWILIO_VOICE_SDK).is_file():
        return BrowserPhone(enabled=False, identity=identity, problems=[
            f"The Twilio Voice SDK ({TWILIO_VOICE_SDK} under the static files) is missing on "
            "this server: fetch it with 'bash scripts/setup.sh' (scripts/start.sh and "
            "scripts/test.sh do it too), then reload this page."])
    return BrowserPhone(enabled=True, identity=identity, sdk=TWILIO_VOICE_SDK)


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
