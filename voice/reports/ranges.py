"""Report date ranges: local calendar days in the supervisor pages' time zone.

Owns turning the ``from``/``to`` fields of the report and funnel forms (``YYYY-MM-DD``, both
days included) into a :class:`DateRange` whose ``[start, end)`` is in UTC, with the checks
that keep one report bounded: a real date, ``to`` not before ``from``, at most
:data:`MAX_DAYS` days. Empty fields take the defaults: the :data:`DEFAULT_DAYS` days up to
and including today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from voice.reports.errors import (
    DateOutOfRangeError,
    DateRangeOrderError,
    DateRangeTooLongError,
    InvalidDateError,
)
from voice.reports.kpis import days_window

DEFAULT_DAYS = 7
MAX_DAYS = 366
#: dates outside these years are refused (no call has them; a window around them overflows)
FIRST_YEAR, LAST_YEAR = 1900, 9998


@dataclass(frozen=True)
class DateRange:
    """The local days ``first`` to ``last`` (both included) in ``timezone``."""

    first: date
    last: date
    timezone: str

    @property
    def start(self) -> datetime:
        """Midnight (local) that begins ``first``, in UTC."""
        return days_window(self.first, self.last, self.timezone)[0]

    @property
    def end(self) -> datetime:
        """Midnight (local) after ``last``, in UTC (excluded)."""
        return days_window(self.first, self.last, self.timezone)[1]

    @property
    def days(self) -> int:
        """How many calendar days the range covers."""
        return (self.last - self.first).days + 1

    def query(self) -> dict[str, str]:
        """The form fields that give this range back (``from``, ``to``)."""
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def parse_range(first: str | None, last: str | None, *, today: date, timezone: str,
                default_days: int = DEFAULT_DAYS, max_days: int = MAX_DAYS) -> DateRange:
    """The range of the form fields; raises a :class:`~voice.reports.errors.ReportError`
    subclass whose message names the field to fix."""
    last_day = _date("to", last) or today
    first_day = _date("from", first) or (last_day - timedelta(days=default_days - 1))
    if last_day < first_day:
        raise DateRangeOrderError(first_day.isoformat(), last_day.isoformat())
    span = (last_day - first_day).days + 1
    if span > max_days:
        raise DateRangeTooLongError(span, max_days)
    return DateRange(first_day, last_day, timezone)


def _date(field: str, text: str | None) -> date | None:
    value = (text or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidDateError(field, value) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # the window around it must stay a date
        raise DateOutOfRangeError(field, value)
    return day
