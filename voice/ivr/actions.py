"""Actions: what an IVR session asks its adapter to do.

``Session.handle`` returns a list of these frozen, keyword-only dataclasses, to be carried out
in order. Adapters translate them to their wire (TwiML verbs, pjsua2 calls, simulator lines);
work with side effects (HTTP lookups, verifying a caller, queueing) is done by services the
adapter was handed. Actions that expect an answer carry a ``request`` id that comes back on the
matching event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Action:
    """Base of all actions."""


@dataclass(frozen=True, kw_only=True)
class Say(Action):
    """Speak ``text`` (already rendered) with text-to-speech."""

    text: str
    language: str
    voice: str | None = None


@dataclass(frozen=True, kw_only=True)
class Play(Action):
    """Play a prompt audio file named by the flow (relative to the flows folder)."""

    audio: str


@dataclass(frozen=True, kw_only=True)
class Gather(Action):
    """Play ``prompts`` (interruptible) and collect keys and/or speech.

    No input within ``timeout`` seconds must come back as ``TimerFired(timer=request)``.
    ``input`` is ``dtmf``, ``speech`` or ``dtmf speech``. ``sensitive`` means the digits
    must not be logged, stored or recorded by the adapter.
    """

    request: str
    prompts: tuple[Say | Play, ...]
    input: str = "dtmf"
    min_digits: int = 1
    max_digits: int = 1
    finish_on: str | None = None
    timeout: int = 5
    hints: tuple[str, ...] = ()
    language: str = "en-US"
    sensitive: bool = False


@dataclass(frozen=True, kw_only=True)
class StartRecording(Action):
    """Start the two-channel call recording."""


@dataclass(frozen=True, kw_only=True)
class PauseRecording(Action):
    """Pause the call recording (sensitive input follows)."""


@dataclass(frozen=True, kw_only=True)
class ResumeRecording(Action):
    """Resume the call recording after sensitive input."""


@dataclass(frozen=True, kw_only=True)
class Record(Action):
    """Record a message (voicemail); answer with ``RecordingFinished``."""

    request: str
    max_length: int = 120
    beep: bool = True
    finish_on: str = "#"


@dataclass(frozen=True, kw_only=True)
class Lookup(Action):
    """An HTTP request (CRM lookup); answer with ``LookupCompleted``."""

    request: str
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    timeout: float = 5.0


@dataclass(frozen=True, kw_only=True)
class VerifyCaller(Action):
    """Ask the verifier to check the caller; answer with ``VerificationCompleted``.

    This is the only action that carries a secret (``secret`` = PIN, ``answers`` =
    knowledge answers): the verifier is the one consumer that needs them.
    """

    request: str
    method: str
    caller_id: str
    account: str | None = None
    customer_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    answers: dict[str, str] | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True)
class Enqueue(Action):
    """Put the caller in an ACD queue; an agent answers with ``AgentConnected``."""

    queue: str
    priority: int = 0
    skills: tuple[str, ...] = ()
    announce_position: bool = True
    max_wait: int | None = None
    callback: bool = False
    music: str | None = None


@dataclass(frozen=True, kw_only=True)
class RequestCallback(Action):
    """The queued caller asked to be called back at ``number``; they keep their place."""

    queue: str
    number: str


@dataclass(frozen=True, kw_only=True)
class Dequeue(Action):
    """Take the caller out of ``queue`` (``reason``: timeout, abandoned)."""

    queue: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Transfer(Action):
    """Connect the caller to an outside number or SIP URI; answer with TransferCompleted."""

    request: str
    to: str
    timeout: int = 30


@dataclass(frozen=True, kw_only=True)
class EmitEvent(Action):
    """Publish a business event (e.g. for webhooks); ``data`` never holds secrets."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class StartTimer(Action):
    """Start a timer; when it runs out, send ``TimerFired(timer=timer)``."""

    timer: str
    seconds: float


@dataclass(frozen=True, kw_only=True)
class CancelTimer(Action):
    """Cancel a timer started with ``StartTimer``; a late ``TimerFired`` is ignored anyway."""

    timer: str


@dataclass(frozen=True, kw_only=True)
class HangUp(Action):
    """End the call. ``reason`` says why (flow, error, transfer-failed...)."""

    reason: str = "flow"
