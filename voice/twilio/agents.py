"""The agent hand-off on Twilio: ring the agent the ACD chose for a queued caller.

**Inbound calls.** When the distributor offers a Twilio caller to an agent (any process may
make the assignment), :class:`TwilioOfferHook` asks Twilio's REST API to move the live call
to ``/twilio/agent`` at once, so the caller leaves hold music without waiting for the next
round of the hold loop. If that request fails it is only logged: every round of
``/twilio/queue`` also looks for an offer and dials it itself. :meth:`AgentTwiml.dial`
writes the ``<Dial>``: ``<Client>`` (the agent's browser softphone, with the call id as a
custom ``<Parameter>``; Twilio then wants the identity in ``<Identity>``) when the agent has a
``twilio_identity``, else ``<Sip>`` to their contact. The noun's ``statusCallback`` reports
``answered`` (``/twilio/agent-status``) and the ``<Dial>``'s ``action``
(``/twilio/agent-dial``) reports how it ended.

**Callbacks.** An offer for a caller who asked to be called back has no live call to move:
the hook places an outbound call to the agent (``client:IDENTITY`` or the SIP contact) from
the number the customer called. When the agent answers, ``/twilio/callback-agent`` says
"Calling the customer back" and dials the customer's number; the call's status callback
(``/twilio/callback-status``) reports answered, no answer and the end.

**Recording: one file per leg of the conversation, never two of the same audio.** A flow
that records (``record_calls``, the default) starts a whole-call recording over the REST API
when the call arrives (``voice.twilio.recording``): channel 1 is the caller, channel 2 what
the caller hears. Left running through the ``<Dial>`` it would capture the conversation a
second time next to the ``<Dial>``'s own ``record-from-answer-dual`` recording (two files to
store, transcribe, retain and purge, and sensitive talk in both). So the ``<Dial>`` records
the conversation (caller on channel 1, the agent on their own channel 2, the same layout
as the whole-call file, with agent and queue filed on the recording) and the whole-call
recording is *stopped* when the agent answers: it then holds the IVR, the hold and the
ringing, and Twilio completes it and sends its callback as usual. Both arrive at
``/twilio/recording-status`` and are filed as kind ``call`` under the call id. A flow that
does not record gets no ``<Dial>`` recording either. A callback's conversation is recorded by
the agent leg's ``<Dial>``: channel 1 is the agent (the leg that dials), channel 2 the
customer.

A failed REST request is logged with the call id; a callback call that could not be placed
leaves the offer unanswered, and the ACD's reconciler puts the entry back in line after the
ring timeout. This module only translates: the ACD's hand-off service moves the states.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from twilio.twiml.voice_response import Dial, VoiceResponse

from voice.acd.records import Offer, Placement
from voice.calls.repository import CallRepository
from voice.calls.sessions import SavedSession
from voice.twilio.errors import TwilioApiError
from voice.twilio.rest import TwilioCallControl
from voice.twilio.twiml import TwimlBuilder

log = logging.getLogger(__name__)
#: seconds the customer's phone rings when an agent calls them back
CUSTOMER_RING_S = 30
CALLING_BACK = "Calling the customer back."
CALLBACK_GONE = "This callback is no longer waiting for you. Goodbye."
CUSTOMER_MISSED = ("The customer did not answer. Please note the outcome in the disposition. "
                   "Goodbye.")
STATUS_EVENTS = "answered completed"

#: the call whose own webhook is running in this context: its reply moves it on, so an offer
#: made meanwhile (e.g. the next agent after a ring-no-answer) needs no REST redirect
_webhook_of: ContextVar[str | None] = ContextVar("twilio_webhook_of", default=None)


@contextmanager
def replying_to(call_id: str) -> Iterator[None]:
    """Within this block, offers for ``call_id`` are left to the webhook's own reply."""
    token = _webhook_of.set(call_id)
    try:
        yield
    finally:
        _webhook_of.reset(token)


def ringable(placement: Placement) -> Offer | None:
    """The offer a held caller should be connected to now (None: keep holding)."""
    offer = placement.offer
    if placement.status != "offered" or offer is None or offer.callback:
        return None
    return offer


def flow_records(saved: SavedSession | None) -> bool:
    """Whether the call's flow records it (then the conversation is recorded too)."""
    return saved is not None and saved.state.recording != "off"


