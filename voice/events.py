"""The service's events into the webhook outbox: calls, the ACD, recordings, transcripts.

:class:`OutboxEvents` is handed to the writers whose state changes integrators hear about:
the call log (``call.started``, ``call.ended``), the distributor and hand-off
(``call.offered`` — the screen pop —, ``call.answered``), the recordings store
(``recording.ready``) and the transcripts store (``transcript.ready``). Each writer calls it
*inside* its own transaction, so the event exists exactly when the change does (the outbox
pattern), and hands the returned delivery ids to :meth:`OutboxEvents.committed` after the
commit, which sends them at once (``TaskQueue.webhook_queued``); the worker retries what
fails. Payloads carry links and facts, never audio, transcript text or secrets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voice.acd.screenpop import call_payload
from voice.store.models import Agent, QueueEntry, Recording, Transcript, TranscriptSegment


class OutboxLike(Protocol):
    """The webhook outbox (``webhooks.outbox.Outbox``) as the writers use it."""

    def add(self, session: Session, event_type: str, data: dict[str, Any], *,
            call_id: str | None = None, queue: str | None = None,
            now: datetime) -> list[int]:
        """Add one delivery per matching endpoint inside ``session``; their ids."""


class OutboxEvents:
    """Writes events into the outbox in the writer's transaction; sends them after commit."""

    def __init__(self, outbox: OutboxLike, send: Callable[[list[int]], object],
                 public_url: str) -> None:
        self.outbox = outbox
        self.send = send
        self.public_url = public_url.rstrip("/")

    # -- the ACD (voice.acd.distributor.AcdEvents) ----------------------------------------
    def emit(self, session: Session, event_type: str, entry: QueueEntry, agent: Agent | None,
             now: datetime) -> list[int]:
        """``call.offered``/``call.answered`` for ``entry``, with the screen-pop payload."""
        session.flush()
        data = call_payload(session, entry, agent, now)
        return self.outbox.add(session, event_type, data, call_id=entry.call_id,
                               queue=entry.queue, now=now)

    # -- the call log (voice.calls.repository.CallEventSink) ------------------------------
    def call_event(self, session: Session, event_type: str, call_id: str,
                   now: datetime) -> list[int]:
        """``call.started``/``call.ended`` for ``call_id``."""
        data = call_payload(session, None, None, now, call_id=call_id)
        queue = (data.get("queue") or {}).get("name")
        return self.outbox.add(session, event_type, data, call_id=call_id, queue=queue, now=now)

    # -- recordings and transcripts -------------------------------------------------------
    def recording_ready(self, session: Session, recording: Recording,
                        now: datetime) -> list[int]:
        """``recording.ready``: a call's audio (or a voicemail) was filed."""
        session.flush()
        data = {"recording_id": recording.id, "call_id": recording.call_id,
                "kind": recording.kind, "channels": recording.channels,
                "duration_s": round(recording.duration_s, 2), "flow_id": recording.flow_id,
                "queue": recording.queue, "agent": recording.agent,
                "created_at": recording.created_at.isoformat(),
                "url": f"{self.public_url}/api/recordings/{recording.id}",
                "audio_url": f"{self.public_url}/api/recordings/{recording.id}/audio"}
        return self.outbox.add(session, "recording.ready", data, call_id=recording.call_id,
                               queue=recording.queue, now=now)

    def transcript_ready(self, session: Session, recording_id: int, now: datetime,
                         model: str) -> list[int]:
        """``transcript.ready``: a recording's transcript was stored (or replaced)."""
        session.flush()
        recording = session.get(Recording, recording_id)
        if recording is None:
            return []
        segments = session.scalar(
            select(func.count()).select_from(TranscriptSegment)
            .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
            .where(Transcript.recording_id == recording_id)) or 0
        data = {"recording_id": recording_id, "call_id": recording.call_id, "model": model,
                "segments": int(segments),
                "url": f"{self.public_url}/api/recordings/{recording_id}",
                "search_url": f"{self.public_url}/api/transcripts"}
        return self.outbox.add(session, "transcript.ready", data, call_id=recording.call_id,
                               queue=recording.queue, now=now)

    def committed(self, ids: list[int]) -> None:
        """The transaction holding ``ids`` committed: send them."""
        if ids:
            self.send(ids)
