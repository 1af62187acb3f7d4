"""Agent hand-off on a media worker: ring the chosen agent's phone and bridge the caller.

While a caller holds in a queue the worker asks the distributor, twice a second, whether they
were offered to an agent (any process may have made the assignment, atomically, in the
database). When they were, the worker calls the agent's contact URI on the call slot it keeps
for each caller (``X-Voice-Call`` carries the caller's call id for the softphone). When the
agent answers (200 + ACK) the hold music stops, the two legs are bridged, the agent is
recorded on the IVR/agent channel, the distributor hears ``answered`` and the flow
``AgentConnected``. No answer within the queue's ring timeout (or busy, declined) is a
ring-no-answer: the agent goes away ("missed call") and the caller, still hearing music, is
offered to the next agent. When the agent hangs up the caller is hung up too; either way the
end of the call puts the agent in wrap-up (through the call service).
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
from voice.ivr import events as ev
from voice.sip.callstate import WorkerCall
from voice.sip.leg import CallerLeg
from voice.sip.transfer import transfer_reason

log = logging.getLogger(__name__)
POLL_EVERY = 0.5  # seconds between two looks at a held caller's placement
DISPATCH_EVERY = 2.0  # seconds between two dispatches of the queues this worker holds


@dataclass
class AgentLeg:
    """The outbound call to the agent chosen for a caller."""

    offer: Offer
    leg: CallerLeg
    deadline: float
    answered: bool = False
    bridged: bool = False
    cancelled: bool = False  # the flow moved on (e.g. max_wait): not the agent's fault


class AgentCalls:
    """The agent half of the media worker (see module docstring)."""

    account: pj.Account
    services: Services
    post: Callable[[tuple[Any, ...]], None]
    calls: dict[str, WorkerCall]
    agent_legs: dict[str, WorkerCall]
    _retired_legs: list[CallerLeg]
    _jobs: Any
    _next_dispatch: float

    # -- polling (pjsua2 thread schedules, service threads ask) ---------------------------
    def _poll_queues(self) -> None:
        """Ask about held callers' offers; dispatch the queues held here now and then."""
        now = time.monotonic()
        held: set[str] = set()
        for call in self.calls.values():
            queue = call.conversation.holding_queue if call.conversation else None
            if call.dead or call.agent is not None or queue is None:
                continue
            held.add(queue)
            if not call.polling and now >= call.next_poll:
                call.polling, call.next_poll = True, now + POLL_EVERY
                self._jobs.submit(self._poll_job, call.key)
        if held and now >= self._next_dispatch:
            self._next_dispatch = now + DISPATCH_EVERY
            self._jobs.submit(self._dispatch_job, sorted(held))

    def _poll_job(self, key: str) -> None:
        offer = None
        try:
            assert self.services.acd is not None
            placement = self.services.acd.distributor.placement(key)
            if placement.status == "offered" and placement.offer is not None:
                offer = placement.offer
        except Exception:
            log.exception("call %s: could not read the queue placement", key)
        self.post(("offer", key, offer))

    def _dispatch_job(self, queues: list[str]) -> None:
        try:
            assert self.services.acd is not None
            self.services.acd.distributor.dispatch(queues)
        except Exception:
            log.exception("dispatching %s failed", queues)

    # -- ringing the agent ---------------------------------------------------------------
    def _offered(self, call: WorkerCall, offer: Offer | None) -> None:
        call.polling = False
        if offer is None or call.dead or call.agent is not None \
                or call.conversation.holding_queue is None:
            return
        if not offer.contact:
            self._report(call, offer, "no-contact")
            return
        key = f"{call.key}#agent"
        leg = CallerLeg(self.account, pj.PJSUA_INVALID_ID, self.post, key)
        call.agent = AgentLeg(offer=offer, leg=leg,
                              deadline=time.monotonic() + offer.ring_timeout)
        self.agent_legs[key] = call
        param = pj.CallOpParam(True)
        header = pj.SipHeader()
        header.hName, header.hValue = "X-Voice-Call", call.key
        param.txOption.headers.append(header)
        try:
            leg.makeCall(offer.contact, param)
            log.info("call %s: ringing agent %s at %s", call.key, offer.agent_name,
                     offer.contact)
        except pj.Error as exc:
            log.warning("call %s: cannot call agent %s at %s: %s", call.key, offer.agent_name,
                        offer.contact, exc.info())
            self.agent_legs.pop(key, None)
            call.agent = None
            self._retired_legs.append(leg)
            self._report(call, offer, "failed")

    def _agent_event(self, call: WorkerCall, message: tuple[Any, ...]) -> None:
        agent = call.agent
        if agent is None:
            return
        kind = message[0]
        if kind == "state" and message[2] == pj.PJSIP_INV_STATE_CONFIRMED:
            agent.answered = True
            self._connect_agent(call, agent)
        elif kind == "media" and agent.answered:
            self._connect_agent(call, agent)
        elif kind == "state" and message[2] == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.agent_legs.pop(agent.leg.key, None)
            call.agent = None
            self._retired_legs.append(agent.leg)
            if agent.bridged:
                log.info("call %s: agent %s hung up", call.key, agent.offer.agent_name)
                self._hang_up(call, "agent-hung-up")
            elif not agent.cancelled and not call.dead:
                self._report(call, agent.offer, transfer_reason(message[3]))

    def _connect_agent(self, call: WorkerCall, agent: AgentLeg) -> None:
        if agent.bridged or call.media is None or call.dead:
            return
        audio = agent.leg.audio_media()
        if audio is None:
            return  # the media callback follows
        call.media.stop_playback()
        call.conversation.agent_connected()
        audio.startTransmit(call.media.audio)
        call.media.audio.startTransmit(audio)
        call.recorder.add_ivr_source(audio)  # the agent goes on the IVR/agent channel
        agent.bridged = True
        offer = agent.offer
        log.info("call %s: bridged to agent %s", call.key, offer.agent_name)
        self._jobs.submit(self._answered_job, call.key, offer.agent_id)
        self._submit(call, lambda at, name=offer.agent_name: ev.AgentConnected(
            at=at, agent=name), f"agent:{offer.agent_id}")

    def _answered_job(self, key: str, agent_id: int) -> None:
        try:
            assert self.services.acd is not None
            self.services.acd.handoff.answered(key, agent_id)
        except Exception:
            log.exception("call %s: could not record the answer", key)

    def _report(self, call: WorkerCall, offer: Offer, reason: str) -> None:
        """Ring-no-answer (or no way to ring): the distributor tries the next agent."""
        log.info("call %s: agent %s not reached (%s)", call.key, offer.agent_name, reason)

        def job() -> None:
            try:
                assert self.services.acd is not None
                self.services.acd.handoff.ring_failed(call.key, offer.agent_id, reason)
            except Exception:
                log.exception("call %s: could not report ring-no-answer", call.key)

        self._jobs.submit(job)

    def _agent_timeouts(self) -> None:
        now = time.monotonic()
        for call in list(self.agent_legs.values()):
            agent = call.agent
            if agent is not None and not agent.answered and now > agent.deadline:
                agent.deadline = float("inf")
                with contextlib.suppress(pj.Error):
                    agent.leg.hangup(pj.CallOpParam(True))

    def _drop_agent(self, call: WorkerCall) -> None:
        """The caller's side ended or the flow moved on: hang up the agent's leg."""
        agent = call.agent
        if agent is None:
            return
        agent.cancelled = True
        with contextlib.suppress(pj.Error):
            agent.leg.hangup(pj.CallOpParam(True))
