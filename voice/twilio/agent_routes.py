"""Twilio's webhooks of the agent hand-off (what happens is told in ``voice.twilio.agents``).

Routes (all POST, signature-checked like every ``/twilio/*`` webhook, ``?call=`` is the
caller's call id, ``&agent=`` the agent's id):

- ``/twilio/agent``: the caller's call, moved here by the REST redirect: ``<Dial>`` the
  agent offered, or back to the hold loop when there is no offer (any more);
- ``/twilio/agent-status``: the ``<Client>``/``<Sip>`` status callback; ``answered``
  (``CallStatus=in-progress``) tells the ACD and the flow (``AgentConnected``, so the path
  shows the agent) and stops the whole-call recording;
- ``/twilio/agent-dial``: the ``<Dial>`` action: ``completed`` is the end of the talk
  (``<Hangup/>``; the call's status callback then ends the session and the agent wraps up);
  ``no-answer``/``busy``/``failed`` is a ring-no-answer (the ACD tries the next agent) and the
  caller goes back to the hold loop. ``canceled`` means the ringing was cut short by our own
  redirect or by the caller leaving, not by the agent: no penalty, back to the hold loop;
- ``/twilio/callback-agent``: TwiML of the outbound call to the agent for a callback;
- ``/twilio/callback-status``: that call's status callback (answered, no answer, the end);
- ``/twilio/callback-dial``: the ``<Dial>`` to the customer ended.

Only translation: the ACD's hand-off service and the call service do the work.
"""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, Response, abort, request

from voice.acd.service import Acd
from voice.calls.sessions import SavedSession
from voice.ivr import actions as act
from voice.ivr import events as ev
from voice.twilio.agents import (
    CALLBACK_GONE,
    CUSTOMER_MISSED,
    AgentTwiml,
    flow_records,
    replying_to,
    ringable,
)
from voice.twilio.blueprint import _field, _twiml, check_signature
from voice.twilio.recording import TwilioRecordingHook
from voice.web import services

log = logging.getLogger(__name__)
bp = Blueprint("twilio_agents", __name__)
bp.before_request(check_signature)
#: CallStatus of an ``answered`` status callback (Twilio sends in-progress)
ANSWERED = ("in-progress", "answered")
NOT_REACHED = ("busy", "no-answer", "failed", "canceled")


def _acd() -> Acd:
    acd = services().acd
    if acd is None:  # pragma: no cover - every process builds the ACD
        abort(Response("no call distributor in this process\n", status=503,
                       mimetype="text/plain"))
    return acd


def _twiml_of() -> AgentTwiml:
    return AgentTwiml(services().settings.public_url)


def _ids() -> tuple[str, int]:
    """The caller's call id and the agent's id from the query (400 when malformed)."""
    call_id, agent = _field("call", args=True), _field("agent", args=True)
    if not agent.isdigit():
        abort(Response(f"'agent' must be an agent id, got '{agent}'\n", status=400,
                       mimetype="text/plain"))
    return call_id, int(agent)


def _resume() -> str:
    return secrets.token_hex(4)


@bp.post("/twilio/agent")
def agent() -> Response:
    """The caller was moved here when an agent was chosen: ring the agent."""
    call_id = _field("call", args=True)
    _field("CallSid")
    saved = services().call_service.store.load(call_id)
    if saved is None:
        abort(Response(f"unknown call '{call_id}'\n", status=400, mimetype="text/plain"))
    twiml = _twiml_of()
    if saved.ended:
        return _twiml(twiml.say_and_hang_up(""))
    wait = saved.state.wait
    if wait is None or wait.kind != "queue":  # the flow moved on (max_wait) meanwhile
        return _twiml(saved.last_reply or twiml.say_and_hang_up(""))
    offer = ringable(_acd().distributor.placement(call_id))
    if offer is None:
        return _twiml(twiml.back_to_hold(call_id, _resume()))
    return _twiml(twiml.dial(offer, record=flow_records(saved)))


@bp.post("/twilio/agent-status")
def agent_status() -> Response:
    """Progress of the agent's leg; ``answered`` connects the caller in the ACD and flow."""
    call_id, agent_id = _ids()
    if _field("CallStatus") in ANSWERED:
        connected(call_id, agent_id)
    return Response(status=204)


