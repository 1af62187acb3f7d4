"""One SIP caller's IVR conversation: carries out media plans and turns media into events.

This is the translation half of the SIP adapter, kept free of pjsua2 so its rules can be
tested on their own: the worker feeds it what happened on the call leg (a key, a prompt that
finished, a speech result, the clock, a hang-up) and it tells the leg what to do through the
small :class:`Media` interface, and the call service what happened through ``submit`` (an
engine event, built when the service is ready for it).

Gather rules (the same as Twilio's ``<Gather>``): prompts play and can be interrupted by the
first key (barge-in); the no-input ``timeout`` starts when the prompts end and restarts after
every key (inter-digit timeout); the entry is complete on the finish key, on ``max`` digits or
at the timeout with at least one digit; no input at all becomes ``TimerFired(request)``.
Digits of a ``sensitive`` gather are never logged.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from voice.ivr import events as ev

log = logging.getLogger(__name__)

EventFactory = Callable[[datetime], "ev.Event | None"]
HOLD_ANNOUNCE_EVERY = timedelta(seconds=45)


class Media(Protocol):
    """What a conversation asks of its call leg."""

    def play(self, files: list[str], *, loop: bool = False) -> None:
        """Play files in order (replacing what plays); ``playback_done`` follows unless looping."""

    def stop_playback(self) -> None:
        """Stop what plays now (no ``playback_done``)."""

    def recording(self, action: str) -> None:
        """Whole-call recording: ``start``, ``pause`` or ``resume``."""

    def listen(self, phrases: list[str], language: str) -> bool:
        """Start speech recognition for ``phrases``; False when speech is not available."""

    def stop_listening(self) -> None:
        """Stop speech recognition."""

    def start_message(self, request: str) -> None:
        """Start recording a voicemail message from the caller."""

    def stop_message(self) -> tuple[str, float]:
        """Stop the voicemail recording; return (recording reference, seconds)."""

    def transfer(self, to: str, timeout: int) -> None:
        """Transfer the caller; ``transfer_done`` follows."""

    def hang_up(self, reason: str) -> None:
        """End the call."""


class Conversation:
    """Runs plans on a call leg (see module docstring)."""

    def __init__(self, call_id: str, media: Media,
                 submit: Callable[[EventFactory, str], None]) -> None:
        self.call_id = call_id
        self.media = media
        self._submit = submit
        self._steps: deque[dict[str, Any]] = deque()
        self._step: dict[str, Any] | None = None
        self._waiting_playback = False
        self._timers: dict[str, datetime] = {}
        self._deadline: datetime | None = None
        self._digits = ""
        self._hold_next: datetime | None = None
        self._seq = 0
        self.ended = False
        self.hung_up = False

    # -- from the call service ------------------------------------------------------------
    def apply(self, plan: dict[str, Any], now: datetime) -> None:
        """Carry out a plan the call service rendered."""
        if self.hung_up:
            return
        self._timers = {name: datetime.fromisoformat(at)
                        for name, at in plan.get("timers", {}).items()}
        if plan.get("steps"):
            if self._step is not None and self._step["op"] == "hold":
                self.media.stop_playback()  # new instructions end the hold music
                self._step = None
            self._steps.extend(plan["steps"])
        if plan.get("ended"):
            self.ended = True
        if self._step is None:
            self._next(now)

    # -- from the call leg ----------------------------------------------------------------
    def playback_done(self, now: datetime) -> None:
        """The files given to ``play`` finished."""
        if not self._waiting_playback or self._step is None:
            return
        self._waiting_playback = False
        op = self._step["op"]
        if op == "play":
            self._step = None
            self._next(now)
        elif op == "gather":
            self._deadline = now + timedelta(seconds=self._step["timeout"])
        elif op == "voicemail":
            self.media.start_message(self._step["request"])
            self._deadline = now + timedelta(seconds=self._step["max_length"])
        elif op == "hold":
            self.media.play([self._step["music"]], loop=True)

    def digit(self, key: str, now: datetime) -> None:
        """The caller pressed ``key`` (RFC 2833 or SIP INFO)."""
        step = self._step
        if step is None:
            return
        if step["op"] == "gather" and step["dtmf"]:
            if self._waiting_playback:
                self.media.stop_playback()  # barge-in
                self._waiting_playback = False
            self._digits += key
            finish = step.get("finish_on")
            if (finish and key == finish) or len(self._digits) >= step["max"]:
                self._complete_gather(digits=self._digits)
            else:
                self._deadline = now + timedelta(seconds=step["timeout"])
        elif (step["op"] == "voicemail" and not self._waiting_playback
              and key == step.get("finish_on")):
            self._finish_message()
        elif step["op"] == "hold" and step.get("callback"):
            self._send(lambda at: ev.DigitsReceived(at=at, digits=key), "hold-key")

    def speech(self, text: str, confidence: float | None, now: datetime) -> None:
        """The recogniser heard ``text`` while a speech gather was open."""
        step = self._step
        if step is None or step["op"] != "gather" or not step["speech"] or self._digits:
            return
        if self._waiting_playback:
            self.media.stop_playback()
            self._waiting_playback = False
        self._complete_gather(speech=(text, confidence))

    def transfer_done(self, connected: bool, reason: str | None, now: datetime) -> None:
        """The transfer ended: connected elsewhere, or not (busy, no answer, refused)."""
        step = self._step
        if step is None or step["op"] != "transfer":
            return
        self._step = None
        request = step["request"]
        self._send(lambda at: ev.TransferCompleted(at=at, request=request, connected=connected,
                                                   reason=reason), f"xfer:{request}")

    @property
    def holding_queue(self) -> str | None:
        """The queue the caller holds in now (music and announcements), else None."""
        step = self._step
        return str(step["queue"]) if step is not None and step["op"] == "hold" else None

    def agent_connected(self) -> None:
        """An agent answered: the hold (music, announcements, callback key) is over."""
        if self._step is not None and self._step["op"] == "hold":
            self._step = None
            self._hold_next = None

    def tick(self, now: datetime) -> None:
        """Time passes: gather and voicemail deadlines, engine timers, hold announcements."""
        if self.hung_up:
            return
        if self._deadline is not None and now >= self._deadline:
            self._deadline = None
            if self._step is not None and self._step["op"] == "gather":
                self._complete_gather(digits=self._digits)
            elif self._step is not None and self._step["op"] == "voicemail":
                self._finish_message()
        for name, at in list(self._timers.items()):
            if now >= at:
                del self._timers[name]
                self._send(lambda when, name=name: ev.TimerFired(at=when, timer=name),
                           f"timer:{name}")
        if (self._step is not None and self._step["op"] == "hold" and self._step["announce"]
                and self._hold_next is not None and now >= self._hold_next):
            self._hold_next = now + HOLD_ANNOUNCE_EVERY
            self._submit(lambda _at: None, f"hold:{self._bump()}")

    def caller_hung_up(self, now: datetime) -> None:
        """The caller hung up: stop everything and tell the flow."""
        if self.hung_up:
            return
        self.hung_up = True
        step = self._step
        if step is not None and step["op"] == "voicemail" and not self._waiting_playback:
            self._finish_message()
        if step is not None and step["op"] == "gather":
            self.media.stop_listening()
        self._steps.clear()
        self._step = None
        self._deadline = None
        self._send(lambda at: ev.CallerHungUp(at=at), "hangup")

    # -- internals ------------------------------------------------------------------------
    def _next(self, now: datetime) -> None:
        while self._step is None and self._steps:
            step = self._steps.popleft()
            op = step["op"]
            self._step = step
            if op == "play":
                self._play(step["files"], now)
            elif op == "gather":
                self._digits = ""
                self._deadline = None
                if step["speech"] and not self.media.listen(step["hints"], step["language"]):
                    log.info("call %s: no speech model; the menu takes keys only", self.call_id)
                self._play(step["files"], now)
            elif op == "record":
                self.media.recording(step["action"])
                self._step = None
            elif op == "voicemail":
                self._play(step["files"], now)
            elif op == "hold":
                self._hold_next = now + HOLD_ANNOUNCE_EVERY
                self._play(step["files"], now)
            elif op == "transfer":
                self.media.transfer(step["to"], step["timeout"])
            elif op == "hangup":
                self._steps.clear()
                self.media.hang_up(step["reason"])
            else:
                log.error("call %s: unknown plan step %r skipped", self.call_id, op)
                self._step = None

    def _play(self, files: list[str], now: datetime) -> None:
        self._waiting_playback = True
        if files:
            self.media.play(files)
        else:
            self.playback_done(now)

    def _complete_gather(self, *, digits: str = "",
                         speech: tuple[str, float | None] | None = None) -> None:
        step = self._step
        assert step is not None
        self._step = None
        self._deadline = None
        if step["speech"]:
            self.media.stop_listening()
        request = step["request"]
        if speech is not None:
            text, confidence = speech
            self._send(lambda at: ev.SpeechRecognized(at=at, text=text, confidence=confidence),
                       f"speech:{request}")
        elif digits:
            if not step["sensitive"]:
                log.debug("call %s: digits %s for %s", self.call_id, digits, request)
            self._send(lambda at: ev.DigitsReceived(at=at, digits=digits), f"digits:{request}")
        else:
            self._send(lambda at: ev.TimerFired(at=at, timer=request), f"noinput:{request}")

    def _finish_message(self) -> None:
        step = self._step
        assert step is not None
        self._step = None
        self._deadline = None
        reference, seconds = self.media.stop_message()
        request = step["request"]
        self._send(lambda at: ev.RecordingFinished(at=at, request=request, recording=reference,
                                                   duration=seconds), f"message:{request}")

    def _send(self, factory: EventFactory, label: str) -> None:
        self._submit(factory, f"{label}:{self._bump()}")

    def _bump(self) -> int:
        self._seq += 1
        return self._seq
