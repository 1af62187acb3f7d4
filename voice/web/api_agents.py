"""REST API of agents, for admins, supervisors and the agents themselves.

Admins and supervisors: ``GET /api/agents`` (``?queue=``), ``GET /api/agents/<name>``,
``POST /api/agents/<name>/state``; admins also ``POST /api/agents`` (create, with the login)
and ``PATCH /api/agents/<name>`` (queues, skills, contact, twilio_identity, extension).
What admins and supervisors change is audited (``agent.add``, ``agent.update``,
``agent.state``); what agents choose for themselves is not (it is in ``agent_sessions``).

The logged-in agent (``/api/agents/me...``): ``GET`` their view; ``POST .../state``
(``{"state": "available"|"away"|"offline", "reason"}``); ``PUT .../contact``
(``{"contact": "sip:..."}`` from a softphone; null clears it); ``GET .../events``, a
Server-Sent Events stream of ``state`` and ``call`` events (the call event carries the same
payload as the ``call.offered`` webhook); ``GET .../history?call_id=`` (the caller's earlier
calls and notes); ``POST /api/calls/<call_id>/disposition`` (``{"disposition", "note"}``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from voice.acd.errors import (
    AgentNotFoundError,
    InvalidAgentError,
    InvalidStateError,
    NoSuchCallError,
    NotAnAgentError,
)
from voice.acd.records import AgentView
from voice.acd.service import Acd
from voice.audit.log import changed_fields
from voice.users.errors import UserError
from voice.web import services
from voice.web.access import current_user, require_role
from voice.web.audit_trail import audit
from voice.web.errors import ApiError
from voice.web.event_stream import Snapshot, event_stream

bp = Blueprint("api_agents", __name__)
STREAM_POLL_S = 0.2
CREATE_FIELDS = ("name", "password", "queues", "skills", "contact", "twilio_identity",
                 "extension")
PATCH_FIELDS = ("queues", "skills", "contact", "twilio_identity", "extension")


class AgentApiError(ApiError):
    """An agent request that cannot be done (bad JSON, invalid fields or state)."""

    status = 422
    error_id = "invalid-agent-request"


class AgentMissingError(ApiError):
    """No agent has the name in the address (or the user is not an agent)."""

    status = 404
    error_id = "agent-not-found"


def acd() -> Acd:
    """The process's ACD service."""
    service = services().acd
    assert service is not None
    return service