class AgentTwiml:
    """TwiML and callback URLs of the hand-off, for one service's public URL."""

    def __init__(self, public_url: str) -> None:
        self.urls = TwimlBuilder(public_url)

    def dial(self, offer: Offer, *, record: bool) -> str:
        """The caller's ``<Dial>`` to the agent of ``offer`` (see module docstring)."""
        call, agent = offer.call_id, offer.agent_id
        dial = Dial(action=self.urls.url("/twilio/agent-dial", call=call, agent=agent),
                    method="POST", timeout=offer.ring_timeout, answer_on_bridge=True,
                    **self._recording(offer, record))
        status = {"status_callback": self.urls.url("/twilio/agent-status", call=call,
                                                   agent=agent),
                  "status_callback_event": STATUS_EVENTS, "status_callback_method": "POST"}
        if offer.twilio_identity:
            client = dial.client(**status)
            client.identity(offer.twilio_identity)
            client.parameter(name="call", value=call)
            client.parameter(name="queue", value=offer.queue)
        else:
            dial.sip(offer.contact or "", **status)
        reply = VoiceResponse()
        reply.append(dial)
        return str(reply)

    def callback(self, offer: Offer, *, caller_id: str, record: bool) -> str:
        """The agent's leg of a callback: announce it, then dial the customer."""
        reply = VoiceResponse()
        reply.say(CALLING_BACK, language="en-US")
        dial = Dial(action=self.urls.url("/twilio/callback-dial", call=offer.call_id,
                                         agent=offer.agent_id),
                    method="POST", timeout=CUSTOMER_RING_S, caller_id=caller_id,
                    **self._recording(offer, record))
        number = offer.callback_number or ""
        if number.startswith(("sip:", "sips:")):
            dial.sip(number)
        else:
            dial.number(number)
        reply.append(dial)
        return str(reply)

    def say_and_hang_up(self, text: str) -> str:
        """A short message, then the end of this leg."""
        reply = VoiceResponse()
        if text:
            reply.say(text, language="en-US")
        reply.hangup()
        return str(reply)

    def back_to_hold(self, call_id: str, resume: str) -> str:
        """Back to the hold loop at once (a fresh ``resume`` keeps Twilio's retry cache
        from answering with an earlier round's reply)."""
        reply = VoiceResponse()
        reply.redirect(self.urls.url("/twilio/queue", call=call_id, n=0, resume=resume),
                       method="POST")
        return str(reply)

    def _recording(self, offer: Offer, record: bool) -> dict[str, object]:
        if not record:
            return {}
        return {"record": "record-from-answer-dual",
                "recording_status_callback": self.urls.url(
                    "/twilio/recording-status", call=offer.call_id, kind="call",
                    agent=offer.agent_name, queue=offer.queue),
                "recording_status_callback_event": "completed",
                "recording_status_callback_method": "POST"}


def agent_address(offer: Offer) -> str | None:
    """Where Twilio calls the agent of ``offer``: ``client:ID`` or their SIP contact."""
    if offer.twilio_identity:
        return f"client:{offer.twilio_identity}"
    return offer.contact


class TwilioOfferHook:
    """A :attr:`Distributor.on_offer` hook: act on each offer of a Twilio call at once."""

    def __init__(self, control: TwilioCallControl, public_url: str,
                 calls: CallRepository) -> None:
        self.control = control
        self.urls = TwimlBuilder(public_url)
        self.calls = calls

    def __call__(self, offer: Offer) -> None:
        """Redirect the waiting caller to their agent, or ring the agent for a callback."""
        if offer.channel != "twilio":
            return
        try:
            if offer.callback:
                self._ring_for_callback(offer)
            elif _webhook_of.get() == offer.call_id:
                log.debug("call %s: offered while its webhook runs; the reply dials",
                          offer.call_id)
            else:
                self.control.redirect(offer.call_id,
                                      self.urls.url("/twilio/agent", call=offer.call_id))
                log.info("call %s: moved to agent %s", offer.call_id, offer.agent_name)
        except TwilioApiError as exc:
            what = "callback call" if offer.callback else "redirect (the hold loop dials)"
            log.error("call %s: %s to agent %s failed: %s", offer.call_id, what,
                      offer.agent_name, exc)

    def _ring_for_callback(self, offer: Offer) -> None:
        record = self.calls.get(offer.call_id)
        to = agent_address(offer)
        if record is None or not to or not offer.callback_number:
            log.error("call %s: callback for agent %s not placed: %s", offer.call_id,
                      offer.agent_name, "the call is not in the call log" if record is None
                      else "the agent has no twilio_identity or contact" if not to
                      else "no number to call back")
            return
        params = {"call": offer.call_id, "agent": offer.agent_id}
        sid = self.control.place(
            to=to, from_=record.to_number, url=self.urls.url("/twilio/callback-agent", **params),
            status_callback=self.urls.url("/twilio/callback-status", **params),
            timeout=offer.ring_timeout)
        log.info("call %s: ringing agent %s for the callback (%s)", offer.call_id,
                 offer.agent_name, sid)
