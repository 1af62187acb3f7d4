"""A SIP media worker: one process, one pjsua2 endpoint, at most two conversations.

The pjsua2 thread runs :meth:`MediaWorker.run`: ``libHandleEvents``, then the messages that
callbacks, the speech thread and the service threads posted, then the clock. Callbacks never
act on the spot (see :mod:`voice.sip.leg`). The IVR work of a call (engine, database, lookups,
text-to-speech) runs on service threads, one step at a time per call, through the same
:class:`~voice.calls.service.CallService` the Twilio adapter uses; its answer is a media plan
(:mod:`voice.sip.plan`) that a :class:`~voice.sip.conversation.Conversation` carries out.

Admission: the :class:`~voice.sip.gate.InviteGate` refuses calls beyond the library's call
slots (two per caller: one for the later agent leg) or beyond the safe burst rate with 503 +
Retry-After before pjsua spends sockets on them. The limit is read from the library.
Run with ``python -m voice.sip.worker --port N --name W`` (``voice sip`` does).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import ipaddress
import logging
import queue
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pjsua2 as pj
import pjsua2._pjsua2 as pjsua2_library

from voice.compose import Services
from voice.flows.errors import FlowNotFoundError
from voice.sip.admission import Admission
from voice.sip.agents import AgentCalls
from voice.sip.callbacks import Callbacks
from voice.sip.callstate import DeferredMedia, WorkerCall
from voice.sip.conversation import Conversation, EventFactory
from voice.sip.filing import RecordingFiling
from voice.sip.gate import InviteGate
from voice.sip.leg import CallerLeg, LegMedia
from voice.sip.numbers import ServedNumbers
from voice.sip.plan import PlanRenderer, parse_plan
from voice.sip.prompts import PromptCache
from voice.sip.recorder import CallRecorder
from voice.sip.sipmsg import header, request_user, retry_after_header, safe_name, uri_user
from voice.sip.speech import SpeechListener
from voice.sip.transfer import Transfers

log = logging.getLogger(__name__)
timing = logging.getLogger("voice.sip.timing")

CLOCK_RATE = 16000
# RTP/RTCP ports: a block of 40 per worker in 10000-29999, below the kernel's ephemeral
# range (32768+) so media never takes a port another process was just given
RTP_BASE, RTP_PORTS, RTP_BLOCKS = 10000, 40, 500
_KEPT_UNTIL_EXIT: list[Any] = []
GRAVE_SECONDS = 1.0  # how long retired media ports live on after leaving the bridge
RETRY_AFTER = 5


class _Account(pj.Account):
    def __init__(self, worker: MediaWorker) -> None:
        super().__init__()
        self.worker = worker

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        try:
            self.worker.incoming(self, prm)
        except Exception:
            log.exception("incoming call failed")


class MediaWorker(AgentCalls, Callbacks, Transfers, RecordingFiling):
    """Runs one pjsua2 endpoint and its calls (see module docstring)."""

    def __init__(self, services: Services, *, host: str, port: int, name: str,
                 trusted_proxy: str | None = None) -> None:
        self.services = services
        self.settings = services.settings
        self.host, self.port, self.name = host, port, name
        self.trusted_proxy = trusted_proxy
        self.inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self.calls: dict[str, WorkerCall] = {}
        self.rejected: dict[str, CallerLeg] = {}  # refused INVITEs until pjsua releases them
        self.outbound: dict[str, WorkerCall] = {}  # bridged-transfer legs by their key
        self.agent_legs: dict[str, WorkerCall] = {}  # calls to agents by their leg's key
        self.callback_legs: dict[str, Any] = {}  # both legs of each callback in progress
        self._next_dispatch = self._next_claim = 0.0
        self._retired_legs: list[CallerLeg] = []
        self._graveyard: list[tuple[float, Any, Callable[[], Any] | None]] = []
        self.prompts = PromptCache(self.settings.prompts_dir or self.settings.data_dir / "prompts",
                                   self.settings.flows_dir, sample_rate=CLOCK_RATE)
        self.renderer = PlanRenderer(self.prompts, placement=services.call_service.placement)
        self.numbers = ServedNumbers(services.flow_catalog.served_numbers)
        self.speech = SpeechListener(self.settings.vosk_model, self.post, CLOCK_RATE)
        self._jobs = ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"{name}-svc")
        self._networks = [ipaddress.ip_network(n) for n in self.settings.sip_allow]
        self.admission: Admission | None = None
        self.endpoint: pj.Endpoint | None = None

    def post(self, message: tuple[Any, ...]) -> None:
        """Queue a message for the pjsua2 thread (any thread may call this)."""
        self.inbox.put(message)

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Create the endpoint, the UDP transport, the gate and the account."""
        ep = pj.Endpoint()
        ep.libCreate()
        config = pj.EpConfig()
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = True
        config.uaConfig.maxCalls = 64  # the library clamps this to what it was built with
        config.uaConfig.userAgent = f"voice-sip/{self.name}"
        config.logConfig.level = 1
        config.logConfig.consoleLevel = 1
        config.medConfig.clockRate = CLOCK_RATE
        config.medConfig.sndClockRate = CLOCK_RATE
        config.medConfig.noVad = True
        # Keep the (null) sound device and so the bridge's clock running when no call is up:
        # ports leave the bridge on its clock, and a recorder's WAV is completed only then.
        config.medConfig.sndAutoCloseTime = -1
        ep.libInit(config)
        transport = pj.TransportConfig()
        transport.port = self.port
        transport.boundAddress = self.host
        ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        ep.libStart()
        ep.audDevManager().setNullDev()
        self.endpoint = ep
        library = ctypes.CDLL(pjsua2_library.__file__)
        library.pjsua_call_get_user_data.restype = ctypes.c_void_p
        library.pjsua_call_get_user_data.argtypes = [ctypes.c_int]
        self._library = library
        self.max_calls = int(library.pjsua_call_get_max_count())
        self.admission = Admission(self.max_calls)
        self.gate = InviteGate(library, self.admission, retry_after=RETRY_AFTER)
        self.gate.install()
        account = pj.AccountConfig()
        account.idUri = f"sip:ivr@{self.host}:{self.port}"
        media = account.mediaConfig.transportConfig
        if self.host not in ("0.0.0.0", "::", ""):
            media.boundAddress = self.host  # RTP on the SIP address, and that address in SDP
            media.publicAddress = self.host
        # Each worker scans its own RTP port block, so workers on one machine do not collide.
        media.port = RTP_BASE + (self.port % RTP_BLOCKS) * RTP_PORTS
        media.portRange = RTP_PORTS
        self.account = _Account(self)
        self.account.create(account)
        self.speech.preload()
        if self.numbers.due():
            self.numbers.refresh()
        self._silence = pj.AudioMediaPlayer()
        self._silence.createPlayer(str(self.prompts.silence(1000)), 0)
        # Everything built so far (imports, services, endpoint) lives as long as the process:
        # leave it out of every later collection, so the one per finished call scans only
        # what calls created (~1 ms instead of ~50 ms). Frozen once, here, never again.
        gc.collect()
        gc.freeze()

        log.info("worker %s listening on udp:%s:%d (library call slots: %d, callers: %d)",
                 self.name, self.host, self.port, self.max_calls, self.admission.capacity)

    def run(self, should_stop: Callable[[], bool], grace: float | None = None) -> None:
        """Serve calls until ``should_stop()``; then drain for ``grace`` seconds and stop.

        Draining: new calls get 503, live calls go on; at the end of the grace period the
        rest are hung up, and the worker stops once they are released (at most 3 s more).
        """
        assert self.endpoint is not None and self.admission is not None
        grace = self.settings.sip_grace if grace is None else grace
        drain_until = hard_stop = None
        while True:
            self.endpoint.libHandleEvents(10)
            self._drain_inbox()
            self._tick(self.services.clock())
            self._outbound_timeouts()
            if self.services.acd is not None:
                self._poll_queues()
                self._agent_timeouts()
                self._poll_callbacks()
                self._callback_timeouts()
            self._reap()
            if self.numbers.due():
                self._jobs.submit(self.numbers.refresh)
            tick = time.monotonic()
            if drain_until is None and should_stop():
                self.admission.draining = True
                drain_until = tick + grace
                log.info("worker %s: stopping; %d live calls get %gs to finish", self.name,
                         len(self.calls), grace)
            if drain_until is not None:
                if not self.calls and not self.rejected and not self.callback_legs:
                    break
                if hard_stop is None and tick >= drain_until:
                    self._hang_up_all()
                    hard_stop = tick + 3.0
                if hard_stop is not None and tick >= hard_stop:
                    break
        self.close()

    def _tick(self, now: datetime) -> None:
        for call in list(self.calls.values()):
            if not call.dead:
                call.conversation.tick(now)

    def close(self) -> None:
        """Release every call and destroy the endpoint (releases pjsua2 objects first)."""
        for call in list(self.calls.values()):
            if not call.dead:
                call.dead = True
                self._finish(call)
        self.calls.clear()
        self.rejected.clear()
        self.outbound.clear()
        self.agent_legs.clear()
        for leg_call in list(self.callback_legs.values()):
            self._hang_up_leg(leg_call.agent_leg)
        self.callback_legs.clear()
        self._retired_legs.clear()
        time.sleep(0.1)  # let the bridge finish removing ports before they are destroyed
        callbacks = [then for _at, _media, then in self._graveyard if then is not None]
        self._graveyard = []
        gc.collect()
        for then in callbacks:
            then()  # e.g. file the recording of a call cut short by the shutdown
        self._jobs.shutdown(wait=True)
        self.speech.close()
        self._silence = None
        self.account.shutdown()
        self.account = None
        gc.collect()
        # A Call object destroyed after libDestroy() aborts the process (pjsua asserts on its
        # id); keep any that something still holds alive until the process exits.
        _KEPT_UNTIL_EXIT.extend(o for o in gc.get_objects() if isinstance(o, CallerLeg))
        if self.endpoint is not None:
            self.gate.uninstall()
            self.endpoint.libDestroy()
            self.endpoint = None

    # -- incoming calls (pjsua2 callback) -----------------------------------------------
    def incoming(self, account: pj.Account, prm: pj.OnIncomingCallParam) -> None:
        """A new INVITE the gate let through: check it, ring, start the session."""
        message = prm.rdata.wholeMsg
        key = header(message, "Call-ID", "i") or f"{self.name}-{prm.callId}"
        leg = CallerLeg(account, prm.callId, self.post, key)
        source = prm.rdata.srcAddress.rsplit(":", 1)[0].strip("[]")
        forwarded = header(message, "X-Voice-Source")
        if forwarded and self.trusted_proxy and source == self.trusted_proxy:
            source = forwarded
        assert self.admission is not None
        if not self.admission.claim(key) and self.admission.offer(key) is not None:
            self._reject(leg, key, 503)  # the gate did not see it (should not happen)
            return
        if not self._allowed(source):
            log.warning("call %s from %s refused: not in VOICE_SIP_ALLOW", key, source)
            self._reject(leg, key, 403)
            return
        to_number = request_user(message) or uri_user(header(message, "To", "t"))
        from_number = uri_user(header(message, "From", "f"))
        allow = (header(message, "Allow") or "").upper()
        folder = self.settings.recordings_dir / ".partial" / self.name / safe_name(key)
        call = WorkerCall(key=key, leg=leg, from_number=from_number, to_number=to_number,
                          allow_refer="REFER" in allow,
                          recorder=CallRecorder(folder, self._silence),
                          conversation=None)  # type: ignore[arg-type]
        call.conversation = Conversation(key, DeferredMedia(call),
                                         lambda factory, label: self._submit(call, factory, label))
        call.invited_at = time.monotonic()
        self.calls[key] = call
        if to_number in self.numbers:
            self._answer(call)  # a known number: 200 now, the session starts meanwhile
        else:
            ring = pj.CallOpParam()
            ring.statusCode = 180
            leg.answer(ring)
        self._jobs.submit(self._start_job, call)

    def _answer(self, call: WorkerCall) -> bool:
        """Send 200 OK; False if the INVITE is gone (the caller cancelled meanwhile)."""
        answer = pj.CallOpParam()
        answer.statusCode = 200
        try:
            call.leg.answer(answer)
        except pj.Error as exc:
            log.info("call %s: not answered, the INVITE is gone: %s", call.key, exc.info())
            return False
        call.answered = True
        call.answered_at = time.monotonic()
        return True

    def _start_job(self, call: WorkerCall) -> None:
        """Service thread: pick the flow by number and start the session (or refuse: 404).

        A Call-ID that already has a session was sent here again (Kamailio gave up on a slow
        worker and tried the next): refused with 503, so the call never runs twice.
        """
        try:
            if self.services.call_service.store.load(call.key) is not None:
                log.warning("call %s already runs elsewhere; refusing the copy", call.key)
                self.post(("start", call.key, None, 503))
                return
            info = self.services.flow_catalog.flow_for_number(call.to_number)
            flow_id = info.flow_id if info is not None else None
            if flow_id is not None:
                try:
                    self.services.flow_catalog.published(flow_id)
                except FlowNotFoundError:
                    flow_id = None
            if flow_id is None:
                self.post(("start", call.key, None, 404))
                return
            call.flow_id = flow_id
            reply = self.services.call_service.start(
                channel="sip", call_id=call.key, from_number=call.from_number,
                to_number=call.to_number, flow_id=flow_id, render=self.renderer.render,
                worker=self.name)
            self.post(("start", call.key, reply, 200))
        except Exception:
            log.exception("call %s: could not start the session", call.key)
            self.post(("start", call.key, None, 500))

    # -- messages ----------------------------------------------------------------------
    def _drain_inbox(self) -> None:
        while True:
            try:
                message = self.inbox.get_nowait()
            except queue.Empty:
                return
            try:
                self._handle(message)
            except Exception:
                log.exception("worker %s: message %s failed", self.name, message[0])

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind, key = message[0], message[1]
        if key in self.outbound:
            self._outbound_event(self.outbound[key], message)
            return
        if key in self.agent_legs:
            self._agent_event(self.agent_legs[key], message)
            return
        if key in self.callback_legs:
            self._callback_event(self.callback_legs[key], message)
            return
        if kind == "callback":
            self._start_callback(message[2])
            return
        call = self.calls.get(key)
        if call is None:
            if kind == "state" and message[2] == pj.PJSIP_INV_STATE_DISCONNECTED:
                leg = self.rejected.pop(key, None)
                if leg is not None:
                    self._release(leg)
                assert self.admission is not None
                self.admission.release(key)
            return
        now = self.services.clock()
        if kind == "state":
            if message[2] == pj.PJSIP_INV_STATE_DISCONNECTED:
                self._disconnected(call, now)
        elif kind == "start":
            self._started(call, message[2], message[3])
        elif kind == "media":
            self._media_ready(call)
        elif kind == "plan":
            call.busy = False
            plan = parse_plan(message[2])
            if plan.get("steps") and call.agent is not None and not call.agent.bridged:
                self._drop_agent(call)  # the flow moved on (max_wait) while an agent rang
            self._apply(call, plan)
            self._pump(call)
        elif kind == "offer":
            self._offered(call, message[2])
        elif kind == "digit":
            call.key_at = time.monotonic()
            call.conversation.digit(message[2], now)
        elif kind == "played":
            if call.media is not None and message[2] == call.media._token:
                call.conversation.playback_done(now)
        elif kind == "speech":
            call.conversation.speech(message[2], message[3], now)
        elif kind == "refer":
            self._refer_status(call, message[2], message[3], now)

    def _started(self, call: WorkerCall, reply: str | None, status: int) -> None:
        if call.dead:
            return
        if reply is None:
            if call.answered:  # answered early, then no session could start here
                log.warning("call %s: answered, but no session could start (status %d); "
                            "hanging up", call.key, status)
                self._hang_up(call, f"not-started-{status}")
            else:
                self._reject(call.leg, call.key, status)
            return
        call.started = True
        if not call.answered and not self._answer(call):
            self._disconnected(call, self.services.clock())
            return
        call.pending_plans.append(parse_plan(reply))
        self._media_ready(call)

    def _media_ready(self, call: WorkerCall) -> None:
        if call.dead or not call.started:
            return
        if call.media is None:
            audio = call.leg.audio_media()
            if audio is None:
                return
            call.media = LegMedia(call.leg, audio, recorder=call.recorder,
                                  speech=self._listen, transfer=lambda to, t: self._transfer(
                                      call, to, t), hang_up=lambda r: self._hang_up(call, r),
                                  message_path=lambda req: self._message_path(call, req),
                                  message_done=lambda req, path, secs, rec: self._message_done(
                                      call, req, path, secs, rec),
                                  clock_rate=CLOCK_RATE, on_play=lambda: self._played(call),
                                  bury=self._bury)
            call.recorder.set_caller(audio)
        for plan in call.pending_plans:
            call.conversation.apply(plan, self.services.clock())
        call.pending_plans.clear()

    def _played(self, call: WorkerCall) -> None:
        """A prompt starts: log how long the caller waited for it (DEBUG, voice.sip.timing)."""
        now = time.monotonic()
        if call.answered_at is not None:
            timing.debug("call %s answer_to_audio_ms=%.1f invite_to_audio_ms=%.1f", call.key,
                         (now - call.answered_at) * 1000, (now - call.invited_at) * 1000)
            call.answered_at = None
        if call.key_at is not None:
            timing.debug("call %s key_to_audio_ms=%.1f", call.key, (now - call.key_at) * 1000)
            call.key_at = None

    def _apply(self, call: WorkerCall, plan: dict[str, Any]) -> None:
        if call.media is None:
            call.pending_plans.append(plan)
        else:
            call.conversation.apply(plan, self.services.clock())

    # -- service jobs (one at a time per call, in order) --------------------------------
    def _submit(self, call: WorkerCall, factory: EventFactory, label: str) -> None:
        call.jobs.append((factory, label))
        self._pump(call)

    def _pump(self, call: WorkerCall) -> None:
        if call.busy or not call.jobs or not call.started:
            return
        factory, label = call.jobs.pop(0)
        call.busy = True
        self._jobs.submit(self._step_job, call, factory, label)

    def _step_job(self, call: WorkerCall, factory: EventFactory, label: str) -> None:
        service = self.services.call_service
        hold = label.startswith("hold:")

        def render(actions: list, saved: Any) -> str:
            if hold and not actions:
                return self.renderer.hold_announcement(saved)
            return self.renderer.render(actions, saved)

        try:
            reply = service.handle(call.key, lambda _saved: factory(self.services.clock()),
                                   key=label, render=render)
        except Exception:
            log.exception("call %s: step %s failed", call.key, label)
            reply = ""
        self.post(("plan", call.key, reply))

    # -- media helpers -------------------------------------------------------------------
    def _listen(self, key: str, phrases: list[str] | None, language: str) -> bool:
        call = self.calls.get(key)
        if call is None or call.media is None:
            return False
        if phrases is None:
            self.speech.stop(key)
            return True
        if not self.speech.available:
            return False
        call.media.attach_speech_port(lambda pcm, key=key: self.speech.feed(key, pcm))
        self.speech.start(key, phrases)
        return True

    def _message_path(self, call: WorkerCall, request: str) -> Path:
        return call.recorder.folder / f"message-{safe_name(request)}.wav"

    def _hang_up(self, call: WorkerCall, reason: str) -> None:
        if call.dead:
            return
        param = pj.CallOpParam()
        param.statusCode = 200
        with contextlib.suppress(pj.Error):
            call.leg.hangup(param)

    def _hang_up_all(self) -> None:
        for call in list(self.calls.values()):
            if not call.dead:
                call.conversation.ended = True
                self._hang_up(call, "shutdown")

    def _allowed(self, source: str) -> bool:
        try:
            address = ipaddress.ip_address(source)
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    def _reject(self, leg: CallerLeg, key: str, status: int) -> None:
        """Answer ``status``; the leg is kept (strong reference) until it is disconnected."""
        param = pj.CallOpParam()
        param.statusCode = status
        if status == 503:
            param.txOption.headers.append(retry_after_header(RETRY_AFTER))
        if key not in self.calls:
            self.rejected[key] = leg
        with contextlib.suppress(pj.Error):
            leg.answer(param)

    def _disconnected(self, call: WorkerCall, now: datetime) -> None:
        if call.dead:
            return
        call.dead = True
        if call.conversation is not None and call.started and not call.conversation.ended:
            call.conversation.caller_hung_up(now)
        self._finish(call)

    def _finish(self, call: WorkerCall) -> None:
        """Stop the leg's media and file its recording (merging happens off this thread)."""
        if call.outbound is not None:
            with contextlib.suppress(pj.Error):
                call.outbound.hangup(pj.CallOpParam(True))
        self._drop_agent(call)
        if call.media is not None:
            call.media.close()
        self.speech.stop(call.key)
        if call.recorder is not None:
            result = call.recorder.finish()
            if result is not None:
                finished, recorders = result
                then = (lambda: self._jobs.submit(self._store_recording, call, finished)) \
                    if call.started else None
                self._bury(recorders, then)  # destroyed later: then the WAVs are complete

    def _release(self, leg: CallerLeg) -> None:
        """Let go of a disconnected call's pjsua2 object, now, on the pjsua2 thread.

        pjsua2's Call destructor hangs up whatever call holds its slot id. pjsua frees the
        slot at DISCONNECTED and may already have given it to a new caller; then destroying
        the old object would hang up the new caller. So the object is destroyed only while
        the slot is still its own (checked through pjsua's user data, which pjsua2 sets to
        the Call), and otherwise left undestroyed (a few hundred bytes, and rare).
        """
        slot = leg.getId()
        if slot >= 0 and self._library.pjsua_call_get_user_data(slot) != int(leg.this):
            log.debug("call %s: slot %d already reused; not destroying its old object",
                      leg.key, slot)
            leg.thisown = False
        leg.media = None
        del leg

    def _bury(self, media: Any, then: Callable[[], Any] | None = None) -> None:
        """Keep retired media alive a little longer (see LegMedia.close); ``then`` runs
        once it is destroyed."""
        self._graveyard.append((time.monotonic(), media, then))

    def _reap(self) -> None:
        """Release calls that ended, outside any callback, once their service work is done."""
        while self._retired_legs:
            self._release(self._retired_legs.pop())
        now = time.monotonic()
        callbacks = []
        while self._graveyard and now - self._graveyard[0][0] > GRAVE_SECONDS:
            callbacks.append(self._graveyard.pop(0)[2])
        if callbacks:
            # pjsua2 proxies sit in reference cycles: only a collection destroys them (and
            # completes a recorder's WAV). What start() froze is not scanned, so this pass is
            # cheap; objects of live calls must never be frozen (their cycles would outlive
            # them), hence the single freeze at start.
            started = time.perf_counter()
            gc.collect()
            timing.debug("worker %s gc_ms=%.1f", self.name,
                         (time.perf_counter() - started) * 1000)
            for then in callbacks:
                if then is not None:
                    then()
        for key, call in list(self.calls.items()):
            if call.dead and not call.busy and not call.jobs and call.outbound is None \
                    and call.agent is None:
                del self.calls[key]
                leg, call.leg, call.media = call.leg, None, None  # type: ignore[assignment]
                self._release(leg)
                assert self.admission is not None
                self.admission.release(key)
