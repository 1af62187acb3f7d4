"""Date ranges of the evaluation reports: whole UTC days, both ends included.

The reports' range reader (:func:`voice.reports.ranges.parse_range`) with the evaluation
pages' defaults: the last 30 days, at most ten years.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from sqlalchemy.sql import Select

from voice.evaluations.errors import InvalidDateRangeError
from voice.reports.errors import ReportError
from voice.reports.ranges import DateRange, parse_range
from voice.store.models import Evaluation

DEFAULT_DAYS = 30
MAX_DAYS = 3660

__all__ = ["DateRange", "date_range", "made_in"]

Query = TypeVar("Query", bound=Select)


def date_range(first: str | None, last: str | None, today: date) -> DateRange:
    """The range ``first``..``last`` (``YYYY-MM-DD``); a missing end defaults to ``today``, a
    missing start to :data:`DEFAULT_DAYS` days before the end."""
    try:
        return parse_range(first, last, today=today, timezone="UTC",
                           default_days=DEFAULT_DAYS, max_days=MAX_DAYS)
    except ReportError as exc:
        raise InvalidDateRangeError(str(exc)) from None


def made_in(query: Query, period: DateRange, scorecard_id: int | None = None) -> Query:
    """``query`` narrowed to the evaluations made in ``period`` (and of one scorecard)."""
    query = query.where(Evaluation.created_at >= period.start, Evaluation.created_at < period.end)
    if scorecard_id is not None:
        query = query.where(Evaluation.scorecard_id == scorecard_id)
    return query
