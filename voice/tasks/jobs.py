"""The durable state of transcription jobs (``transcription_jobs``).

The task queue only carries recording ids; this table is the truth. A job is *queued* when
its recording is filed (or by the sweep, for a recording filed by a process that died
before queuing it), *running* once a worker claimed it (with a lease), then *done* or
*failed*. A worker that dies mid-job leaves its job running with a lease that runs out, or
which the same worker name reclaims at once when it starts again, so the job is redone;
finishing replaces the recording's transcript in one transaction, so it is never stored
twice. Claiming is a single conditional UPDATE, so two workers never run one job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from voice.store.models import Recording, TranscriptionJob

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class JobView:
    """One job as shown by ``voice worker --status`` and tests."""

    recording_id: int
    state: str
    attempts: int
    worker: str | None
    last_error: str | None
    queued_at: datetime
    finished_at: datetime | None


class TranscriptionJobs:
    """Reads and moves transcription jobs through their states."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def add(self, recording_id: int, now: datetime) -> bool:
        """Queue a job for a recording; False if it has one already (idempotent)."""
        try:
            with self._sessions.begin() as session:
                session.add(TranscriptionJob(recording_id=recording_id, state="queued",
                                             attempts=0, queued_at=now))
        except IntegrityError:
            return False
        return True

    def claim(self, recording_id: int, worker: str, now: datetime,
              lease: timedelta) -> bool:
        """Take the job if it is queued, or running with a lapsed lease or on this worker
        (restarted). True: this worker runs it now."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(TranscriptionJob)
                .where(TranscriptionJob.recording_id == recording_id,
                       TranscriptionJob.attempts < MAX_ATTEMPTS,
                       or_(TranscriptionJob.state == "queued",
                           (TranscriptionJob.state == "running")
                           & ((TranscriptionJob.lease_until < now)
                              | (TranscriptionJob.worker == worker))))
                .values(state="running", worker=worker, lease_until=now + lease,
                        started_at=now, attempts=TranscriptionJob.attempts + 1))
            return bool(result.rowcount)

    def finish(self, recording_id: int, now: datetime, session: Session | None = None) -> None:
        """Mark done (inside the caller's transaction when ``session`` is given)."""
        statement = (update(TranscriptionJob)
                     .where(TranscriptionJob.recording_id == recording_id)
                     .values(state="done", finished_at=now, lease_until=None, last_error=None))
        if session is not None:
            session.execute(statement)
            return
        with self._sessions.begin() as own:
            own.execute(statement)

    def fail(self, recording_id: int, error: str, now: datetime) -> str:
        """Record an error: queued again while attempts remain, else failed. Returns the
        new state."""
        with self._sessions.begin() as session:
            job = session.scalars(select(TranscriptionJob).where(
                TranscriptionJob.recording_id == recording_id)).one_or_none()
            if job is None:
                return "missing"
            job.state = "queued" if job.attempts < MAX_ATTEMPTS else "failed"
            job.last_error = error[:2000]
            job.lease_until = None
            job.finished_at = now if job.state == "failed" else None
            return job.state

    def due(self, now: datetime, worker: str | None = None,
            older_than: timedelta = timedelta(seconds=30)) -> list[int]:
        """Recordings whose job should be (re)sent to the queue: queued for a while (the
        message was lost), running with a lapsed lease, or running on ``worker`` (which has
        just restarted)."""
        lapsed = (TranscriptionJob.state == "running") & (TranscriptionJob.lease_until < now)
        mine = (TranscriptionJob.state == "running") & (TranscriptionJob.worker == worker)
        waiting = (TranscriptionJob.state == "queued") & \
            (TranscriptionJob.queued_at < now - older_than)
        with self._sessions() as session:
            return list(session.scalars(
                select(TranscriptionJob.recording_id)
                .where(TranscriptionJob.attempts < MAX_ATTEMPTS,
                       or_(lapsed, waiting, mine) if worker else or_(lapsed, waiting))
                .order_by(TranscriptionJob.id)))

    def add_missing(self, now: datetime, older_than: timedelta = timedelta(seconds=30)
                    ) -> list[int]:
        """Queue jobs for recordings filed without one (the process filing them died between
        the two writes); returns their ids."""
        with self._sessions() as session:
            missing = list(session.scalars(
                select(Recording.id)
                .outerjoin(TranscriptionJob, TranscriptionJob.recording_id == Recording.id)
                .where(TranscriptionJob.id.is_(None), Recording.created_at < now - older_than)
                .order_by(Recording.id)))
        return [recording_id for recording_id in missing if self.add(recording_id, now)]

    def get(self, recording_id: int) -> JobView | None:
        """One job, if the recording has one."""
        with self._sessions() as session:
            job = session.scalars(select(TranscriptionJob).where(
                TranscriptionJob.recording_id == recording_id)).one_or_none()
            if job is None:
                return None
            return JobView(job.recording_id, job.state, job.attempts, job.worker,
                           job.last_error, job.queued_at, job.finished_at)
