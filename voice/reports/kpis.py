"""Queue KPIs: what each figure means, and the pure arithmetic behind them.

Owns the definitions used by the supervisor wallboard and the reports. Every figure counts
the queue entries whose ``enqueued_at`` falls in ``[start, end)`` (an entry belongs to the
window its caller joined the queue in):

* **offered**: every entry of the window (live ones included).
* **answered**: entries with ``answered_at`` set.
* **abandoned**: unanswered entries that ended with outcome ``abandoned`` (the caller hung
  up); timeouts and overflows are neither answered nor abandoned here.
* **service level** (percent): answered within the queue's threshold (``<=``) divided by
  (answered + abandoned after the threshold). Callers who hung up before the threshold are
  left out of both sides (they never gave the queue a fair chance); None when the divisor
  is 0. Each entry is measured against the threshold of its own queue, so a row that spans
  queues (an agent, an hour) mixes thresholds the way the queues are configured.
* **ASA** (average speed of answer, seconds): mean of ``answered_at - enqueued_at`` over the
  answered entries; None without any.
* **handled**: answered entries whose call has ended (``ended_at`` set).
* **AHT** (average handle time, seconds) over the handled entries: talk (``ended_at -
  answered_at``) plus the agent's wrap-up for that call, i.e. the ``wrap_up``
  ``agent_sessions`` rows of the same agent and ``call_id`` (an open wrap-up counts up to
  ``now``); None without any handled call.
* **abandonment rate** (percent): abandoned / offered; None when nothing was offered.

The figures are built from additive :class:`KpiSums` (counts and second totals), so partial
sums (per 15-minute bucket, per queue) add up to exact totals before the averages and
percentages are taken. :func:`compute` is the plain-Python version over entry objects (the
reference the SQL aggregates of :mod:`voice.reports.aggregates` are tested against).

"Today" (:func:`day_window`) is the calendar day of ``now`` in a timezone (the
``VOICE_WALLBOARD_TIMEZONE`` setting, UTC by default). Functions take ``now`` from the
caller, so tests pass a clock they move by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from voice.store.models import QueueEntry


@dataclass(frozen=True)
class KpiSums:
    """Additive totals of a set of queue entries; the KPIs are derived from them."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    handled: int = 0
    answered_within_threshold: int = 0
    abandoned_after_threshold: int = 0
    #: total wait of the answered entries
    wait_seconds: float = 0.0
    #: total handle time (talk + wrap-up) of the handled entries
    handle_seconds: float = 0.0

    def __add__(self, other: KpiSums) -> KpiSums:
        return KpiSums(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                          for f in fields(self)})

    @property
    def service_level_pct(self) -> float | None:
        """Answered within threshold / (answered + abandoned after threshold), percent."""
        return _pct(self.answered_within_threshold,
                    self.answered + self.abandoned_after_threshold)

    @property
    def asa_seconds(self) -> float | None:
        """Average speed of answer."""
        return _mean(self.wait_seconds, self.answered)

    @property
    def aht_seconds(self) -> float | None:
        """Average handle time (talk + wrap-up)."""
        return _mean(self.handle_seconds, self.handled)

    @property
    def abandonment_rate_pct(self) -> float | None:
        """Abandoned / offered, percent."""
        return _pct(self.abandoned, self.offered)

    def figures(self) -> dict[str, Any]:
        """The counts and the derived KPIs (JSON-ready)."""
        return {"offered": self.offered, "answered": self.answered,
                "abandoned": self.abandoned, "handled": self.handled,
                "answered_within_threshold": self.answered_within_threshold,
                "abandoned_after_threshold": self.abandoned_after_threshold,
                "service_level_pct": self.service_level_pct, "asa_seconds": self.asa_seconds,
                "aht_seconds": self.aht_seconds,
                "abandonment_rate_pct": self.abandonment_rate_pct}


@dataclass(frozen=True)
class QueueKpis:
    """A queue's figures over one window (see the module docstring for each formula)."""

    queue: str
    start: datetime
    end: datetime
    service_level_threshold: int
    offered: int
    answered: int
    abandoned: int
    handled: int
    answered_within_threshold: int
    abandoned_after_threshold: int
    service_level_pct: float | None
    asa_seconds: float | None
    aht_seconds: float | None
    abandonment_rate_pct: float | None

    @classmethod
    def of(cls, queue: str, start: datetime, end: datetime, service_level: int,
           sums: KpiSums) -> QueueKpis:
        """The figures of ``sums`` for ``queue`` over ``[start, end)``."""
        return cls(queue=queue, start=start, end=end, service_level_threshold=service_level,
                   **sums.figures())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601)."""
        data = asdict(self)
        data["start"], data["end"] = self.start.isoformat(), self.end.isoformat()
        return data


def zone_of(name: str) -> tzinfo:
    """The tzinfo of an IANA name (``UTC`` without a zoneinfo lookup)."""
    return UTC if name == "UTC" else ZoneInfo(name)


def local_today(now: datetime, timezone: str = "UTC") -> date:
    """The calendar day of ``now`` in ``timezone`` (an IANA name)."""
    return now.astimezone(zone_of(timezone)).date()


def day_window(now: datetime, timezone: str = "UTC") -> tuple[datetime, datetime]:
    """The calendar day of ``now`` in ``timezone`` (an IANA name) as ``[start, end)`` in UTC."""
    local = local_today(now, timezone)
    return days_window(local, local, timezone)


def days_window(first: date, last: date, timezone: str = "UTC") -> tuple[datetime, datetime]:
    """The local days ``first`` to ``last`` (both included) as ``[start, end)`` in UTC."""
    zone = zone_of(timezone)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def entry_sums(entries: Iterable[QueueEntry], *, service_level: int,
               wraps: dict[tuple[int, str], float]) -> KpiSums:
    """:class:`KpiSums` of entries of one queue (threshold ``service_level`` seconds), with
    wrap-up seconds keyed by ``(agent_id, call_id)``."""
    threshold = timedelta(seconds=service_level)
    offered = answered = abandoned = handled = within = late_abandons = 0
    waits = handle_times = 0.0
    for entry in entries:
        offered += 1
        if entry.answered_at is not None:
            answered += 1
            wait = entry.answered_at - entry.enqueued_at
            waits += wait.total_seconds()
            within += wait <= threshold
            if entry.ended_at is not None:
                handled += 1
                talk = (entry.ended_at - entry.answered_at).total_seconds()
                wrap = wraps.get((entry.agent_id or 0, entry.call_id), 0.0)
                handle_times += max(talk, 0.0) + wrap
        elif entry.outcome == "abandoned":
            abandoned += 1
            ended = entry.ended_at or entry.enqueued_at
            late_abandons += (ended - entry.enqueued_at) > threshold
    return KpiSums(offered=offered, answered=answered, abandoned=abandoned, handled=handled,
                   answered_within_threshold=within, abandoned_after_threshold=late_abandons,
                   wait_seconds=waits, handle_seconds=handle_times)


def compute(queue: str, start: datetime, end: datetime, entries: Iterable[QueueEntry], *,
            service_level: int, wraps: dict[tuple[int, str], float]) -> QueueKpis:
    """The figures of ``queue`` from entry objects (plain Python; see :func:`entry_sums`)."""
    sums = entry_sums(entries, service_level=service_level, wraps=wraps)
    return QueueKpis.of(queue, start, end, service_level, sums)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None