@bp.post("/twilio/agent-dial")
def agent_dial() -> Response:
    """The ``<Dial>`` to the agent ended: talked, or not reached (see module docstring)."""
    call_id, agent_id = _ids()
    status = request.form.get("DialCallStatus", "")
    twiml = _twiml_of()
    if status in ("completed", "answered"):
        connected(call_id, agent_id)  # in case the answered status callback was lost
        return _twiml(twiml.say_and_hang_up(""))
    if status == "canceled":
        log.info("call %s: ringing agent %s was cancelled; back on hold", call_id, agent_id)
    else:
        with replying_to(call_id):  # this reply leads to the next agent
            _acd().handoff.ring_failed(call_id, agent_id, status or "failed")
    return _twiml(twiml.back_to_hold(call_id, _resume()))


def connected(call_id: str, agent_id: int) -> None:
    """The agent answered: the ACD first (once), then ``AgentConnected`` for the flow."""
    acd = _acd()
    if not acd.handoff.answered(call_id, agent_id):
        return
    offer = acd.distributor.placement(call_id).offer
    name = offer.agent_name if offer is not None else str(agent_id)
    svc = services()

    def event(saved: SavedSession) -> ev.Event | None:
        wait = saved.state.wait
        if saved.ended or wait is None or wait.kind != "queue":
            return None
        return ev.AgentConnected(at=svc.clock(), agent=name)

    try:
        svc.call_service.handle(call_id, event, key=f"agent:{agent_id}",
                                render=_stop_whole_call_recording)
    except LookupError:
        log.warning("call %s: answered by agent %s but the call has no session", call_id,
                    name)


def _stop_whole_call_recording(actions: list[act.Action], saved: SavedSession) -> str:
    """The ``<Dial>`` records the conversation from here on (see ``voice.twilio.agents``)."""
    hook = services().recording_hook
    if isinstance(hook, TwilioRecordingHook) and flow_records(saved):
        hook.stop(saved)
    return ""


@bp.post("/twilio/callback-agent")
def callback_agent() -> Response:
    """The agent answered the callback call: announce it and dial the customer."""
    call_id, agent_id = _ids()
    _field("CallSid")
    acd, svc, twiml = _acd(), services(), _twiml_of()
    placement = acd.distributor.placement(call_id)
    offer = placement.offer
    if placement.status not in ("offered", "connected") or offer is None \
            or not offer.callback or offer.agent_id != agent_id:
        log.info("call %s: agent %s answered a callback that is no longer theirs", call_id,
                 agent_id)
        return _twiml(twiml.say_and_hang_up(CALLBACK_GONE))
    acd.handoff.answered(call_id, agent_id)
    record = svc.call_repository.get(call_id)
    caller_id = record.to_number if record is not None else ""
    saved = svc.call_service.store.load(call_id)
    return _twiml(twiml.callback(offer, caller_id=caller_id, record=flow_records(saved)))


@bp.post("/twilio/callback-status")
def callback_status() -> Response:
    """Progress of the callback call to the agent: answered, not reached, or over."""
    call_id, agent_id = _ids()
    status = _field("CallStatus")
    acd = _acd()
    if status in ANSWERED:
        acd.handoff.answered(call_id, agent_id)
    elif status in NOT_REACHED:
        acd.handoff.ring_failed(call_id, agent_id, status)
    elif status == "completed":
        offer = acd.distributor.placement(call_id).offer
        if offer is not None and offer.agent_id == agent_id:
            acd.handoff.answered(call_id, agent_id)  # completed means it was answered
            acd.handoff.finished(call_id)
    return Response(status=204)


@bp.post("/twilio/callback-dial")
def callback_dial() -> Response:
    """The ``<Dial>`` to the customer ended; tell the agent if nobody answered."""
    call_id, agent_id = _ids()
    status = request.form.get("DialCallStatus", "")
    if status in ("completed", "answered"):
        return _twiml(_twiml_of().say_and_hang_up(""))
    log.info("call %s: the customer did not answer agent %s's callback (%s)", call_id,
             agent_id, status or "failed")
    return _twiml(_twiml_of().say_and_hang_up(CUSTOMER_MISSED))
