"""Reports over a date range: the queue KPIs per queue, per agent and per hour of the day.

Owns assembling :class:`Report` rows from the SQL sums of :mod:`voice.reports.aggregates`:

* **per queue**: one row per configured queue (zeros included) and per other queue that has
  entries in the range, with the queue's service-level threshold;
* **per agent**: one row per agent some entry of the range was offered to or answered by
  (``queue_entries.agent_id``), named from ``agents`` (``agent #<id>`` once deleted);
* **per hour**: 24 rows, ``00:00``-``23:00``: the hour of the day (in the report's time zone)
  the callers joined the queue, summed over every day of the range. The database sums per
  15-minute UTC bucket; each bucket is folded into its local hour here, which is exact for
  every time zone (all offsets are multiples of 15 minutes) and across DST changes.

Every row carries the KPIs of :mod:`voice.reports.kpis`; the report's total is the sum of
its entries (each against its own queue's threshold).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voice.reports.aggregates import kpi_sums
from voice.reports.kpis import KpiSums, zone_of
from voice.reports.ranges import DateRange
from voice.reports.sqltime import BUCKET_SECONDS
from voice.store.models import Agent

BREAKDOWNS = ("queue", "agent", "hour")


@dataclass(frozen=True)
class ReportRow:
    """One row: its key (queue name, agent name, ``HH:00``), figures and, for a queue, the
    service-level threshold in seconds."""

    key: str
    sums: KpiSums
    threshold: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"key": self.key, "service_level_threshold": self.threshold,
                **self.sums.figures()}


@dataclass(frozen=True)
class Report:
    """The rows of one breakdown over a date range (optionally one queue's entries)."""

    by: str
    range: DateRange
    queue: str | None
    rows: list[ReportRow]

    @property
    def total(self) -> KpiSums:
        """The sums of every row (every entry of the range once)."""
        total = KpiSums()
        for row in self.rows:
            total += row.sums
        return total


def build_report(session: Session, by: str, days: DateRange, *,
                 thresholds: Mapping[str, int], default_threshold: int, now: datetime,
                 queue: str | None = None) -> Report:
    """The ``by`` breakdown (``queue``, ``agent`` or ``hour``) of ``days``.

    ``thresholds`` maps configured queues to their service-level threshold (seconds);
    ``default_threshold`` is that of queues not configured.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {BREAKDOWNS}, not {by!r}")
    group = "bucket" if by == "hour" else by
    sums = kpi_sums(session, days.start, days.end, by=group, thresholds=thresholds,
                    default_threshold=default_threshold, now=now, queue=queue)
    if by == "queue":
        names = set(sums) | ({queue} if queue else set(thresholds))
        rows = [ReportRow(name, sums.get(name, KpiSums()),
                          thresholds.get(name, default_threshold)) for name in sorted(names)]
    elif by == "agent":
        names = dict(session.execute(select(Agent.id, Agent.name)
                                     .where(Agent.id.in_(list(sums)))).all())
        rows = sorted((ReportRow(names.get(agent_id, f"agent #{agent_id}"), figures)
                       for agent_id, figures in sums.items()), key=lambda r: r.key)
    else:
        rows = _hours(sums, days.timezone)
    return Report(by=by, range=days, queue=queue, rows=rows)


def _hours(buckets: Mapping[int, KpiSums], timezone: str) -> list[ReportRow]:
    """Fold 15-minute UTC buckets into the 24 local hours of the day."""
    zone = zone_of(timezone)
    hours = [KpiSums() for _ in range(24)]
    for number, figures in buckets.items():
        local = datetime.fromtimestamp(int(number) * BUCKET_SECONDS, UTC).astimezone(zone)
        hours[local.hour] += figures
    return [ReportRow(f"{hour:02d}:00", figures) for hour, figures in enumerate(hours)]
