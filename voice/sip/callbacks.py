"""Callbacks on a media worker: call the agent first, then the customer, and bridge them.

A caller who pressed 1 on hold hung up but kept their place in line. When their turn comes
the distributor offers the entry to an agent like any other; a worker with a free caller slot
then claims it (one conditional UPDATE, so only one worker calls back) and places two
outbound calls on its two call slots: the agent's phone rings first (``X-Voice-Call`` and
``X-Voice-Callback: 1`` tell a softphone what it is); once the agent answers, the customer
is dialled at ``VOICE_SIP_CALLBACK_URI`` with their number, and the two are bridged. The
agent not answering is a ring-no-answer (the next agent is tried, the place is kept); the
customer not answering ends the attempt (the entry ends ``callback-no-answer``). Either side
hanging up ends both; the agent then wraps up.
Mixed into :class:`~voice.sip.worker.MediaWorker`; runs on the pjsua2 thread.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pjsua2 as pj

from voice.acd.records import Offer
from voice.compose import Services
from voice.sip.admission import Admission
from voice.sip.leg import CallerLeg
from voice.sip.transfer import transfer_reason

log = logging.getLogger(__name__)
CLAIM_EVERY = 2.0  # seconds between two looks for callbacks to carry out
CUSTOMER_RING = 30  # seconds the customer's phone rings


@dataclass
class CallbackCall:
    """One callback in progress: the agent's leg, then the customer's."""

    offer: Offer
    key: str
    agent_leg: CallerLeg
    deadline: float
    customer_leg: CallerLeg | None = None
    agent_answered: bool = False
    customer_answered: bool = False
    bridged: bool = False
    over: bool = False


class Callbacks:
    """The callback half of the media worker (see module docstring)."""

    account: pj.Account
    services: Services
    post: Callable[[tuple[Any, ...]], None]
    admission: Admission | None
    callback_legs: dict[str, CallbackCall]
    _retired_legs: list[CallerLeg]
    _jobs: Any
    _next_claim: float
    name: str

    def _poll_callbacks(self) -> None:
        """Now and then, with a caller slot free, look for a callback to carry out."""
        template = self.services.settings.sip_callback_uri
        admission = self.admission
        now = time.monotonic()
        if template is None or admission is None or admission.draining \
                or admission.holding >= admission.capacity or now < self._next_claim:
            return
        self._next_claim = now + CLAIM_EVERY
        self._jobs.submit(self._claim_job)

    def _claim_job(self) -> None:
        try:
            assert self.services.acd is not None
            offer = self.services.acd.handoff.claim_callback(self.name)
        except Exception:
            log.exception("could not look for callbacks")
            return
        if offer is not None:
            self.post(("callback", "", offer))

    def _start_callback(self, offer: Offer) -> None:
        key = f"callback-{offer.entry_id}"
        assert self.admission is not None
        if self.admission.offer(key) is not None or not self.admission.claim(key) \
                or not offer.contact or not offer.callback_number:
            self.admission.release(key)
            self._callback_report(offer, "ring_failed", "not-reachable")
            return
        leg = CallerLeg(self.account, pj.PJSUA_INVALID_ID, self.post, f"{key}#agent")
        call = CallbackCall(offer=offer, key=key, agent_leg=leg,
                            deadline=time.monotonic() + offer.ring_timeout)
        self.callback_legs[leg.key] = call
        if not self._dial(leg, offer.contact, offer, callback=True):
            self._callback_over(call)
            self._callback_report(offer, "ring_failed", "failed")
            return
        log.info("callback %s: ringing agent %s", offer.call_id, offer.agent_name)

    def _dial(self, leg: CallerLeg, target: str, offer: Offer, *, callback: bool) -> bool:
        param = pj.CallOpParam(True)
        for name, value in (("X-Voice-Call", offer.call_id),
                            ("X-Voice-Callback", "1" if callback else "")):
            if value:
                header = pj.SipHeader()
                header.hName, header.hValue = name, value
                param.txOption.headers.append(header)
        try:
            leg.makeCall(target, param)
            return True
        except pj.Error as exc:
            log.warning("callback %s: cannot call %s: %s", offer.call_id, target, exc.info())
            return False

    def _callback_event(self, call: CallbackCall, message: tuple[Any, ...]) -> None:
        kind, key = message[0], message[1]
        agent_side = key == call.agent_leg.key
        if kind == "state" and message[2] == pj.PJSIP_INV_STATE_CONFIRMED:
            if agent_side and not call.agent_answered:
                call.agent_answered = True
                self._callback_report(call.offer, "answered")
                self._call_customer(call)
            elif not agent_side:
                call.customer_answered = True
                self._bridge_callback(call)
        elif kind == "media" and call.customer_answered:
            self._bridge_callback(call)
        elif kind == "state" and message[2] == pj.PJSIP_INV_STATE_DISCONNECTED:
            self._callback_leg_gone(call, agent_side, int(message[3]))

    def _call_customer(self, call: CallbackCall) -> None:
        template = self.services.settings.sip_callback_uri or ""
        target = template.replace("{number}", call.offer.callback_number or "")
        leg = CallerLeg(self.account, pj.PJSUA_INVALID_ID, self.post, f"{call.key}#customer")
        call.customer_leg = leg
        call.deadline = time.monotonic() + CUSTOMER_RING
        self.callback_legs[leg.key] = call
        if not self._dial(leg, target, call.offer, callback=False):
            self._hang_up_leg(call.agent_leg)

    def _bridge_callback(self, call: CallbackCall) -> None:
        if call.bridged or call.customer_leg is None:
            return
        agent, customer = call.agent_leg.audio_media(), call.customer_leg.audio_media()
        if agent is None or customer is None:
            return  # the media callback follows
        agent.startTransmit(customer)
        customer.startTransmit(agent)
        call.bridged = True
        log.info("callback %s: agent %s and the customer are connected", call.offer.call_id,
                 call.offer.agent_name)

    def _callback_leg_gone(self, call: CallbackCall, agent_side: bool, code: int) -> None:
        leg = call.agent_leg if agent_side else call.customer_leg
        if leg is not None:
            self.callback_legs.pop(leg.key, None)
            self._retired_legs.append(leg)
        if agent_side:
            if not call.agent_answered:
                self._callback_report(call.offer, "ring_failed", transfer_reason(code))
            elif call.customer_leg is not None and call.customer_leg.key in self.callback_legs:
                self._hang_up_leg(call.customer_leg)
        else:
            if not call.customer_answered:
                log.info("callback %s: the customer did not answer (%s)", call.offer.call_id,
                         transfer_reason(code))
            self._hang_up_leg(call.agent_leg)
        if not any(c is call for c in self.callback_legs.values()):
            self._callback_over(call)
            if call.agent_answered:
                self._callback_report(call.offer, "finished")

    def _callback_over(self, call: CallbackCall) -> None:
        if call.over:
            return
        call.over = True
        for key in [k for k, c in self.callback_legs.items() if c is call]:
            self.callback_legs.pop(key, None)
        assert self.admission is not None
        self.admission.release(call.key)

    def _callback_timeouts(self) -> None:
        now = time.monotonic()
        for call in list(self.callback_legs.values()):
            if now <= call.deadline:
                continue
            call.deadline = float("inf")
            if not call.agent_answered:
                self._hang_up_leg(call.agent_leg)
            elif call.customer_leg is not None and not call.customer_answered:
                self._hang_up_leg(call.customer_leg)

    @staticmethod
    def _hang_up_leg(leg: CallerLeg) -> None:
        with contextlib.suppress(pj.Error):
            leg.hangup(pj.CallOpParam(True))

    def _callback_report(self, offer: Offer, what: str, reason: str = "") -> None:
        def job() -> None:
            try:
                acd = self.services.acd
                assert acd is not None
                if what == "answered":
                    acd.handoff.answered(offer.call_id, offer.agent_id)
                elif what == "ring_failed":
                    acd.handoff.ring_failed(offer.call_id, offer.agent_id, reason)
                else:
                    acd.handoff.finished(offer.call_id)
            except Exception:
                log.exception("callback %s: could not report %s", offer.call_id, what)

        self._jobs.submit(job)
