"""The fast path: send new deliveries from the process that committed them, right away.

A screen pop is useless if it reaches the CRM after the agent answered, so waiting for the
task queue's next poll is not good enough. Any process that emits events (web, SIP, worker)
hands the ids of deliveries it has just committed to a :class:`WebhookSender`, whose small
thread pool (2 threads) makes each first attempt at once, off the caller's thread. Every
attempt claims its row first (``Deliverer.attempt``), so the fast path and the worker never
send the same attempt twice. What the fast path cannot finish (a failure to retry later, a
process that dies first) is left in the database for the worker: ``on_outcome`` lets the
task queue schedule the retry, and the worker's sweep finds anything else.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from webhooks.delivery import Deliverer, DeliveryOutcome

log = logging.getLogger(__name__)

THREADS = 2


class WebhookSender:
    """A small thread pool making first attempts right after commit."""

    def __init__(self, deliverer: Deliverer, *, threads: int = THREADS,
                 owner: str | None = None) -> None:
        self._deliverer = deliverer
        self._threads = threads
        #: the lease owner recorded for this process's attempts
        self.owner = owner or f"sender-{socket.gethostname()}-{os.getpid()}"
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, ids: Iterable[int],
               on_outcome: Callable[[DeliveryOutcome], None] | None = None
               ) -> list[Future[DeliveryOutcome | None]]:
        """Attempt each committed delivery now, in the pool; ``on_outcome`` runs (in the
        pool) after each attempt this process made. Returns the futures (tests wait on
        them); after :meth:`close` nothing is sent and [] is returned (the sweep will)."""
        pool = self._executor()
        if pool is None:
            return []
        return [pool.submit(self._attempt, delivery_id, on_outcome) for delivery_id in ids]

    def close(self, wait: bool = True) -> None:
        """Stop taking work; with ``wait``, let attempts under way finish first."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=not wait)

    def _executor(self) -> ThreadPoolExecutor | None:
        with self._lock:
            if self._closed:
                return None
            if self._pool is None:  # threads start on first use (not in forked parents)
                self._pool = ThreadPoolExecutor(self._threads, "webhook-sender")
            return self._pool

    def _attempt(self, delivery_id: int,
                 on_outcome: Callable[[DeliveryOutcome], None] | None
                 ) -> DeliveryOutcome | None:
        try:
            outcome = self._deliverer.attempt(delivery_id, owner=self.owner)
            if outcome is not None and on_outcome is not None:
                on_outcome(outcome)
            return outcome
        except Exception:  # the database is the truth: the worker's sweep retries it
            log.exception("webhook delivery %d: the immediate attempt failed; the worker "
                          "will send it", delivery_id)
            return None
