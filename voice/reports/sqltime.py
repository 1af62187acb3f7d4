"""Time arithmetic inside SQL, the same on SQLite and PostgreSQL.

Owns the few expressions the report aggregates need: a duration between two timestamp columns
in whole milliseconds and a timestamp's 15-minute bucket since the Unix epoch. SQLite stores
``UtcDateTime`` values as UTC text (``YYYY-MM-DD HH:MM:SS.ffffff``): its ``strftime('%s')``
gives whole seconds and ``strftime('%f')`` seconds with milliseconds, so durations there are
exact to the millisecond (no ``julianday`` floating point, which would turn a 20 s wait into
20.000001 s and miss an inclusive threshold). PostgreSQL's ``extract(epoch ...)`` is exact.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Float, Integer, cast, extract, func
from sqlalchemy.sql.elements import ColumnElement

#: seconds per bucket of :func:`bucket`: every UTC offset in use is a multiple of 15 minutes,
#: so a bucket always falls inside one local hour
BUCKET_SECONDS = 900


def epoch_ms(value: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """Milliseconds since the Unix epoch of a timestamp expression."""
    if dialect == "postgresql":
        return extract("epoch", value) * 1000
    whole = cast(func.strftime("%s", value), Integer) * 1000
    fraction = cast(func.round(cast(func.strftime("%f", value), Float) * 1000), Integer) % 1000
    return whole + fraction


def duration_ms(later: ColumnElement[Any], earlier: ColumnElement[Any],
                dialect: str) -> ColumnElement[Any]:
    """``later - earlier`` in milliseconds (NULL when either is NULL)."""
    return epoch_ms(later, dialect) - epoch_ms(earlier, dialect)


def bucket(value: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """The :data:`BUCKET_SECONDS` bucket since the epoch a timestamp falls in (an integer)."""
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", value) / BUCKET_SECONDS), BigInteger)
    return cast(func.strftime("%s", value), Integer) // BUCKET_SECONDS
