"""Which numbers this worker answers at once: a copy of the published flows' ``numbers:``.

A media worker answers an INVITE with 200 OK as soon as it knows a flow serves the dialled
number, and starts the session (database, engine, prompts) after that, so the caller's
INVITE->200 never waits for the database. The copy is refreshed on a service thread every
:data:`REFRESH_SECONDS`; a number it does not hold yet is looked up in the database before
the call is answered (a newly published number works at once), and the session start
always picks the flow from the database, so a stale copy only changes when "200" is sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

REFRESH_SECONDS = 10.0


class ServedNumbers:
    """A thread-safe, periodically refreshed set of the numbers published flows answer."""

    def __init__(self, load: Callable[[], set[str]],
                 refresh_seconds: float = REFRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._load = load
        self._clock = clock
        self._refresh_seconds = refresh_seconds
        self._numbers: frozenset[str] = frozenset()
        self._loaded_at: float | None = None
        self._pending = False
        self._lock = threading.Lock()

    def __contains__(self, number: object) -> bool:
        return number in self._numbers

    def due(self) -> bool:
        """True when a refresh should be started now (none is running, the copy is old).

        The caller then runs :meth:`refresh` (on a service thread); marks it pending.
        """
        now = self._clock()
        with self._lock:
            if self._pending:
                return False
            if self._loaded_at is not None and now - self._loaded_at < self._refresh_seconds:
                return False
            self._pending = True
            return True

    def refresh(self) -> None:
        """Read the numbers from the database (any thread; errors keep the old copy)."""
        try:
            numbers = frozenset(self._load())
        except Exception:
            log.exception("could not read the published flows' numbers; keeping the old list")
            numbers = self._numbers
        with self._lock:
            self._numbers = numbers
            self._loaded_at = self._clock()
            self._pending = False
