"""Dates and times people type into filters (``--since``, ``?until=``), read one way; and
lengths of time written the one way pages and exports show them (:func:`clock_text`).

``2026-11-24`` is that day's midnight (UTC); as the end of a range it includes the whole
day. ``2026-11-24T15:00``, ``...Z`` and ``...+01:00`` are read as given; without a zone, UTC.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta


def parse_moment(text: str, *, end: bool = False) -> datetime:
    """An aware datetime from ``text``; raises ValueError with a message naming the forms."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            moment = datetime.combine(date.fromisoformat(raw), time(), tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{raw}' is not a date or time (ISO 8601); use e.g. 2026-11-24 or "
                         "2026-11-24T15:00:00Z") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def clock_text(seconds: float) -> str:
    """``seconds`` (rounded down to whole seconds) as ``m:ss``, or ``h:mm:ss`` from an hour
    (``0:42``, ``1:02:05``)."""
    hours, rest = divmod(max(0, math.floor(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
