"""The task queue: Huey on SQLite (no server) or Redis, with the service's tasks by name.

Producers (web and SIP processes) and the consumer (``voice worker``) build the same
:class:`TaskQueue` from settings; tasks are registered on the Huey instance by name, not at
import time, so nothing here is module-level. What a worker does is handed in by its
composition root (:meth:`TaskQueue.serve`).

Tasks: ``voice.transcribe`` (one recording, durable through ``transcription_jobs``),
``voice.deliver`` (one attempt of one webhook delivery, durable through
``webhook_deliveries``), the periodic ``voice.sweep`` (every minute: re-send transcription
jobs whose message was lost or whose worker died, and webhook deliveries that are due) and
``voice.purge`` (hourly retention purge) and ``voice.reconcile`` (every minute: the ACD's
repair of agent states that outlived their calls, see ``voice.acd.reconcile``).

Webhooks: producers call :meth:`TaskQueue.webhook_queued` after their transaction commits.
With a :class:`~webhooks.sender.WebhookSender` (every process built by ``voice.compose``
has one) the first attempt is made at once in this process; a failed attempt is retried by
a ``voice.deliver`` message scheduled (``schedule(delay=...)``) for the delivery's next
attempt time. The row stays the truth: a lost message or a dead process only delays the
delivery until the next sweep, and a worker restarted under the same name takes back the
deliveries it was sending at once. Every worker runs deliveries, with or without a model.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from voice.settings import Settings
from voice.tasks.jobs import TranscriptionJobs

if TYPE_CHECKING:
    from webhooks.delivery import Deliverer, DeliveryOutcome
    from webhooks.sender import WebhookSender

log = logging.getLogger(__name__)

#: longest pause between two looks of an idle worker into a polled queue (SQLite; Redis
#: blocks until a message comes). Huey's default backs off to 10 s, so a recording filed
#: after a quiet minute waited up to ~9 s before its transcription started.
MAX_POLL_S = 1.0
#: the periodic sweep leaves deliveries due less than this long to their scheduled message
SWEEP_GRACE = timedelta(seconds=10)


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
                 clock: Callable[[], datetime], *, deliverer: Deliverer | None = None,
                 sender: WebhookSender | None = None) -> None:
        self.huey = huey
        self.jobs = jobs
        self.clock = clock
        #: sends webhook deliveries (None: this queue carries no webhooks)
        self.deliverer = deliverer
        #: the fast path for :meth:`webhook_queued` (None: every attempt goes through Huey)
        self.sender = sender
        self._transcribe: Callable[[int], Any] | None = None
        self._purge: Callable[[], Any] | None = None
        #: the ACD's reconciliation, run every minute by a consumer (set by compose)
        self.reconcile: Callable[[], Any] | None = None
        self._worker: str | None = None
        self._transcribe_task = huey.task(name="voice.transcribe")(self._run_transcription)
        self._deliver_task = huey.task(name="voice.deliver")(self._run_delivery)
        huey.periodic_task(crontab(minute="*"), name="voice.sweep")(self._run_sweep)
        huey.periodic_task(crontab(minute="17"), name="voice.purge")(self._run_purge)
        huey.periodic_task(crontab(minute="*"), name="voice.reconcile")(self._run_reconcile)

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

    def webhook_queued(self, ids: Iterable[int]) -> None:
        """Deliveries were committed (``webhooks.outbox.Outbox.add``): send them now on the
        fast path, else queue one ``voice.deliver`` each. Never raises for a queue or
        database problem: the rows are stored and the sweep sends them."""
        ids = list(ids)
        if not ids:
            return
        if self.sender is not None and self.sender.submit(ids, self.webhook_attempted):
            return
        for delivery_id in ids:  # no fast path here (or it is closing): through Huey
            self.deliver_later(delivery_id)

    def webhook_attempted(self, outcome: DeliveryOutcome) -> None:
        """After an attempt: schedule the retry of a delivery that is pending again."""
        if outcome.status == "pending" and outcome.next_attempt_at is not None:
            self.deliver_later(outcome.delivery_id, outcome.next_attempt_at)

    def deliver_later(self, delivery_id: int, at: datetime | None = None) -> None:
        """Queue ``voice.deliver`` for the delivery, run at ``at`` (None: now)."""
        delay = 0.0 if at is None else (at - self.clock()).total_seconds()
        try:
            if delay > 0:
                self._deliver_task.schedule(args=(delivery_id,), delay=delay)
            else:
                self._deliver_task(delivery_id)
        except Exception:  # the row is stored: the sweep sends it
            log.exception("webhook delivery %d: could not queue it; the sweep will",
                          delivery_id)

    def deliver_now(self, delivery_id: int, owner: str = "cli") -> DeliveryOutcome | None:
        """Attempt the delivery in this thread (``voice webhooks replay/test``) and schedule
        the retry if it failed; None when it was not due or someone else is sending it."""
        if self.deliverer is None:
            return None
        outcome = self.deliverer.attempt(delivery_id, owner=owner)
        if outcome is not None:
            self.webhook_attempted(outcome)
        return outcome

    def sweep_webhooks(self, grace: timedelta = SWEEP_GRACE) -> list[int]:
        """Queue the deliveries that are due (for longer than ``grace``) and not being
        sent; returns their ids."""
        if self.deliverer is None:
            return []
        due = self.deliverer.due(self.clock(), older_than=grace)
        for delivery_id in due:
            self.deliver_later(delivery_id)
        if due:
            log.info("re-sent %d webhook deliver%s: %s", len(due),
                     "y" if len(due) == 1 else "ies", due)
        return due

    def serve(self, *, worker: str, transcribe: Callable[[int], Any] | None,
              purge: Callable[[], Any] | None, threads: int = 1) -> Consumer:
        """A consumer that runs ``transcribe(recording_id)`` (None: this worker has no
        model; transcription jobs wait), webhook deliveries and ``purge()`` hourly."""
        self._worker, self._transcribe, self._purge = worker, transcribe, purge
        if transcribe is not None:
            self.sweep()  # reclaim what this worker was running when it died
        if self.deliverer is not None:
            released = self.deliverer.release(worker)  # what it was sending when it died
            if released:
                log.info("took back %d webhook deliveries this worker was sending", released)
            self.sweep_webhooks(grace=timedelta(0))
        return self.huey.create_consumer(workers=threads, worker_type="thread",
                                         periodic=True, check_worker_health=True,
                                         max_delay=MAX_POLL_S)

    def _run_transcription(self, recording_id: int) -> None:
        if self._transcribe is None:
            log.warning("recording %d: no speech model on this worker; the job waits for "
                        "one that has VOICE_VOSK_MODEL set", recording_id)
            return
        self._transcribe(recording_id)

    def _run_delivery(self, delivery_id: int) -> None:
        if self.deliverer is None:
            log.warning("webhook delivery %d: this worker has no deliverer", delivery_id)
            return
        outcome = self.deliverer.attempt(delivery_id, owner=self._worker)
        if outcome is not None:
            self.webhook_attempted(outcome)

    def _run_sweep(self) -> None:
        if self._transcribe is not None:
            self.sweep()
        self.sweep_webhooks()

    def _run_purge(self) -> None:
        if self._purge is not None:
            self._purge()

    def _run_reconcile(self) -> None:
        if self.reconcile is not None:
            self.reconcile()
