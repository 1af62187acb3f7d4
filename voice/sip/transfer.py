"""Transfers on a media worker: REFER when the caller\'s side accepts it, else a bridged call.

A blind transfer with REFER hands the caller to the target and frees the worker; a caller
whose INVITE does not list REFER in ``Allow`` (or that refuses the REFER) is bridged instead:
the worker calls the target on the call slot it keeps for each caller, connects the audio
both ways (the other party is recorded on the IVR/agent channel) and hangs up the caller
when the target hangs up. A failed transfer (busy, no answer within the node\'s timeout,
refused) returns to the flow as ``TransferCompleted(connected=False, reason)``.
Mixed into :class:`~voice.sip.worker.MediaWorker`; runs on the pjsua2 thread.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pjsua2 as pj

from voice.compose import Services
from voice.sip.callstate import WorkerCall
from voice.sip.leg import CallerLeg

log = logging.getLogger(__name__)

#: REFER answers meaning "this peer does not do transfers": bridge the call instead
REFER_UNSUPPORTED = (403, 405, 420, 488, 501, 603)


class Transfers:
    """The transfer half of the media worker (see module docstring)."""

    account: pj.Account
    host: str
    services: Services
    post: Callable[[tuple[Any, ...]], None]
    outbound: dict[str, WorkerCall]
    _retired_legs: list[CallerLeg]

    def _transfer(self, call: WorkerCall, to: str, timeout: int) -> None:
        """Blind transfer with REFER when the caller's side accepts it, else a bridged call."""
        target = to if to.startswith(("sip:", "sips:")) else f"sip:{to}@{self.host}"
        if not call.allow_refer:
            self._bridge(call, target, timeout)
            return
        call.transfer = (target, timeout)
        try:
            call.leg.xfer(target, pj.CallOpParam(True))
        except pj.Error as exc:
            log.warning("call %s: REFER to %s failed (%s); bridging instead", call.key, to,
                        exc.info())
            self._bridge(call, target, timeout)


    def _refer_status(self, call: WorkerCall, code: int, final: bool, now: datetime) -> None:
        if not final or call.transfer is None:
            return
        target, timeout = call.transfer
        call.transfer = None
        if code in REFER_UNSUPPORTED:
            log.info("call %s: REFER refused with %d; bridging to %s", call.key, code, target)
            self._bridge(call, target, timeout)
            return
        connected = 200 <= code < 300
        reason = None if connected else transfer_reason(code)
        call.conversation.transfer_done(connected, reason, now)
        if connected:
            self._hang_up(call, "transferred")  # the caller now talks to the target directly


    def _bridge(self, call: WorkerCall, target: str, timeout: int) -> None:
        """Call ``target`` from this worker (the slot kept for it) and bridge it to the caller."""
        key = f"{call.key}#out"
        leg = CallerLeg(self.account, pj.PJSUA_INVALID_ID, self.post, key)
        call.outbound = leg
        call.outbound_deadline = time.monotonic() + timeout
        self.outbound[key] = call
        try:
            leg.makeCall(target, pj.CallOpParam(True))
        except pj.Error as exc:
            log.warning("call %s: cannot call %s: %s", call.key, target, exc.info())
            self.outbound.pop(key, None)
            call.outbound = None
            call.conversation.transfer_done(False, "failed", self.services.clock())


    def _outbound_event(self, call: WorkerCall, message: tuple[Any, ...]) -> None:
        leg = call.outbound
        kind = message[0]
        if leg is None:
            return
        if kind == "media" and call.media is not None and not call.bridged:
            audio = leg.audio_media()
            if audio is None:
                return
            call.media.stop_playback()
            audio.startTransmit(call.media.audio)
            call.media.audio.startTransmit(audio)
            call.recorder.add_ivr_source(audio)  # the other party goes on the IVR/agent side
            call.bridged = True
            log.info("call %s: bridged to %s", call.key, leg.key)
            call.conversation.transfer_done(True, None, self.services.clock())
        elif kind == "state" and message[2] == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.outbound.pop(leg.key, None)
            call.outbound = None
            call.outbound_deadline = None
            if call.bridged:
                self._hang_up(call, "transfer-ended")  # the other party hung up
            elif not call.dead:
                call.conversation.transfer_done(False, transfer_reason(message[3]),
                                                self.services.clock())
            call.bridged = False
            self._retired_legs.append(leg)


    def _outbound_timeouts(self) -> None:
        now = time.monotonic()
        for call in list(self.outbound.values()):
            if call.outbound is not None and not call.bridged and call.outbound_deadline \
                    and now > call.outbound_deadline:
                call.outbound_deadline = None
                with contextlib.suppress(pj.Error):
                    call.outbound.hangup(pj.CallOpParam(True))


def transfer_reason(code: int) -> str:
    """A transfer failure reason the flow can branch on, from a SIP status."""
    if code in (486, 600):
        return "busy"
    if code in (408, 480, 487):
        return "no-answer"
    return f"failed-{code}" if code else "failed"
