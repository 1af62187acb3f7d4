"""Everything the QA call page shows about one call, on one time axis.

Owns :func:`load_call_view`: the call's facts (channel, numbers, flow and version, outcome,
queue stays with their wait and agent, the authentication result and each verification
attempt, the agents' dispositions and notes), its recordings and the one being played, that
recording's transcript, and the IVR path as marks in seconds into that recording, so the
player, the transcript and the path share one axis.

Time axis: a whole-call recording starts when the call started (``calls.started_at``, the
rule :mod:`voice.transcripts.tagging` uses to place segments); a voicemail starts at the
call's ``record`` visit. Visits marked ``sensitive`` in the path (PIN or card entry, during
which the engine pauses the recording: :meth:`voice.ivr.turn.Turn.pause_recording`) are the
spans shown as "paused (sensitive input)".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from voice.calls.records import CallRecord, PathStep
from voice.calls.repository import CallRepository
from voice.qa.errors import QaCallNotFoundError, QaRecordingNotFoundError
from voice.recordings.errors import UnsafeRecordingPathError
from voice.recordings.records import RecordingInfo, TranscriptInfo
from voice.recordings.service import RecordingService
from voice.store.models import Agent, AuthAttempt, CallDisposition, QueueEntry

SENSITIVE_LABEL = "paused (sensitive input)"


@dataclass(frozen=True)
class PathMark:
    """One IVR path visit placed on the recording's axis (seconds; may start before 0)."""

    seq: int
    node: str
    type: str
    outcome: str | None
    input: str | None
    at: datetime
    start_s: float
    end_s: float
    sensitive: bool

    def as_json(self) -> dict[str, Any]:
        """The JSON shape the player draws."""
        return {"seq": self.seq, "node": self.node, "type": self.type,
                "outcome": self.outcome, "start": round(self.start_s, 2),
                "end": round(self.end_s, 2), "sensitive": self.sensitive}


@dataclass(frozen=True)
class QueueStay:
    """One stay in an ACD queue: how long the caller waited and who answered."""

    queue: str
    enqueued_at: datetime
    wait_s: float | None
    outcome: str | None
    agent: str | None
    estimated_wait_s: float | None
    answered_at: datetime | None = None


@dataclass(frozen=True)
class AuthCheck:
    """One verification attempt of the call (never the secret; the account masked)."""

    at: datetime
    method: str
    outcome: str
    reason: str | None
    account: str | None


@dataclass(frozen=True)
class DispositionNote:
    """What an agent wrote after the call."""

    disposition: str
    note: str
    agent: str | None
    created_at: datetime


@dataclass(frozen=True)
class CallView:
    """The call page's content (see module docstring)."""

    call: CallRecord
    recordings: list[RecordingInfo]
    recording: RecordingInfo | None
    audio_available: bool
    offset: datetime
    path: list[PathMark]
    transcript: TranscriptInfo | None
    queue_stays: list[QueueStay] = field(default_factory=list)
    auth_checks: list[AuthCheck] = field(default_factory=list)
    dispositions: list[DispositionNote] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """Length of the time axis: the recording's, else the call's."""
        if self.recording is not None:
            return self.recording.duration_s
        end = self.call.ended_at or self.offset
        return max(0.0, (end - self.call.started_at).total_seconds())

    @property
    def auth(self) -> dict[str, Any] | None:
        """The caller's authentication result (the path's last ``authenticate`` visit)."""
        return self.call.auth

    @property
    def agents(self) -> list[str]:
        """Agents who answered the call, in order, without repeats."""
        names = [stay.agent for stay in self.queue_stays if stay.agent]
        if self.recording is not None and self.recording.agent:
            names.append(self.recording.agent)
        return list(dict.fromkeys(names))

    def player_data(self, audio_url: str | None, peaks_url: str | None) -> dict[str, Any]:
        """What ``qa_player.js`` needs: audio and peaks URLs (None: no audio), the axis
        length, transcript segments, path marks and the sensitive spans."""
        segments = self.transcript.segments if self.transcript is not None else ()
        return {
            "call_id": self.call.id,
            "recording_id": self.recording.id if self.recording is not None else None,
            "audio_url": audio_url if self.audio_available else None,
            "peaks_url": peaks_url if self.audio_available else None,
            "duration": round(self.duration_s, 2),
            "segments": [{"start": s.start_s, "end": s.end_s, "speaker": s.speaker}
                         for s in segments],
            "path": [mark.as_json() for mark in self.path],
            "sensitive_label": SENSITIVE_LABEL,
        }


