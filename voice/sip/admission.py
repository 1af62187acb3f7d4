"""Admission control of a media worker: which new INVITEs it may take.

A pjsua2 worker has a fixed number of call slots (``PJSUA_MAX_CALLS``, read from the library)
and a select() I/O queue whose socket handles are freed only some time after a call ends. So
a worker admits a new caller only when

- it is not draining (shutting down),
- it has room: every caller it holds keeps a slot reserved for the agent leg the ACD will
  bridge in later (``legs_per_caller`` = 2), and
- fewer than ``burst`` new calls were admitted within the last ``window`` seconds (each admitted
  call opens media sockets; refusing the excess keeps the I/O queue from running out).

Refusals are answered ``503`` + ``Retry-After`` by the gate before pjsua creates anything, so
Kamailio can try another worker. Calls are keyed by SIP Call-ID so INVITE retransmissions are
not counted twice. Pure logic with an injected clock; safe to call from any thread.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: how long an admitted Call-ID may stay unclaimed by the worker before its slot is freed
CLAIM_TIMEOUT = 5.0
#: how long a refused Call-ID stays refused: an INVITE retransmitted after a (lost) 503 must
#: not be let in once a slot frees up, or the caller would get 503 and 200 for one call
#: (SIP timer B, 64 x T1)
REFUSAL_MEMORY = 32.0


class Admission:
    """Counts the callers a worker holds and decides on new ones (see module docstring)."""

    def __init__(self, max_calls: int, *, legs_per_caller: int = 2, burst: int = 8,
                 window: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        if max_calls < legs_per_caller:
            raise ValueError(f"the library allows {max_calls} calls; a caller needs "
                             f"{legs_per_caller}")
        self.capacity = max_calls // legs_per_caller
        self.burst = burst
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._held: dict[str, float | None] = {}  # call id -> admitted-at while unclaimed
        self._recent: deque[float] = deque()
        self._refusals: dict[str, tuple[float, str]] = {}
        self.draining = False
        self.refused = {"full": 0, "rate": 0, "draining": 0}

    def offer(self, call_id: str) -> str | None:
        """Decide on an INVITE: None to admit, else the reason it is refused."""
        with self._lock:
            if call_id in self._held:
                return None  # a retransmission of an INVITE already let in
            now = self._clock()
            self._expire(now)
            if call_id in self._refusals:
                return self._refusals[call_id][1]  # a retransmission of one refused before
            if self.draining:
                reason = "draining"
            elif len(self._held) >= self.capacity:
                reason = "full"
            elif len(self._recent) >= self.burst:
                reason = "rate"
            else:
                self._held[call_id] = now
                self._recent.append(now)
                return None
            self.refused[reason] += 1
            self._refusals[call_id] = (now, reason)
            return reason

    def claim(self, call_id: str) -> bool:
        """The worker took the admitted call; False if it was never admitted (or expired)."""
        with self._lock:
            if call_id not in self._held:
                return False
            self._held[call_id] = None
            return True

    def release(self, call_id: str) -> None:
        """The call is over (or was rejected by the worker): free its place."""
        with self._lock:
            self._held.pop(call_id, None)

    @property
    def holding(self) -> int:
        """Callers admitted and not yet released."""
        with self._lock:
            return len(self._held)

    def _expire(self, now: float) -> None:
        while self._recent and now - self._recent[0] >= self.window:
            self._recent.popleft()
        stale = [cid for cid, at in self._held.items()
                 if at is not None and now - at > CLAIM_TIMEOUT]
        for cid in stale:
            del self._held[cid]
        while self._refusals:  # oldest first (dicts keep insertion order)
            cid, (at, _reason) = next(iter(self._refusals.items()))
            if now - at <= REFUSAL_MEMORY:
                break
            del self._refusals[cid]
