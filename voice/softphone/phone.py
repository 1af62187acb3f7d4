"""The softphone's SIP side: one pjsua2 endpoint, one account, one agent call at a time.

Like the media worker (:mod:`voice.sip.worker`), pjsua2 runs on the main thread only
(``threadCnt = 0``, ``mainThreadOnly = True``): :meth:`Phone.run` calls ``libHandleEvents``,
then handles what callbacks posted to the inbox, then the timers (auto-answer, hang-up-after),
then the caller's ``idle`` hook (the agent's key commands). Callbacks never act; each posts a
message and returns, wrapped in try/except since an exception inside a pjsua2 callback would
end the process. The account has ``idUri = sip:NAME@HOST:PORT`` and no registrar: the service
sends its INVITE straight to the contact the softphone reports.

An incoming INVITE rings (180) and waits for :meth:`Phone.answer` (200); a second one while a
call rings or lasts gets 486 Busy Here. Media: the sound device's capture goes to the call and
the call to its playback (the null device with ``null_audio``). What happens is reported as
status lines through a :class:`PhoneListener`.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import queue
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pjsua2 as pj
import pjsua2._pjsua2 as pjsua2_library

from voice.softphone.calls import AgentCall, Post, ended_reason, keep_forever, release
from voice.softphone.errors import SipStartError, SoundDeviceError

log = logging.getLogger(__name__)

SHUTDOWN_WAIT_S = 3.0
REJECT_STATUS = 603  # the agent declined a ringing call
BUSY_STATUS = 486  # a second call while one rings or lasts
#: pjmedia's ids of the system's default devices (not exported by the pjsua2 wheel)
DEFAULT_CAPTURE_DEV, DEFAULT_PLAYBACK_DEV = -1, -2


class PhoneListener(Protocol):
    """Where the phone reports (the console)."""

    def status(self, line: str) -> None:
        """A machine-readable status line."""

    def info(self, text: str) -> None:
        """A note for the agent."""


@dataclass(frozen=True)
class PhoneOptions:
    """How the phone listens and behaves."""

    user: str
    host: str = "127.0.0.1"
    port: int = 0
    null_audio: bool = False
    auto_answer: bool = False
    answer_after: float = 0.0
    hangup_after: float | None = None
    #: the address in the contact when ``host`` is a wildcard (0.0.0.0, ::)
    contact_host: str | None = None


class _StderrLog(pj.LogWriter):
    """pjsua's own log lines go to stderr, never between the status lines on stdout."""

    def write(self, entry: pj.LogEntry) -> None:
        with contextlib.suppress(Exception):
            sys.stderr.write(entry.msg if entry.msg.endswith("\n") else entry.msg + "\n")


class _Account(pj.Account):
    def __init__(self, post: Post) -> None:
        super().__init__()
        self.post = post

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        try:
            # The Call object must exist before this returns, or pjsua2 refuses the call.
            self.post(("incoming", AgentCall(self, prm.callId, self.post)))
        except Exception:
            log.exception("incoming call failed")