def load_call_view(session_factory: sessionmaker[Session], recordings: RecordingService,
                   call_id: str, recording: str | None = None) -> CallView:
    """The call page of ``call_id``, playing ``recording`` (an id, as typed in the URL) or
    else its whole-call recording, else its first.

    Raises :class:`QaCallNotFoundError` and :class:`QaRecordingNotFoundError`.
    """
    call = CallRepository(session_factory).get(call_id)
    if call is None:
        raise QaCallNotFoundError(call_id)
    found = recordings.repository.list_for_call(call_id)
    chosen = _choose(found, call_id, recording)
    offset = _offset(call, chosen)
    transcript = recordings.repository.transcript(chosen.id) if chosen is not None else None
    with session_factory() as session:
        stays, notes = _queue_stays(session, call_id), _dispositions(session, call_id)
        checks = _auth_checks(session, call_id)
    return CallView(call=call, recordings=found, recording=chosen,
                    audio_available=chosen is not None and _has_file(recordings, chosen),
                    offset=offset, path=_with_talk(_marks(call, offset, chosen), stays, offset,
                                    chosen.agent if chosen is not None else None),
                    transcript=transcript, queue_stays=stays, auth_checks=checks,
                    dispositions=notes)


def _choose(found: list[RecordingInfo], call_id: str,
            wanted: str | None) -> RecordingInfo | None:
    if wanted:
        for info in found:
            if str(info.id) == wanted:
                return info
        raise QaRecordingNotFoundError(call_id, wanted)
    whole = [info for info in found if info.kind == "call"]
    return (whole or found or [None])[0]


def _offset(call: CallRecord, recording: RecordingInfo | None) -> datetime:
    """When second 0 of the recording happened (see module docstring)."""
    if recording is not None and recording.kind == "voicemail":
        visits = [step.at for step in call.path if step.type == "record"]
        if visits:
            return visits[-1]
    return call.started_at


def _marks(call: CallRecord, offset: datetime, recording: RecordingInfo | None) -> list[PathMark]:
    """The path's visits as marks: each lasts until the next visit, the last until the call
    ended (or the recording's end)."""
    steps: list[PathStep] = call.path
    if call.ended_at is not None:
        end_of_call = (call.ended_at - offset).total_seconds()
    elif recording is not None:
        end_of_call = recording.duration_s
    else:
        end_of_call = None
    marks = []
    for index, step in enumerate(steps):
        start = (step.at - offset).total_seconds()
        if index + 1 < len(steps):
            end = (steps[index + 1].at - offset).total_seconds()
        else:
            end = end_of_call if end_of_call is not None else start
        detail = step.detail or {}
        marks.append(PathMark(step.seq, step.node, step.type, step.outcome, step.input,
                              step.at, start, max(start, end), bool(detail.get("sensitive"))))
    return marks


def _with_talk(marks: list[PathMark], stays: list[QueueStay], offset: datetime,
               recorded_agent: str | None) -> list[PathMark]:
    """The marks with each answered queue stay's conversation as its own mark (type
    ``agent``, named after the agent, else the recording's agent): the queue visit then
    ends when the agent answered."""
    result = list(marks)
    for stay in stays:
        if stay.answered_at is None:
            continue
        answered = (stay.answered_at - offset).total_seconds()
        for index, mark in enumerate(result):
            if mark.type == "queue" and mark.start_s <= answered < mark.end_s:
                talk = PathMark(mark.seq, stay.agent or recorded_agent or "agent", "agent",
                                "talk", None, stay.answered_at, answered, mark.end_s, False)
                result[index] = replace(mark, end_s=answered)
                result.insert(index + 1, talk)
                break
    return result


def _has_file(recordings: RecordingService, info: RecordingInfo) -> bool:
    """Whether the recording's audio file is there (and its path is safe to serve)."""
    try:
        return recordings.file_of(info, must_exist=False).is_file()
    except UnsafeRecordingPathError:
        return False


def _agent_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Agent.id, Agent.name).where(Agent.id.in_(ids))).all())


def _queue_stays(session: Session, call_id: str) -> list[QueueStay]:
    rows = session.scalars(select(QueueEntry).where(QueueEntry.call_id == call_id)
                           .order_by(QueueEntry.enqueued_at, QueueEntry.id)).all()
    names = _agent_names(session, {r.agent_id for r in rows if r.agent_id is not None})
    stays = []
    for row in rows:
        left = row.answered_at or row.ended_at
        stays.append(QueueStay(
            queue=row.queue, enqueued_at=row.enqueued_at,
            wait_s=(left - row.enqueued_at).total_seconds() if left is not None else None,
            outcome=row.outcome or row.status,
            agent=names.get(row.agent_id) if row.agent_id is not None else None,
            estimated_wait_s=row.estimated_wait, answered_at=row.answered_at))
    return stays


def _dispositions(session: Session, call_id: str) -> list[DispositionNote]:
    rows = session.scalars(select(CallDisposition).where(CallDisposition.call_id == call_id)
                           .order_by(CallDisposition.created_at, CallDisposition.id)).all()
    names = _agent_names(session, {r.agent_id for r in rows if r.agent_id is not None})
    return [DispositionNote(r.disposition, r.note,
                            names.get(r.agent_id) if r.agent_id is not None else None,
                            r.created_at) for r in rows]


def _auth_checks(session: Session, call_id: str) -> list[AuthCheck]:
    rows = session.scalars(select(AuthAttempt).where(AuthAttempt.call_id == call_id)
                           .order_by(AuthAttempt.at, AuthAttempt.id)).all()
    return [AuthCheck(r.at, r.method, r.outcome, r.reason, r.account_masked) for r in rows]
