"""Twilio's voice webhooks: signed form posts in, TwiML out.

Routes (all POST, all signature-checked against ``VOICE_PUBLIC_URL`` + path + query):
``/twilio/voice`` (a call arrives; ``?flow=ID`` overrides the number's flow), ``/twilio/gather``
(keys, speech or nothing), ``/twilio/record`` (voicemail done), ``/twilio/dial`` (transfer
result), ``/twilio/queue`` (the hold loop: position, the callback key, and the agent's
``<Dial>`` as soon as the caller is offered to one), ``/twilio/status`` (call progress and
end) and ``/twilio/recording-status`` (a recording is ready to fetch). ``GET
/media/prompts/<file>`` serves flow prompt audio to Twilio's ``<Play>`` (Twilio does not sign
media fetches). The agent hand-off's webhooks are in ``voice.twilio.agent_routes``.

This module only translates: form fields become engine events, actions become TwiML, and
the call service does the work.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, request, send_from_directory
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse

from voice.acd.estimate import hold_message
from voice.calls.sessions import SavedSession
from voice.ivr import actions as act
from voice.ivr import events as ev
from voice.recordings.errors import RecordingsError
from voice.twilio.agents import AgentTwiml, flow_records, ringable
from voice.twilio.twiml import TwimlBuilder
from voice.web import services

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__)
ENDED_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
HOLD_SECONDS = 20


def _twiml(text: str, status: int = 200) -> Response:
    return Response(text, status=status, mimetype="application/xml")


def _field(name: str, *, args: bool = False) -> str:
    value = (request.args if args else request.form).get(name, "").strip()
    if not value:
        where = "query parameter" if args else "form field"
        abort(Response(f"missing {where} '{name}'\n", status=400, mimetype="text/plain"))
    return value


def _number(name: str, *, args: bool = False, default: float = 0.0) -> float:
    """A numeric field (absent: ``default``); anything else is a 400."""
    value = (request.args if args else request.form).get(name, "").strip()
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        abort(Response(f"'{name}' must be a number, got '{value}'\n", status=400,
                       mimetype="text/plain"))


@bp.before_request
def check_signature() -> Response | None:
    """403 for a request without a valid X-Twilio-Signature (unless turned off for dev)."""
    if request.endpoint == "twilio.prompt_audio":
        return None
    settings = services().settings
    if not settings.twilio_validate:
        log.warning("Twilio signature check is OFF (VOICE_TWILIO_VALIDATE=false): %s %s "
                    "accepted unchecked", request.method, request.path)
        return None
    url = settings.public_url + request.full_path.rstrip("?")
    signature = request.headers.get("X-Twilio-Signature", "")
    token = settings.twilio_auth_token
    if not token or not signature or not RequestValidator(token).validate(
            url, request.form.to_dict(), signature):
        log.warning("403 for %s %s: %s", request.method, request.path,
                    "TWILIO_AUTH_TOKEN is not set" if not token else
                    "missing X-Twilio-Signature" if not signature else "signature mismatch")
        return Response("forbidden: invalid Twilio signature\n", status=403,
                        mimetype="text/plain")
    return None


def _builder() -> TwimlBuilder:
    svc = services()
    return TwimlBuilder(svc.settings.public_url, svc.recording_hook)


@bp.post("/twilio/voice")
def voice() -> Response:
    """A call arrives on a number whose Voice URL points here."""
    call_id, from_number, to_number = _field("CallSid"), _field("From"), _field("To")
    reply = services().call_service.start(
        channel="twilio", call_id=call_id, from_number=from_number, to_number=to_number,
        flow_id=request.args.get("flow") or None, render=_builder().render)
    return _twiml(reply)


def _continue(key: str, event_for: Any, render: Any = None) -> Response:
    """Hand the call's next event to the call service; an unknown call is a 400."""
    call_id = _field("call", args=True)
    _field("CallSid")
    try:
        reply = services().call_service.handle(call_id, event_for, key=key,
                                                render=render or _builder().render)
    except LookupError:
        abort(Response(f"unknown call '{call_id}'\n", status=400, mimetype="text/plain"))
    return _twiml(reply)


@bp.post("/twilio/gather")
def gather() -> Response:
    """The caller pressed keys, spoke, or did nothing (actionOnEmptyResult)."""
    req = _field("req", args=True)
    digits = request.form.get("Digits", "")
    speech = request.form.get("SpeechResult", "").strip()
    confidence = _number("Confidence") if request.form.get("Confidence") else None

    def event(saved: SavedSession) -> ev.Event:
        now = services().clock()
        if digits:
            return ev.DigitsReceived(at=now, digits=digits)
        if speech:
            return ev.SpeechRecognized(at=now, text=speech, confidence=confidence)
        return ev.TimerFired(at=now, timer=req)

    return _continue(f"gather:{req}", event)


@bp.post("/twilio/record")
def record() -> Response:
    """A voicemail finished (the <Record> action)."""
    req = _field("req", args=True)
    sid = request.form.get("RecordingSid") or request.form.get("RecordingUrl", "")
    duration = _number("RecordingDuration")
    return _continue(f"record:{req}", lambda s: ev.RecordingFinished(
        at=services().clock(), request=req, recording=sid, duration=duration))


