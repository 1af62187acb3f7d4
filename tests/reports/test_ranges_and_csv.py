"""Report date ranges (:mod:`voice.reports.ranges`), the CSV files
(:mod:`voice.reports.csv_export`) and the ``VOICE_WALLBOARD_TIMEZONE`` setting: no
database needed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from voice.errors import SettingsError
from voice.reports.breakdowns import Report, ReportRow
from voice.reports.csv_export import funnel_csv, report_columns, report_csv
from voice.reports.errors import (
    DateRangeOrderError,
    DateRangeTooLongError,
    InvalidDateError,
    ReportError,
)
from voice.reports.funnel import Funnel, FunnelRow
from voice.reports.kpis import KpiSums
from voice.reports.ranges import DateRange, parse_range
from voice.settings import load_settings

TODAY = date(2026, 11, 24)


def test_empty_fields_mean_the_last_seven_days() -> None:
    days = parse_range("", None, today=TODAY, timezone="UTC")
    assert (days.first, days.last, days.days) == (date(2026, 11, 18), TODAY, 7)
    assert days.query() == {"from": "2026-11-18", "to": "2026-11-24"}
    assert parse_range(None, "2026-11-10", today=TODAY, timezone="UTC").first == \
        date(2026, 11, 4)


def test_range_is_local_days_in_utc() -> None:
    days = parse_range("2026-11-24", "2026-11-24", today=TODAY, timezone="America/New_York")
    assert days.start == datetime(2026, 11, 24, 5, tzinfo=UTC)
    assert days.end == datetime(2026, 11, 25, 5, tzinfo=UTC)
    # the day the clocks go back in New York has 25 hours
    fall = parse_range("2026-11-01", "2026-11-01", today=TODAY, timezone="America/New_York")
    assert (fall.end - fall.start).total_seconds() == 25 * 3600


@pytest.mark.parametrize(("first", "last", "error", "words"), [
    ("2026-13-01", "", InvalidDateError, "'from': '2026-13-01' is not a date; write it as "
                                         "YYYY-MM-DD"),
    ("", "yesterday", InvalidDateError, "'to': 'yesterday' is not a date"),
    ("2026-11-24", "2026-11-20", DateRangeOrderError,
     "the range ends (2026-11-20) before it starts (2026-11-24)"),
    ("2025-01-01", "2026-11-24", DateRangeTooLongError,
     "the range spans 693 days; one report covers at most 366 days"),
    ("", "0001-01-03", InvalidDateError, "'to': 0001-01-03 is outside the years 1900-9998"),
    ("9999-12-30", "", InvalidDateError, "'from': 9999-12-30 is outside"),
])
def test_bad_ranges_say_what_to_fix(first: str, last: str, error: type[ReportError],
                                    words: str) -> None:
    with pytest.raises(error) as caught:
        parse_range(first, last, today=TODAY, timezone="UTC")
    assert words in str(caught.value)


def test_report_csv() -> None:
    days = DateRange(TODAY, TODAY, "UTC")
    sums = KpiSums(offered=4, answered=2, abandoned=2, handled=2, answered_within_threshold=1,
                   abandoned_after_threshold=1, wait_seconds=40.0, handle_seconds=180.0)
    report = Report("queue", days, None, [ReportRow("support", sums, 20),
                                         ReportRow("=cmd|x", KpiSums(), 30)])
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert rows[0] == report_columns("queue") == [
        "queue", "service_level_threshold_s", "offered", "answered", "abandoned", "handled",
        "answered_within_threshold", "abandoned_after_threshold", "service_level_pct",
        "asa_seconds", "aht_seconds", "abandonment_rate_pct"]
    assert rows[1] == ["support", "20", "4", "2", "2", "2", "1", "1", "33.3", "20.0", "90.0",
                       "50.0"]
    # no averages of nothing: empty cells; a formula-looking name is defused
    assert rows[2] == ["'=cmd|x", "30", "0", "0", "0", "0", "0", "0", "", "", "", ""]
    hour = Report("hour", days, None, [ReportRow("09:00", sums)])
    assert report_csv(hour).splitlines()[0].startswith("hour,offered,")


def test_funnel_csv() -> None:
    result = Funnel("main", datetime(2026, 11, 24, tzinfo=UTC),
                    datetime(2026, 11, 25, tzinfo=UTC), 8,
                    [FunnelRow("greeting", "say", 8), FunnelRow("main_menu", "menu", 6, 2)])
    assert funnel_csv(result).splitlines() == [
        "node,type,reached,left,contained,queued,went_on",
        "greeting,say,8,0,0,0,8", "main_menu,menu,6,2,0,0,4"]


def test_wallboard_timezone_setting(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert load_settings({"VOICE_DATA_DIR": data}).wallboard_timezone == "UTC"
    settings = load_settings({"VOICE_DATA_DIR": data,
                              "VOICE_WALLBOARD_TIMEZONE": "Europe/Berlin"})
    assert settings.wallboard_timezone == "Europe/Berlin"
    with pytest.raises(SettingsError) as caught:
        load_settings({"VOICE_DATA_DIR": data, "VOICE_WALLBOARD_TIMEZONE": "Mars/Olympus"})
    assert ("VOICE_WALLBOARD_TIMEZONE: 'Mars/Olympus' is not an IANA time zone name; use "
            "e.g. UTC, Europe/Berlin or America/New_York") in str(caught.value)
    with pytest.raises(SettingsError, match=r"VOICE_WALLBOARD_TIMEZONE: '\.\./etc/passwd'"):
        load_settings({"VOICE_DATA_DIR": data, "VOICE_WALLBOARD_TIMEZONE": "../etc/passwd"})