def _body(allowed: tuple[str, ...]) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise AgentApiError("send a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise AgentApiError(f"unknown field(s) {', '.join(unknown)}; use {', '.join(allowed)}")
    return body


def _list(body: dict[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AgentApiError(f"{name} must be a list of text", field=name)
    return value


def _me() -> AgentView:
    try:
        return acd().agents.for_user(current_user().username)
    except NotAnAgentError as exc:
        raise AgentMissingError(str(exc)) from None


def _agent(name: str) -> AgentView:
    try:
        return acd().agents.get(name)
    except AgentNotFoundError as exc:
        raise AgentMissingError(str(exc)) from None


def _change_state(name: str) -> Response:
    body = _body(("state", "reason"))
    state = body.get("state")
    if not isinstance(state, str):
        raise AgentApiError("state is required: available, away or offline", field="state")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise AgentApiError("reason must be text", field="reason")
    try:
        return jsonify(acd().agents.set_state(name, state, reason).to_dict())
    except InvalidStateError as exc:
        raise AgentApiError(str(exc), field="state") from None


@bp.get("/api/agents")
@require_role("admin", "supervisor")
def list_agents() -> Response:
    """Every agent (of ``?queue=``)."""
    acd().reconciler.settle()
    return jsonify([a.to_dict() for a in acd().agents.list(request.args.get("queue"))])


@bp.post("/api/agents")
@require_role("admin")
def create_agent() -> tuple[Response, int]:
    """Create an agent and their login."""
    body = _body(CREATE_FIELDS)
    name, password = body.get("name"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        raise AgentApiError("name and password are required")
    try:
        view = acd().agents.add(name, password, queues=_list(body, "queues") or [],
                                skills=_list(body, "skills") or [],
                                contact=body.get("contact"),
                                twilio_identity=body.get("twilio_identity"),
                                extension=body.get("extension"))
    except (InvalidAgentError, UserError) as exc:
        raise AgentApiError(str(exc)) from None
    audit("agent.add", "agent", view.name,
          f"Added agent {view.name} (queues: {', '.join(view.queues) or 'none'})",
          {**view.editable(), "password_set": True})
    return jsonify(view.to_dict()), 201


@bp.get("/api/agents/<name>")
@require_role("admin", "supervisor")
def show_agent(name: str) -> Response:
    """One agent."""
    if name == "me":
        return show_me()
    return jsonify(_agent(name).to_dict())


@bp.patch("/api/agents/<name>")
@require_role("admin")
def update_agent(name: str) -> Response:
    """Change an agent's queues, skills or contacts."""
    body = _body(PATCH_FIELDS)
    before = _agent(name).editable()
    try:
        view = acd().agents.update(name, queues=_list(body, "queues"),
                                   skills=_list(body, "skills"), contact=body.get("contact"),
                                   twilio_identity=body.get("twilio_identity"),
                                   extension=body.get("extension"))
    except InvalidAgentError as exc:
        raise AgentApiError(str(exc)) from None
    changes = changed_fields(before, view.editable())
    if changes:
        audit("agent.update", "agent", name, f"Changed agent {name}: {', '.join(changes)}",
              {"changes": changes})
    return jsonify(view.to_dict())


@bp.post("/api/agents/<name>/state")
@require_role("admin", "supervisor")
def set_agent_state(name: str) -> Response:
    """Change another agent's chosen state (e.g. log out an agent who left)."""
    before = _agent(name)
    response = _change_state(name)
    after = _agent(name)
    if (before.state, before.after_call) != (after.state, after.after_call):
        chosen = after.after_call or after.state
        audit("agent.state", "agent", name, f"Set agent {name} {chosen}"
              + (" after the current call" if after.after_call else ""),
              {"state": [before.state, after.state], "after_call": after.after_call,
               "reason": after.state_reason})
    return response


@bp.get("/api/agents/me")
@require_role("agent")
def show_me() -> Response:
    """The logged-in agent."""
    return jsonify(_me().to_dict())


@bp.post("/api/agents/me/state")
@require_role("agent")
def set_my_state() -> Response:
    """The agent chooses available, away (with a reason) or offline."""
    return _change_state(_me().name)


@bp.put("/api/agents/me/contact")
@require_role("agent")
def set_my_contact() -> Response:
    """A softphone reports where it rings (``null``: it is gone)."""
    body = _body(("contact",))
    contact = body.get("contact")
    if contact is not None and not isinstance(contact, str):
        raise AgentApiError("contact must be a SIP URI or null", field="contact")
    try:
        return jsonify(acd().agents.report_contact(_me().name, contact).to_dict())
    except InvalidAgentError as exc:
        raise AgentApiError(str(exc), field="contact") from None


@bp.get("/api/agents/me/history")
@require_role("agent")
def my_caller_history() -> Response:
    """Earlier calls of the caller of ``?call_id=`` with their notes."""
    call_id = request.args.get("call_id")
    if not call_id:
        raise AgentApiError("call_id is required", field="call_id")
    _me()
    return jsonify(services().agent_desktop.history(call_id))


@bp.post("/api/calls/<path:call_id>/disposition")
@require_role("agent")
def dispose(call_id: str) -> tuple[Response, int]:
    """The agent's disposition and note for a call they handled."""
    body = _body(("disposition", "note"))
    disposition, note = body.get("disposition"), body.get("note", "")
    if not isinstance(disposition, str) or not isinstance(note, str):
        raise AgentApiError("disposition (text) is required; note must be text")
    me = _me()
    record = services().call_repository.get(call_id)
    customer = (record.auth or {}).get("customer_id") if record is not None else None
    try:
        row = acd().handoff.dispose(call_id, me.id, disposition, note,
                                    int(customer) if customer is not None else None)
    except NoSuchCallError as exc:
        raise AgentApiError(str(exc)) from None
    return jsonify({"id": row, "call_id": call_id, "disposition": disposition.strip(),
                    "customer_id": customer}), 201


@bp.get("/api/agents/me/events")
@require_role("agent")
def my_events() -> Response:
    """Server-Sent Events: ``state`` on every change, ``call`` when a call is offered,
    answered or ends (the screen pop), and a comment every 15 s to keep proxies open."""
    me = _me()
    desktop = services().agent_desktop
    once = request.args.get("once") == "1"  # tools and tests: the current snapshot, then end

    def snapshot() -> Snapshot:
        snap = desktop.snapshot(me.id)
        events: list[tuple[str, Any]] = [
            ("state", {k: v for k, v in snap.items() if k != "call"})]
        if snap["call"] is not None:
            events.append(("call", {"state": snap["state"], "payload": snap["call"]}))
        return (snap["state"], snap["reason"], snap["call_id"], snap["since"]), events

    return event_stream(snapshot, STREAM_POLL_S, once=once)
