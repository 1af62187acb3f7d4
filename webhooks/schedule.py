"""When a failed webhook delivery is tried again, and when it is given up.

Owns the retry schedule (the one Standard Webhooks senders such as Svix publish): the first
attempt goes out at once, then retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h.
A delivery whose eighth attempt fails is ``dead`` (about 28 hours after the event; ``voice
webhooks replay`` sends it again). Each wait is spread by up to ±20% (random, injectable
for tests) so that deliveries failing together do not all come back at the same second.
A receiver's ``Retry-After`` (seconds or an HTTP date) is honoured when it asks for a longer
wait than the schedule, up to 24 hours; it never makes a retry come sooner.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

#: wait before attempt n+1 (index n); index 0 is the first attempt: at once
DELAYS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
#: attempts before a delivery is dead
MAX_ATTEMPTS = len(DELAYS)
#: largest share a wait is lengthened or shortened by
JITTER = 0.2
#: the longest wait a Retry-After header can ask for
RETRY_AFTER_CAP = timedelta(hours=24)


class RetrySchedule:
    """Computes the next attempt of a delivery that has failed ``attempts`` times."""

    def __init__(self, delays: tuple[timedelta, ...] = DELAYS, *, jitter: float = JITTER,
                 rng: random.Random | None = None,
                 retry_after_cap: timedelta = RETRY_AFTER_CAP) -> None:
        if not delays:
            raise ValueError("a retry schedule needs at least one attempt")
        if not 0 <= jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), not {jitter}")
        self.delays = delays
        self.jitter = jitter
        self.retry_after_cap = retry_after_cap
        self._rng = rng or random.Random()

    @property
    def max_attempts(self) -> int:
        """Attempts made before a delivery is given up."""
        return len(self.delays)

    def next_attempt(self, attempts: int, now: datetime,
                     retry_after: str | None = None) -> datetime | None:
        """When to try again after the ``attempts``-th attempt failed at ``now``; None when
        that was the last one (the delivery is dead)."""
        if attempts >= len(self.delays):
            return None
        wait = self.delays[max(attempts, 0)]
        wait = wait * (1 + self._rng.uniform(-self.jitter, self.jitter))
        asked = parse_retry_after(retry_after, now)
        if asked is not None and asked > wait:
            wait = min(asked, self.retry_after_cap)
        return now + wait


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """The wait a ``Retry-After`` header asks for (delta seconds or an HTTP date), or None
    when absent or unreadable (an unreadable header is ignored, never fatal)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        return None
    return max(when - now, timedelta(0))
