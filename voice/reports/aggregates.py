"""Queue KPIs in SQL aggregates: one query per window, grouped by queue, agent or bucket.

Owns the database side of :mod:`voice.reports.kpis`: :func:`kpi_sums` returns the additive
:class:`~voice.reports.kpis.KpiSums` of the queue entries enqueued in ``[start, end)``,
grouped by queue, by agent (``queue_entries.agent_id``: the agent the entry was last offered
to or answered by; entries never offered are in no agent's row) or by 15-minute UTC bucket
(which the reports fold into local hours), so 100,000 calls are summed by the database, not
loaded into Python. The window is a range on ``queue_entries.enqueued_at``, which has its own
index (``ix_queue_entries_enqueued_at``); grouping by queue after that range keeps the
wallboard's "today" query on that index whatever the number of queues.

Wrap-up seconds come from the ``wrap_up`` rows of ``agent_sessions`` of the same agent and
call, summed in a subquery limited to sessions started from ``start`` up to a day after
``end`` (a wrap-up starts after its call's queue entry; one starting more than a day after the
window is not counted). An open wrap-up counts up to ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from voice.reports.kpis import KpiSums, QueueKpis
from voice.reports.sqltime import bucket, duration_ms
from voice.store.models import AgentSession, QueueEntry

GROUPS = ("queue", "agent", "bucket", "total")
#: how long after a window's end a wrap-up of one of its calls may start and still count
WRAP_SLACK = timedelta(days=1)
#: the index of ``queue_entries.enqueued_at`` (migration 0007) that window queries range over
WINDOW_INDEX = "ix_queue_entries_enqueued_at"


def kpi_sums(session: Session, start: datetime, end: datetime, *, by: str,
             thresholds: Mapping[str, int], default_threshold: int, now: datetime,
             queue: str | None = None) -> dict[Any, KpiSums]:
    """Sums of the entries enqueued in ``[start, end)`` per group key.

    ``by``: ``queue`` (key: queue name), ``agent`` (key: agent id), ``bucket`` (key: the
    15-minute bucket since the epoch, see :func:`voice.reports.sqltime.bucket`) or ``total``
    (key: None). ``thresholds`` maps queue names to their service-level threshold in seconds;
    other queues use ``default_threshold``. ``queue`` limits the entries to one queue.
    """
    if by not in GROUPS:
        raise ValueError(f"by must be one of {GROUPS}, not {by!r}")
    dialect = session.get_bind().dialect.name
    entry = QueueEntry
    threshold_ms: ColumnElement[Any] = (
        case({name: seconds * 1000 for name, seconds in thresholds.items()},
             value=entry.queue, else_=default_threshold * 1000)
        if thresholds else literal(default_threshold * 1000))
    wraps = _wrap_totals(start, end, now, dialect)
    answered = entry.answered_at.is_not(None)
    abandoned = and_(entry.answered_at.is_(None), entry.outcome == "abandoned")
    handled = and_(answered, entry.ended_at.is_not(None))
    wait = duration_ms(entry.answered_at, entry.enqueued_at, dialect)
    talk = duration_ms(entry.ended_at, entry.answered_at, dialect)
    abandon_wait = duration_ms(func.coalesce(entry.ended_at, entry.enqueued_at),
                               entry.enqueued_at, dialect)
    # Keys and the queue filter are expressions, not bare columns: SQLite's planner (without
    # statistics) would otherwise walk the whole queue or agent index to save the GROUP BY
    # sort (or bet on the queue index for ``queue = ?``) instead of range-scanning the
    # window on WINDOW_INDEX. coalesce() changes no value here (agent 0 does not exist).
    keys: dict[str, ColumnElement[Any]] = {
        "queue": func.coalesce(entry.queue, ""), "agent": func.coalesce(entry.agent_id, 0),
        "bucket": bucket(entry.enqueued_at, dialect)}
    columns = [
        func.count().label("offered"),
        _count(answered, "answered"), _count(abandoned, "abandoned"),
        _count(handled, "handled"),
        _count(and_(answered, wait <= threshold_ms), "within"),
        _count(and_(abandoned, abandon_wait > threshold_ms), "late"),
        func.sum(case((answered, wait), else_=0)).label("wait_ms"),
        func.sum(case((handled, case((talk > 0, talk), else_=0)
                       + func.coalesce(wraps.c.wrap_ms, 0)), else_=0)).label("handle_ms"),
    ]
    key = keys.get(by)
    stmt = (select(*([key.label("key")] if key is not None else []), *columns)
            .select_from(entry)
            .outerjoin(wraps, and_(wraps.c.agent_id == entry.agent_id,
                                   wraps.c.call_id == entry.call_id))
            .where(entry.enqueued_at >= start, entry.enqueued_at < end))
    if queue is not None:
        stmt = stmt.where(func.coalesce(entry.queue, "") == queue)
    if key is not None:
        stmt = stmt.group_by(key)
    result: dict[Any, KpiSums] = {}
    for row in session.execute(stmt).mappings():
        if not row["offered"] or (by == "agent" and not row["key"]):
            continue  # the ungrouped total of an empty window; entries never offered
        result[row["key"] if key is not None else None] = KpiSums(
            offered=int(row["offered"]), answered=int(row["answered"] or 0),
            abandoned=int(row["abandoned"] or 0), handled=int(row["handled"] or 0),
            answered_within_threshold=int(row["within"] or 0),
            abandoned_after_threshold=int(row["late"] or 0),
            wait_seconds=_seconds(row["wait_ms"]), handle_seconds=_seconds(row["handle_ms"]))
    return result


def queue_kpis(session: Session, queue: str, start: datetime, end: datetime, *,
               service_level: int, now: datetime) -> QueueKpis:
    """The KPIs of one queue for entries enqueued in ``[start, end)`` (threshold
    ``service_level`` seconds; ``now`` bounds an open wrap-up)."""
    sums = kpi_sums(session, start, end, by="queue", thresholds={queue: service_level},
                    default_threshold=service_level, now=now, queue=queue)
    return QueueKpis.of(queue, start, end, service_level, sums.get(queue, KpiSums()))


def _wrap_totals(start: datetime, end: datetime, now: datetime, dialect: str) -> Any:
    """Wrap-up milliseconds per (agent, call) of the sessions that can belong to the window."""
    session_row = AgentSession
    ended = func.coalesce(session_row.ended_at,
                          literal(now, type_=session_row.__table__.c.started_at.type))
    length = duration_ms(ended, session_row.started_at, dialect)
    return (select(session_row.agent_id, session_row.call_id,
                   func.sum(case((length > 0, length), else_=0)).label("wrap_ms"))
            .where(session_row.state == "wrap_up", session_row.started_at >= start,
                   session_row.started_at < end + WRAP_SLACK)
            .group_by(session_row.agent_id, session_row.call_id)
            .subquery("wraps"))


def _count(condition: ColumnElement[bool], name: str) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0)).label(name)


def _seconds(total_ms: int | float | Decimal | None) -> float:
    return float(total_ms or 0) / 1000.0