class Phone:
    """The agent's SIP phone (see module docstring)."""

    def __init__(self, options: PhoneOptions, listener: PhoneListener) -> None:
        self.options = options
        self.listener = listener
        self.inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self.endpoint: pj.Endpoint | None = None
        self.account: _Account | None = None
        self.current: AgentCall | None = None
        self.refused: list[AgentCall] = []
        self.contact = ""
        self._library: Any = None
        self._log_writer: _StderrLog | None = None

    def post(self, message: tuple[Any, ...]) -> None:
        """Queue a message for the pjsua2 thread."""
        self.inbox.put(message)

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> str:
        """Create the endpoint, the UDP transport and the account; return the contact URI."""
        library = ctypes.CDLL(pjsua2_library.__file__)
        library.pj_log_set_level(0)  # no pjlib banner on stdout before libInit applies ours
        library.pjsua_call_get_user_data.restype = ctypes.c_void_p
        library.pjsua_call_get_user_data.argtypes = [ctypes.c_int]
        self._library = library
        ep = pj.Endpoint()
        ep.libCreate()
        self.endpoint = ep
        config = pj.EpConfig()
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = True
        config.uaConfig.maxCalls = 4
        config.uaConfig.userAgent = "voice-softphone"
        self._log_writer = _StderrLog()
        config.logConfig.writer = self._log_writer
        config.logConfig.level = 1
        config.logConfig.consoleLevel = 1
        config.medConfig.noVad = True
        host, port = self.options.host, self.options.port
        try:
            ep.libInit(config)
            transport = pj.TransportConfig()
            transport.port = port
            transport.boundAddress = host
            transport_id = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
            ep.libStart()
            port = int(ep.transportGetInfo(transport_id).localName.rsplit(":", 1)[1])
        except pj.Error as exc:
            self.close()
            raise SipStartError(host, port, exc.reason or exc.info()) from None
        self._sound_device(ep)
        self.contact = (f"sip:{self.options.user}@"
                        f"{_uri_host(self.options.contact_host or host)}:{port}")
        account = pj.AccountConfig()
        account.idUri = self.contact
        account.regConfig.registerOnAdd = False
        media = account.mediaConfig.transportConfig
        if host not in ("0.0.0.0", "::", ""):
            media.boundAddress = host
        media.port = 0  # RTP on any free port
        self.account = _Account(self.post)
        self.account.create(account, True)  # the default account: every INVITE lands here
        return self.contact

    def _sound_device(self, ep: pj.Endpoint) -> None:
        manager = ep.audDevManager()
        if self.options.null_audio:
            manager.setNullDev()
            return
        devices = manager.enumDev2()
        if not any(d.inputCount > 0 for d in devices):
            self.close()
            raise SoundDeviceError("no capture device (microphone) found")
        if not any(d.outputCount > 0 for d in devices):
            self.close()
            raise SoundDeviceError("no playback device (speaker) found")
        try:
            manager.setCaptureDev(DEFAULT_CAPTURE_DEV)
            manager.setPlaybackDev(DEFAULT_PLAYBACK_DEV)
        except pj.Error as exc:
            self.close()
            raise SoundDeviceError(exc.reason or exc.info()) from None

    def run(self, should_stop: Callable[[], bool], idle: Callable[[], None]) -> None:
        """Handle SIP events, messages and timers until ``should_stop()``."""
        while not should_stop():
            self.step()
            idle()

    def step(self, wait_ms: int = 10) -> None:
        """One round: pjsua events, posted messages, timers."""
        assert self.endpoint is not None
        self.endpoint.libHandleEvents(wait_ms)
        while True:
            try:
                message = self.inbox.get_nowait()
            except queue.Empty:
                break
            try:
                self._handle(message)
            except Exception:
                log.exception("softphone: message %s failed", message[0])
        self._timers(time.monotonic())

    def finish_calls(self) -> None:
        """Hang up the call and wait (at most a few seconds) until every call is released."""
        if self.endpoint is None:
            return
        if self.current is not None and not self.current.ended and self.current.local_end is None:
            self.hang_up()
        deadline = time.monotonic() + SHUTDOWN_WAIT_S
        while (self.current is not None or self.refused) and time.monotonic() < deadline:
            self.step()

    def close(self) -> None:
        """Hang up, release the calls, destroy the endpoint (safe to call twice)."""
        if self.endpoint is None:
            return
        self.finish_calls()
        self.current = None
        self.refused = []
        gc.collect()
        # A Call object destroyed after libDestroy() aborts the process (pjsua asserts on
        # its id): anything still alive is never destroyed.
        for leftover in (o for o in gc.get_objects() if isinstance(o, AgentCall)):
            keep_forever(leftover)
        if self.account is not None:
            with contextlib.suppress(pj.Error):
                self.account.shutdown()
            self.account = None
        self.endpoint.libDestroy()
        self.endpoint = None

    # -- the agent's commands ------------------------------------------------------------
    def answer(self) -> None:
        """Answer the ringing call (200)."""
        call = self.current
        if call is None or call.answered or call.ended:
            self.listener.info("no call is ringing")
            return
        if call.answer_with(200):
            call.answered = True
        else:
            self.listener.info("the call is gone (the caller gave up)")

    def hang_up(self) -> None:
        """Hang up the call, or decline it while it rings."""
        call = self.current
        if call is None or call.ended:
            self.listener.info("no call to hang up")
            return
        call.local_end = "hangup" if call.answered else "rejected"
        param = pj.CallOpParam(True)
        param.statusCode = 200 if call.answered else REJECT_STATUS
        with contextlib.suppress(pj.Error):
            call.hangup(param)

    def toggle_hold(self) -> None:
        """Put the call on hold (re-INVITE, sendonly) or take it off hold."""
        call = self._connected_call()
        if call is None:
            return
        try:
            if call.held or call.hold_wanted:
                call.hold_wanted = False
                param = pj.CallOpParam(True)
                param.opt.flag = pj.PJSUA_CALL_UNHOLD
                call.reinvite(param)
            else:
                call.hold_wanted = True
                call.setHold(pj.CallOpParam(True))
        except pj.Error as exc:
            self.listener.info(f"hold/resume failed: {exc.reason or exc.info()}")

    def toggle_mute(self) -> None:
        """Stop or start sending the headset's microphone to the call."""
        call = self._connected_call()
        if call is None:
            return
        call.muted = not call.muted
        self._connect_audio(call)
        self.listener.status("MUTED" if call.muted else "UNMUTED")

    def send_dtmf(self, digits: str) -> None:
        """Send ``digits`` as RFC 2833 events (SIP INFO if the other side has none)."""
        call = self._connected_call()
        if call is None:
            return
        try:
            call.dialDtmf(digits)
        except pj.Error:
            param = pj.CallSendDtmfParam()
            param.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
            param.digits = digits
            try:
                call.sendDtmf(param)
            except pj.Error as exc:
                self.listener.info(f"DTMF not sent: {exc.reason or exc.info()}")
                return
            self.listener.info("no RFC 2833 on this call; the digits went as SIP INFO")
        self.listener.status(f"DTMF {digits}")

    def _connected_call(self) -> AgentCall | None:
        call = self.current
        if call is None or not call.connected or call.ended:
            self.listener.info("no call is connected")
            return None
        return call

    # -- messages from callbacks ---------------------------------------------------------
    def _handle(self, message: tuple[Any, ...]) -> None:
        kind, call = message[0], message[1]
        if kind == "incoming":
            self._incoming(call)
        elif kind == "state":
            self._state(call, message[2], message[3])
        elif kind == "media" and call is self.current and not call.ended:
            self._media(call)

    def _incoming(self, call: AgentCall) -> None:
        call.remote = call.remote_uri()
        if self.current is not None:
            self.listener.info(f"second call from {call.remote} refused: busy")
            call.ended = True
            self.refused.append(call)
            call.answer_with(BUSY_STATUS)
            return
        self.current = call
        if not call.answer_with(180):
            return  # cancelled already; the DISCONNECTED message follows
        call.ringing_at = time.monotonic()
        self.listener.status(f"RINGING from={call.remote}")
        if not self.options.auto_answer:
            self.listener.info("press a to answer, h to reject")

    def _state(self, call: AgentCall, state: int, status: int) -> None:
        if state == pj.PJSIP_INV_STATE_CONFIRMED and call is self.current and not call.connected:
            call.connected = True
            call.connected_at = time.monotonic()
            self.listener.status("CONNECTED")
            self._media(call)
        elif state == pj.PJSIP_INV_STATE_DISCONNECTED:
            if call in self.refused:
                self.refused.remove(call)
            elif call is self.current:
                self.current = None
                call.ended = True
                self.listener.status(f"ENDED reason={ended_reason(call, status)} "
                                     f"status={status}")
            self._release(call)

    def _media(self, call: AgentCall) -> None:
        status = call.audio_status()
        if status in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD):
            self._connect_audio(call)
            if call.held:
                call.held = False
                self.listener.status("RESUMED")
        elif status == pj.PJSUA_CALL_MEDIA_LOCAL_HOLD and not call.held:
            call.held = True
            self.listener.status("HELD")

    def _connect_audio(self, call: AgentCall) -> None:
        """Call audio to the headset; the headset to the call unless muted."""
        assert self.endpoint is not None
        audio = call.active_audio()
        if audio is None:
            return
        manager = self.endpoint.audDevManager()
        try:
            audio.startTransmit(manager.getPlaybackDevMedia())
            capture = manager.getCaptureDevMedia()
            if call.muted:
                capture.stopTransmit(audio)
            else:
                capture.startTransmit(audio)
        except pj.Error as exc:
            self.listener.info(f"sound device problem: {exc.reason or exc.info()}")

    def _timers(self, now: float) -> None:
        call = self.current
        if call is None or call.ended:
            return
        if (self.options.auto_answer and not call.answered and call.ringing_at is not None
                and now - call.ringing_at >= self.options.answer_after):
            self.answer()
        if (self.options.hangup_after is not None and call.connected_at is not None
                and call.local_end is None
                and now - call.connected_at >= self.options.hangup_after):
            self.hang_up()

    def _release(self, call: AgentCall) -> None:
        """Let go of a disconnected call's pjsua2 object, on this thread (see
        :func:`~voice.softphone.calls.release`)."""
        release(call, self._library.pjsua_call_get_user_data)


def _uri_host(host: str) -> str:
    """``host`` as it goes in a SIP URI (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
