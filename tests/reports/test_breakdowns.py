"""Report breakdowns (:mod:`voice.reports.breakdowns`, :mod:`voice.reports.aggregates`) over
the hand-made entries of :mod:`crafted_calls`, on SQLite and PostgreSQL: per queue, per
agent, per local hour (UTC, New York, a +5:30 zone), and the SQL sums against the plain-Python
reference."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from crafted_calls import DAY, NOW, add_queue_data
from sqlalchemy import select

from voice.compose import Services
from voice.reports.aggregates import kpi_sums
from voice.reports.breakdowns import Report, build_report
from voice.reports.kpis import KpiSums, entry_sums
from voice.reports.ranges import DateRange
from voice.store.models import AgentSession, QueueEntry

THRESHOLDS = {"support": 20, "billing": 30}
D24 = date(2026, 11, 24)


def report(services: Services, by: str, days: DateRange, queue: str | None = None) -> Report:
    with services.session_factory() as session:
        return build_report(session, by, days, thresholds=THRESHOLDS, default_threshold=20,
                            now=NOW, queue=queue)


def figures(sums: KpiSums) -> tuple[object, ...]:
    return (sums.offered, sums.answered, sums.abandoned, sums.handled,
            sums.service_level_pct, sums.asa_seconds, sums.aht_seconds,
            sums.abandonment_rate_pct)


def test_per_queue(services: Services) -> None:
    add_queue_data(services)
    result = report(services, "queue", DateRange(D24, D24, "UTC"))
    rows = {row.key: row for row in result.rows}
    assert list(rows) == ["billing", "support"]
    # support: SL 1 of (2 answered + 1 late abandon); ASA (10+30)/2; AHT (100+20+60)/2
    assert figures(rows["support"].sums) == (4, 2, 2, 2, 33.3, 20.0, 90.0, 50.0)
    assert rows["support"].threshold == 20
    # billing: 25 s is within 30 s; AHT 100 talk + 15 wrap; the timeout is only offered
    assert figures(rows["billing"].sums) == (2, 1, 0, 1, 100.0, 25.0, 115.0, 0.0)
    assert rows["billing"].threshold == 30
    # the total: each entry against its own queue's threshold
    assert figures(result.total) == (6, 3, 2, 3, 50.0, 21.7, 98.3, 33.3)


def test_per_queue_filter_and_range(services: Services) -> None:
    add_queue_data(services)
    two_days = DateRange(D24 - timedelta(days=1), D24, "UTC")
    [row] = report(services, "queue", two_days, queue="support").rows
    assert row.key == "support"
    assert figures(row.sums)[:4] == (5, 3, 2, 3)  # y1 of the 23rd joins
    [empty] = report(services, "queue", DateRange(D24, D24, "UTC"), queue="sales").rows
    assert (empty.key, empty.sums.offered, empty.sums.service_level_pct) == ("sales", 0, None)


def test_per_agent(services: Services) -> None:
    add_queue_data(services)
    rows = {row.key: row.sums for row in report(services, "agent",
                                                DateRange(D24, D24, "UTC")).rows}
    assert list(rows) == ["ann", "bob"]
    assert figures(rows["ann"]) == (2, 2, 0, 2, 50.0, 20.0, 90.0, 0.0)
    assert figures(rows["bob"]) == (1, 1, 0, 1, 100.0, 25.0, 115.0, 0.0)


@pytest.mark.parametrize(("zone", "expected"), [
    ("UTC", {"09:00": 2, "10:00": 3, "14:00": 1}),
    # New York is UTC-5 in November; 2026-11-24 local starts at 05:00 UTC (y1 is the 23rd)
    ("America/New_York", {"04:00": 2, "05:00": 3, "09:00": 1}),
    # +5:30: the local day starts at 18:30 UTC on the 23rd (y1 at 23:30 is 05:00); 09:10 UTC
    # is 14:40 but 09:40 is 15:10 (neighbouring 15-minute buckets, different hours)
    ("Asia/Kolkata", {"05:00": 1, "14:00": 1, "15:00": 3, "16:00": 1, "20:00": 1}),
])
def test_per_hour_in_the_report_time_zone(services: Services, zone: str,
                                          expected: dict[str, int]) -> None:
    add_queue_data(services)
    rows = report(services, "hour", DateRange(D24, D24, zone)).rows
    assert [row.key for row in rows] == [f"{h:02d}:00" for h in range(24)]
    offered = {row.key: row.sums.offered for row in rows if row.sums.offered}
    assert offered == expected


def test_hour_rows_keep_every_figure(services: Services) -> None:
    add_queue_data(services)
    rows = {row.key: row.sums for row in report(services, "hour",
                                                DateRange(D24, D24, "UTC")).rows}
    # 09:00: s1 and s2 (ann): the same as ann's row
    assert figures(rows["09:00"]) == (2, 2, 0, 2, 50.0, 20.0, 90.0, 0.0)
    # 10:00: s3 (short abandon), s4 (late abandon), b1 (answered in 25 s of 30)
    assert figures(rows["10:00"]) == (3, 1, 2, 1, 50.0, 25.0, 115.0, 66.7)


def test_sql_sums_match_the_python_reference(services: Services) -> None:
    """The SQL aggregate and :func:`entry_sums` agree on every queue of the crafted day."""
    add_queue_data(services)
    start, end = DAY, DAY + timedelta(days=1)
    with services.session_factory() as session:
        sql = kpi_sums(session, start, end, by="queue", thresholds=THRESHOLDS,
                       default_threshold=20, now=NOW)
        entries = list(session.scalars(select(QueueEntry).where(
            QueueEntry.enqueued_at >= start, QueueEntry.enqueued_at < end)))
        wraps = {(row.agent_id, row.call_id): (row.ended_at - row.started_at).total_seconds()
                 for row in session.scalars(select(AgentSession)
                                            .where(AgentSession.state == "wrap_up"))}
    for queue, threshold in THRESHOLDS.items():
        python = entry_sums([e for e in entries if e.queue == queue],
                            service_level=threshold, wraps=wraps)
        assert sql[queue] == python
    with services.session_factory() as session:
        [total] = kpi_sums(session, start, end, by="total", thresholds=THRESHOLDS,
                           default_threshold=20, now=NOW).values()
    assert total == sql["support"] + sql["billing"]


def test_empty_range_has_rows_of_zeros(services: Services) -> None:
    add_queue_data(services)
    days = DateRange(date(2025, 1, 1), date(2025, 1, 2), "UTC")
    rows = report(services, "queue", days).rows
    assert [(r.key, r.sums.offered, r.sums.asa_seconds) for r in rows] == [
        ("billing", 0, None), ("support", 0, None)]
    assert report(services, "agent", days).rows == []
    assert all(r.sums == KpiSums() for r in report(services, "hour", days).rows)
