"""The task queue: Huey on SQLite (no server) or Redis, with the service's tasks by name.

Producers (web and SIP processes) and the consumer (``voice worker``) build the same
:class:`TaskQueue` from settings; tasks are registered on the Huey instance by name, not at
import time, so nothing here is module-level. What a worker does is handed in by its
composition root (:meth:`TaskQueue.serve`).

Tasks: ``voice.transcribe`` (one recording, durable through ``transcription_jobs``), the
periodic ``voice.sweep`` (every minute: re-send jobs whose message was lost or whose worker
died) and ``voice.purge`` (hourly retention purge).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from voice.settings import Settings
from voice.tasks.jobs import TranscriptionJobs

log = logging.getLogger(__name__)

#: longest pause between two looks of an idle worker into a polled queue (SQLite; Redis
#: blocks until a message comes). Huey's default backs off to 10 s, so a recording filed
#: after a quiet minute waited up to ~9 s before its transcription started.
MAX_POLL_S = 1.0


def make_huey(settings: Settings) -> Huey:
    """Redis when ``VOICE_REDIS_URL`` is set, else SQLite at ``<data_dir>/tasks.db``.

    The queue is named after the database, so workers only ever take jobs of the database
    they serve, even when several deployments share one Redis.
    """
    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    name = f"voice-{digest}"
    if settings.redis_url:
        return RedisHuey(name=name, url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name=name, filename=str(settings.data_dir / "tasks.db"), results=False)


class TaskQueue:
    """Queue side for producers; :meth:`serve` makes a consumer for ``voice worker``."""

    def __init__(self, huey: Huey, jobs: TranscriptionJobs,
                 clock: Callable[[], datetime]) -> None:
        self.huey = huey
        self.jobs = jobs
        self.clock = clock
        self._transcribe: Callable[[int], Any] | None = None
        self._purge: Callable[[], Any] | None = None
        self._worker: str | None = None
        self._transcribe_task = huey.task(name="voice.transcribe")(self._run_transcription)
        huey.periodic_task(crontab(minute="*"), name="voice.sweep")(self._run_sweep)
        huey.periodic_task(crontab(minute="17"), name="voice.purge")(self._run_purge)

    def recording_filed(self, recording_id: int) -> None:
        """A recording was filed: queue its transcription (once, however often called)."""
        if self.jobs.add(recording_id, self.clock()):
            self._transcribe_task(recording_id)

    def sweep(self) -> list[int]:
        """Queue recordings filed without a job, and send again what waits too long or was
        left running by a dead (or this, restarted) worker; returns the recording ids sent."""
        now = self.clock()
        due = self.jobs.add_missing(now) + self.jobs.due(now, self._worker)
        for recording_id in due:
            self._transcribe_task(recording_id)
        if due:
            log.info("re-sent %d transcription job(s): %s", len(due), due)
        return due

    def serve(self, *, worker: str, transcribe: Callable[[int], Any] | None,
              purge: Callable[[], Any] | None, threads: int = 1) -> Consumer:
        """A consumer that runs ``transcribe(recording_id)`` (None: this worker has no
        model; transcription jobs wait) and ``purge()`` hourly."""
        self._worker, self._transcribe, self._purge = worker, transcribe, purge
        if transcribe is not None:
            self.sweep()  # reclaim what this worker was running when it died
        return self.huey.create_consumer(workers=threads, worker_type="thread",
                                         periodic=True, check_worker_health=True,
                                         max_delay=MAX_POLL_S)

    def _run_transcription(self, recording_id: int) -> None:
        if self._transcribe is None:
            log.warning("recording %d: no speech model on this worker; the job waits for "
                        "one that has VOICE_VOSK_MODEL set", recording_id)
            return
        self._transcribe(recording_id)

    def _run_sweep(self) -> None:
        if self._transcribe is not None:
            self.sweep()

    def _run_purge(self) -> None:
        if self._purge is not None:
            self._purge()
