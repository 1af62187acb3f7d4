"""Evaluation scores rolled up per agent and per queue over a date range.

A rollup row counts the evaluations made in the range (by ``created_at``, when QA scored
the call) and gives the average, lowest and highest score. Evaluations without a score
(every answer N/A) are counted but left out of average, minimum and maximum. Calls nobody
answered or that never queued roll up under agent/queue None ("none" on pages).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voice.evaluations.periods import DateRange, made_in
from voice.store.models import Evaluation


@dataclass(frozen=True)
class Rollup:
    """The scores of one agent or one queue."""

    name: str | None
    count: int
    average: float | None
    minimum: float | None
    maximum: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON: name, count, average, min, max."""
        return {"name": self.name, "count": self.count, "average": self.average,
                "min": self.minimum, "max": self.maximum}


@dataclass(frozen=True)
class Rollups:
    """Everything in a range: the total and per agent and per queue."""

    period: DateRange
    total: Rollup
    by_agent: list[Rollup]
    by_queue: list[Rollup]

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``GET /api/evaluations/rollups``."""
        return {**self.period.query(), "total": self.total.to_dict(),
                "by_agent": [r.to_dict() for r in self.by_agent],
                "by_queue": [r.to_dict() for r in self.by_queue]}


def rollups(session: Session, period: DateRange, scorecard_id: int | None = None) -> Rollups:
    """Per-agent, per-queue and overall figures of the evaluations made in ``period``
    (optionally of one scorecard), each list by name (None last)."""
    def figures(*group: Any) -> list[Any]:
        query = made_in(select(*group, func.count(), func.avg(Evaluation.score),
                               func.min(Evaluation.score), func.max(Evaluation.score)),
                        period, scorecard_id)
        if group:
            query = query.group_by(*group)
        return list(session.execute(query).all())

    def rows(column: Any) -> list[Rollup]:
        found = [_rollup(row[0], row[1:]) for row in figures(column)]
        return sorted(found, key=lambda r: (r.name is None, r.name or ""))

    [total] = figures()
    return Rollups(period=period, total=_rollup("all", total),
                   by_agent=rows(Evaluation.agent), by_queue=rows(Evaluation.queue))


def _rollup(name: str | None, row: Any) -> Rollup:
    count, average, low, high = row
    return Rollup(name=name, count=int(count or 0),
                  average=round(float(average), 2) if average is not None else None,
                  minimum=float(low) if low is not None else None,
                  maximum=float(high) if high is not None else None)
