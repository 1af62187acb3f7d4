"""``/admin/agents``: agents with their state, queues, skills and contacts, for admins.

Adds agents (their login: username and initial password, role agent), changes their
queues, skills, extension, SIP contact and Twilio identity, and disables or enables them
(a disabled agent's login stops working and they go offline, after a call in progress)
through :class:`voice.acd.agents.AgentService`. Changes are audited as ``agent.*``; the
password never reaches the audit, only that one was set.
"""

from __future__ import annotations

from flask import Response, request

from voice.acd.errors import AgentNotFoundError, InvalidAgentError
from voice.acd.records import AgentView
from voice.audit.log import changed_fields
from voice.users.errors import UserError
from voice.web.access import require_page_role
from voice.web.admin_common import (
    ROLE,
    bp,
    built,
    done,
    form_values,
    listed,
    page,
    problems_of,
    text,
)
from voice.web.api_agents import acd as process_acd
from voice.web.audit_trail import audit

PAGE = "/admin/agents"


def _show(status: int = 200, problems: list[str] | None = None,
          failed: str | None = None) -> tuple[str, int]:
    acd = process_acd()
    acd.reconciler.settle()
    users = built().user_service
    assert users is not None
    disabled = {user.username for user in users.list() if user.disabled}
    agents = acd.agents.list()
    return page("admin_agents.html", status, agents=agents, disabled=disabled,
                values={agent.name: _form_of(agent) for agent in agents},
                problems=problems or [], form=form_values() if problems else {},
                failed=failed)


def skill_text(skills: dict[str, int]) -> str:
    """Skills as typed in the form: ``billing:3, spanish:2``."""
    return ", ".join(f"{name}:{level}" for name, level in skills.items())


def _form_of(view: AgentView) -> dict[str, str]:
    """An agent's editable fields as the edit form shows them."""
    return {"queues": ", ".join(view.queues), "skills": skill_text(view.skills),
            "extension": view.extension or "", "contact": view.contact_uri or "",
            "twilio_identity": view.twilio_identity or ""}


@bp.get("/agents")
@require_page_role(ROLE)
def agents_page() -> tuple[str, int]:
    """Every agent with state, queues, skills and contacts."""
    return _show()


@bp.post("/agents")
@require_page_role(ROLE)
def add_agent() -> Response | tuple[str, int]:
    """Add an agent and their login."""
    name = text("name")
    try:
        view = process_acd().agents.add(
            name, request.form.get("password", ""), queues=listed("queues"),
            skills=listed("skills"),
            contact=text("contact") or None, twilio_identity=text("twilio_identity") or None,
            extension=text("extension") or None)
    except (InvalidAgentError, UserError) as exc:
        return _show(422, problems_of(exc), "new")
    audit("agent.add", "agent", view.name,
          f"Added agent {view.name} (queues: {', '.join(view.queues) or 'none'})",
          {**view.editable(), "password_set": True})
    return done(f"Added agent {view.name}; they start offline.", PAGE)


@bp.post("/agents/<name>")
@require_page_role(ROLE)
def update_agent(name: str) -> Response | tuple[str, int]:
    """Change an agent's queues, skills, extension and contacts."""
    agents = process_acd().agents
    try:
        before = agents.get(name).editable()
        view = agents.update(name, queues=listed("queues"), skills=listed("skills"),
                             contact=text("contact"), twilio_identity=text("twilio_identity"),
                             extension=text("extension"))
    except AgentNotFoundError as exc:
        return _show(404, [str(exc)])
    except InvalidAgentError as exc:
        return _show(422, exc.problems, name)
    changes = changed_fields(before, view.editable())
    if not changes:
        return done(f"Agent {name} already had these settings.", PAGE)
    audit("agent.update", "agent", name, f"Changed agent {name}: {', '.join(changes)}",
          {"changes": changes})
    return done(f"Saved agent {name} ({', '.join(changes)}).", PAGE)


def _set_disabled(name: str, disabled: bool) -> Response | tuple[str, int]:
    try:
        process_acd().agents.set_disabled(name, disabled)
    except (AgentNotFoundError, UserError) as exc:
        return _show(404, [str(exc)])
    verb = "disable" if disabled else "enable"
    audit(f"agent.{verb}", "agent", name, f"{verb.capitalize()}d agent {name}")
    if disabled:
        return done(f"Disabled agent {name}: their login stops working and they are "
                    "offline (after a call in progress).", PAGE)
    return done(f"Enabled agent {name}; they stay offline until they choose available.",
                PAGE)


@bp.post("/agents/<name>/disable")
@require_page_role(ROLE)
def disable_agent(name: str) -> Response | tuple[str, int]:
    """Disable an agent's login and put them offline."""
    return _set_disabled(name, True)


@bp.post("/agents/<name>/enable")
@require_page_role(ROLE)
def enable_agent(name: str) -> Response | tuple[str, int]:
    """Let a disabled agent sign in again."""
    return _set_disabled(name, False)
