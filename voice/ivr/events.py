"""Events: what the outside world tells an IVR session.

Adapters (SIP, Twilio, the simulator) turn their wire messages into these frozen, keyword-only
dataclasses and feed them to ``Session.handle``. Every event carries ``at``, the time it
happened: the engine never reads a clock, so time only ever arrives here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of all events; ``at`` is a timezone-aware datetime."""

    at: datetime


@dataclass(frozen=True, kw_only=True)
class CallStarted(Event):
    """A call reached the flow. ``channel`` is ``sip``, ``twilio`` or ``sim``."""

    call_id: str
    channel: str
    from_number: str
    to_number: str


@dataclass(frozen=True, kw_only=True)
class DigitsReceived(Event):
    """The caller pressed keys (DTMF), including any finish key such as ``#``."""

    digits: str


@dataclass(frozen=True, kw_only=True)
class SpeechRecognized(Event):
    """The caller said something and a recogniser turned it into text."""

    text: str
    confidence: float | None = None


@dataclass(frozen=True, kw_only=True)
class PromptFinished(Event):
    """A prompt finished playing. Informational: the engine never waits for it."""


@dataclass(frozen=True, kw_only=True)
class TimerFired(Event):
    """A timer the engine asked for (``Gather`` timeout or ``StartTimer``) ran out."""

    timer: str


@dataclass(frozen=True, kw_only=True)
class RecordingFinished(Event):
    """A ``Record`` (voicemail) finished; ``recording`` identifies the stored audio."""

    request: str
    recording: str
    duration: float = 0.0


@dataclass(frozen=True, kw_only=True)
class LookupCompleted(Event):
    """The answer to a ``Lookup`` action: ``ok`` with ``data``, or not ok with ``error``."""

    request: str
    ok: bool
    status: int | None = None
    data: Any = None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class VerificationCompleted(Event):
    """The verifier's answer to a ``VerifyCaller`` action.

    ``customer`` holds display fields only (id, first_name, last_name, tier, account);
    ``reason`` says why verification failed (``no-match``, ``locked``, ``unknown``...).
    """

    request: str
    verified: bool
    customer: dict[str, Any] | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class AgentConnected(Event):
    """An agent answered the queued call; the IVR part of the call is over."""

    agent: str


@dataclass(frozen=True, kw_only=True)
class TransferCompleted(Event):
    """The outcome of a ``Transfer``: ``connected`` or not (busy, no answer, failed)."""

    request: str
    connected: bool
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class CallerHungUp(Event):
    """The caller hung up. Legal in every state, also after the call ended."""

    detail: dict[str, Any] = field(default_factory=dict)


EVENT_TYPES: tuple[type[Event], ...] = (
    CallStarted,
    DigitsReceived,
    SpeechRecognized,
    PromptFinished,
    TimerFired,
    RecordingFinished,
    LookupCompleted,
    VerificationCompleted,
    AgentConnected,
    TransferCompleted,
    CallerHungUp,
)
