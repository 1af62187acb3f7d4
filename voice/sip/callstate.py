"""What a media worker keeps about each caller while the call lasts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voice.sip.conversation import Conversation, EventFactory
from voice.sip.leg import CallerLeg, LegMedia
from voice.sip.recorder import CallRecorder


@dataclass
class WorkerCall:
    """One caller on this worker: its leg, conversation, recorder and service queue."""

    key: str  # SIP Call-ID
    leg: CallerLeg
    conversation: Conversation
    recorder: CallRecorder
    from_number: str
    to_number: str
    allow_refer: bool
    media: LegMedia | None = None
    answered: bool = False  # 200 OK sent
    started: bool = False  # the call service started the session
    pending_plans: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[tuple[EventFactory, str]] = field(default_factory=list)
    busy: bool = False
    dead: bool = False
    flow_id: str | None = None
    transfer: tuple[str, int] | None = None  # REFER sent: (target, timeout) for a fallback
    outbound: CallerLeg | None = None  # bridged transfer leg
    outbound_deadline: float | None = None
    bridged: bool = False
    agent: Any = None  # the agent's leg while one rings or talks (voice.sip.agents.AgentLeg)
    polling: bool = False  # a look at the queue placement is under way
    next_poll: float = 0.0
    invited_at: float = 0.0  # monotonic times for the timing log (bench/sip_load.py)
    answered_at: float | None = None
    key_at: float | None = None


class DeferredMedia:
    """The conversation's media until the leg's audio is up (then the real LegMedia)."""

    def __init__(self, call: WorkerCall) -> None:
        self._call = call

    def __getattr__(self, name: str) -> Any:
        media = self._call.media
        if media is None:
            raise RuntimeError(f"call {self._call.key}: media used before it was up")
        return getattr(media, name)


