"""Business-hours schedules with time zones and holidays, for the ``hours`` node.

A schedules document (``config/schedules.yaml``) looks like::

    schedules:
      support:
        timezone: America/New_York
        hours: {mon-fri: "08:00-20:00", sat: "09:00-13:00", sun: closed}
        holidays:
          - {date: 2026-12-25, name: Christmas Day}
          - 2027-01-01

``parse_schedules`` turns the loaded document into ``Schedule`` objects (reporting every
problem at once); ``Schedule.status_at(at)`` says ``open``, ``closed`` or ``holiday`` for a
moment, converted to the schedule's own time zone. The time is always passed in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from voice.ivr.errors import ScheduleError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Schedule:
    """Weekly opening ranges per weekday (0 = Monday) plus holiday dates."""

    name: str
    timezone: str
    weekly: tuple[tuple[tuple[time, time], ...], ...]
    holidays: Mapping[date, str] = field(default_factory=dict)

    def status_at(self, at: datetime) -> str:
        """Return ``holiday``, ``open`` or ``closed`` for the aware datetime ``at``."""
        if at.tzinfo is None:
            raise ValueError("status_at needs a timezone-aware datetime")
        local = at.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return "holiday"
        now = local.time().replace(tzinfo=None)
        for start, end in self.weekly[local.weekday()]:
            if start <= now < end or (end == time.max and now >= start):
                return "open"
        return "closed"


def parse_schedules(document: Any, source: str = "schedules") -> dict[str, Schedule]:
    """Build schedules from a loaded document; raise ScheduleError listing every problem."""
    problems: list[str] = []
    if not isinstance(document, Mapping) or not isinstance(document.get("schedules"), Mapping):
        raise ScheduleError([f"{source}: expected a top-level 'schedules:' mapping"])
    result: dict[str, Schedule] = {}
    for name, spec in document["schedules"].items():
        where = f"{source}: schedule '{name}'"
        if not isinstance(spec, Mapping):
            problems.append(f"{where}: expected a mapping with timezone, hours, holidays")
            continue
        tz = str(spec.get("timezone", ""))
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"{where}: field 'timezone': unknown time zone '{tz}' "
                            "(use an IANA name such as America/New_York)")
        weekly = _parse_weekly(spec.get("hours"), where, problems)
        holidays = _parse_holidays(spec.get("holidays") or [], where, problems)
        result[str(name)] = Schedule(str(name), tz, weekly, holidays)
    if problems:
        raise ScheduleError(problems)
    return result


def _parse_weekly(hours: Any, where: str, problems: list[str]) -> tuple:
    days: list[list[tuple[time, time]]] = [[] for _ in DAYS]
    if not isinstance(hours, Mapping):
        problems.append(f"{where}: field 'hours': expected a mapping like "
                        "{mon-fri: \"08:00-18:00\"}")
        return tuple(tuple(d) for d in days)
    for spec, ranges in hours.items():
        indexes = _day_indexes(str(spec))
        if indexes is None:
            problems.append(f"{where}: field 'hours': '{spec}' is not a day or day range "
                            f"(use {', '.join(DAYS)} or e.g. mon-fri)")
            continue
        parsed = _parse_ranges(ranges)
        if parsed is None:
            problems.append(f"{where}: field 'hours': '{spec}: {ranges}' is not 'closed' or "
                            "ranges like \"08:00-12:00, 13:00-17:00\"")
            continue
        for i in indexes:
            days[i].extend(parsed)
    return tuple(tuple(sorted(d)) for d in days)


def _day_indexes(spec: str) -> list[int] | None:
    spec = spec.strip().lower()
    if spec in DAYS:
        return [DAYS.index(spec)]
    first, sep, last = spec.partition("-")
    if sep and first in DAYS and last in DAYS:
        a, b = DAYS.index(first), DAYS.index(last)
        return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
    return None


def _parse_ranges(ranges: Any) -> list[tuple[time, time]] | None:
    if ranges is False or str(ranges).strip().lower() == "closed":
        return []
    out = []
    for part in str(ranges).split(","):
        start, sep, end = part.strip().partition("-")
        if not sep:
            return None
        try:
            t0 = _clock(start)
            t1 = time.max if end.strip() == "24:00" else _clock(end)
        except ValueError:
            return None
        if t1 <= t0:
            return None
        out.append((t0, t1))
    return out


def _clock(text: str) -> time:
    return time.fromisoformat(text.strip().zfill(5))


def _parse_holidays(items: Any, where: str, problems: list[str]) -> dict[date, str]:
    result: dict[date, str] = {}
    if not isinstance(items, list):
        problems.append(f"{where}: field 'holidays': expected a list of dates")
        return result
    for item in items:
        value, name = (item.get("date"), item.get("name", "holiday")) \
            if isinstance(item, Mapping) else (item, "holiday")
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value)
        if not isinstance(value, date):
            problems.append(f"{where}: field 'holidays': '{value}' is not a date (YYYY-MM-DD)")
            continue
        result[value] = str(name)
    return result