@bp.post("/twilio/dial")
def dial() -> Response:
    """A transfer ended: answered (and later hung up) or not connected."""
    req = _field("req", args=True)
    status = request.form.get("DialCallStatus", "")
    connected = status in ("completed", "answered")
    return _continue(f"dial:{req}", lambda s: ev.TransferCompleted(
        at=services().clock(), request=req, connected=connected,
        reason=None if connected else status or "failed"))


@bp.post("/twilio/queue")
def queue() -> Response:
    """The hold loop: ring the agent once offered, else announce, hold and come back; a key
    (the callback offer's 1) goes to the flow; max_wait ends it.

    ``resume`` (set when the call comes back from ringing an agent) keeps the reply cache
    of a repeated delivery from answering with an earlier round's reply.
    """
    svc = services()
    n = int(_number("n", args=True))
    digits = request.form.get("Digits", "")
    resume = request.args.get("resume", "")

    def event(saved: SavedSession) -> ev.Event | None:
        wait = saved.state.wait
        if digits and not saved.ended and wait is not None and wait.kind == "queue":
            return ev.DigitsReceived(at=svc.clock(), digits=digits)
        timer = svc.call_service.due_timer(saved)
        return ev.TimerFired(at=svc.clock(), timer=timer) if timer else None

    def render(actions: list[act.Action], saved: SavedSession) -> str:
        wait = saved.state.wait
        if actions or saved.ended or wait is None or wait.kind != "queue":
            return _builder().render(actions, saved)
        offer = ringable(svc.call_service.placement(saved))
        if offer is not None:
            return AgentTwiml(svc.settings.public_url).dial(offer, record=flow_records(saved))
        return hold(saved, n)

    return _continue(f"queue:{n}:{resume}" if resume else f"queue:{n}", event, render)


def hold(saved: SavedSession, n: int) -> str:
    """Position (every third round when asked for), hold music or a pause, then again.

    When the queue offers callbacks, the round is a ``<Gather>`` of one key around the
    announcement and the music, so 1 can be pressed at any time (no key: the loop goes on).
    """
    svc = services()
    info = saved.adapter.get("queue") or {}
    reply = VoiceResponse()
    callback = bool(info.get("callback"))
    target: VoiceResponse | Gather = reply
    if callback:
        target = Gather(num_digits=1, timeout=1, finish_on_key="", method="POST",
                        action=_builder().url("/twilio/queue", call=saved.call_id, n=n + 1))
        reply.append(target)
    language = str(saved.state.vars.get("language") or "en-US")
    if (info.get("announce", True) or callback) and n % 3 == 0:
        placement = svc.call_service.placement(saved)
        target.say(hold_message(placement.position, placement.estimated_wait,
                                callback=callback), language=language)
    if info.get("music"):
        target.play(_builder().prompt_url(str(info["music"])))
    else:
        target.say("Please stay on the line.", language=language)
        target.pause(length=HOLD_SECONDS)
    reply.redirect(_builder().url("/twilio/queue", call=saved.call_id, n=n + 1),
                   method="POST")
    return str(reply)


@bp.post("/twilio/status")
def status() -> Response:
    """Call progress; a finished call ends its IVR session."""
    call_id = _field("CallSid")
    call_status = _field("CallStatus")
    svc = services()
    if call_status in ENDED_STATUSES and svc.call_service.store.load(call_id) is not None:
        svc.call_service.handle(
            call_id, lambda s: None if s.ended else ev.CallerHungUp(
                at=svc.clock(), detail={"status": call_status}),
            key=f"status:{call_status}", render=lambda actions, saved: "")
    return Response(status=204)


@bp.post("/twilio/recording-status")
def recording_status() -> Response:
    """A recording is complete: fetch it into the recordings folder."""
    call_id = _field("call", args=True)
    kind = request.args.get("kind", "call")
    sid, url = _field("RecordingSid"), _field("RecordingUrl")
    if request.form.get("RecordingStatus", "completed") != "completed":
        return Response(status=204)
    svc = services()
    if svc.recording_service is None or svc.settings.missing_twilio_credentials():
        log.warning("recording %s of call %s not fetched: no recording service", sid, call_id)
        return Response(status=204)
    try:
        svc.recording_service.store_twilio_recording(
            call_id=call_id, recording_sid=sid, recording_url=url, kind=kind,
            channels=int(_number("RecordingChannels", default=2)),
            duration_s=_number("RecordingDuration"),
            agent=request.args.get("agent") or None, queue=request.args.get("queue") or None)
    except RecordingsError as exc:
        # 503: Twilio retries the callback later; the recording stays in Twilio meanwhile
        log.error("call %s: recording %s not stored: %s", call_id, sid, exc)
        return Response(f"recording not stored: {exc}\n", status=503, mimetype="text/plain")
    return Response(status=204)


@bp.get("/media/prompts/<path:name>")
def prompt_audio(name: str) -> Response:
    """Prompt audio named by a flow's ``say: {audio: ...}``, from the flows folder."""
    return send_from_directory(services().settings.flows_dir, name)
