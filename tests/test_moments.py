"""Dates typed into filters: a bare date as the end of a range includes that whole day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from voice.moments import parse_moment


def test_dates_and_times_people_type() -> None:
    day = datetime(2026, 11, 24, tzinfo=UTC)
    assert parse_moment("2026-11-24") == day
    assert parse_moment("2026-11-24", end=True) == day + timedelta(days=1)
    assert parse_moment("2026-11-24T15:00Z") == day + timedelta(hours=15)
    assert parse_moment("2026-11-24T15:00") == day + timedelta(hours=15)  # no zone: UTC
    assert parse_moment("2026-11-24T16:00+01:00") == datetime(
        2026, 11, 24, 16, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(ValueError, match="'yesterday' is not a date or time"):
        parse_moment("yesterday")
