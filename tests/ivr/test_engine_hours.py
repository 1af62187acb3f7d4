"""``hours`` nodes: open, closed or holiday by a schedule, in the schedule's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from voice.ivr import ScheduleError, parse_schedules

SCHEDULES = parse_schedules({"schedules": {
    "support": {
        "timezone": "America/New_York",
        "hours": {"mon-fri": "08:00-20:00", "sat": "09:00-13:00", "sun": "closed"},
        "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}, "2027-01-01"],
    },
    "lunch": {
        "timezone": "Europe/Berlin",
        "hours": {"mon-fri": "08:00-12:00, 13:00-17:00"},
    },
    "weekend": {
        "timezone": "Asia/Tokyo",
        "hours": {"fri-mon": "00:00-24:00", "tue-thu": "closed"},
    },
}})

FLOW = """
    id: t
    name: hours test
    start: hours
    nodes:
      hours:
        type: hours
        schedule: {schedule}
        open: opened
        closed: closed
        {holiday}
      opened: {type: say, text: We are open., next: bye}
      closed: {type: say, text: We are closed., next: bye}
      holiday: {type: say, text: Happy holidays., next: bye}
      bye: {type: hangup}
"""


def flow(schedule: str, *, holiday: bool = True) -> str:
    text = FLOW.replace("{schedule}", schedule)
    if holiday:
        return text.replace("{holiday}", "holiday: holiday")
    # without a holiday target the 'holiday' say node is unreachable: drop it
    text = text.replace("{holiday}", "")
    return text.replace("      holiday: {type: say, text: Happy holidays., next: bye}\n", "")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# (schedule, moment, status recorded in the path, node the caller goes to)
ROWS = [
    # America/New_York, mon-fri 08-20, sat 09-13, sun closed (November: UTC-5)
    ("support", utc(2026, 11, 24, 15, 0), "open", "opened"),          # Tue 10:00
    ("support", utc(2026, 11, 24, 13, 0), "open", "opened"),          # Tue 08:00 sharp
    ("support", utc(2026, 11, 24, 12, 59), "closed", "closed"),       # Tue 07:59
    ("support", utc(2026, 11, 25, 0, 30), "open", "opened"),          # Tue 19:30 (Wed in UTC)
    ("support", utc(2026, 11, 25, 1, 0), "closed", "closed"),         # Tue 20:00: end excluded
    ("support", utc(2026, 11, 28, 14, 30), "open", "opened"),         # Sat 09:30
    ("support", utc(2026, 11, 28, 18, 30), "closed", "closed"),       # Sat 13:30
    ("support", utc(2026, 11, 29, 16, 0), "closed", "closed"),        # Sun noon
    ("support", utc(2026, 12, 25, 15, 0), "holiday", "holiday"),      # Christmas, office hours
    ("support", utc(2026, 12, 26, 3, 0), "holiday", "holiday"),       # Dec 25 22:00 local
    ("support", utc(2026, 12, 25, 4, 0), "closed", "closed"),         # Dec 24 23:00 local
    ("support", utc(2027, 1, 1, 15, 0), "holiday", "holiday"),        # a plain date holiday
    ("support", utc(2026, 7, 7, 12, 30), "open", "opened"),           # July (UTC-4): 08:30
    # Europe/Berlin, mon-fri 08-12 and 13-17: the lunch break is closed
    ("lunch", utc(2026, 11, 24, 10, 30), "open", "opened"),           # 11:30
    ("lunch", utc(2026, 11, 24, 11, 0), "closed", "closed"),          # 12:00
    ("lunch", utc(2026, 11, 24, 11, 30), "closed", "closed"),         # 12:30
    ("lunch", utc(2026, 11, 24, 12, 0), "open", "opened"),            # 13:00
    ("lunch", utc(2026, 11, 24, 16, 0), "closed", "closed"),          # 17:00
    ("lunch", utc(2026, 11, 24, 6, 30), "closed", "closed"),          # 07:30 in winter (UTC+1)
    ("lunch", utc(2026, 7, 7, 6, 30), "open", "opened"),              # 08:30 in summer (UTC+2)
    ("lunch", utc(2026, 11, 28, 10, 0), "closed", "closed"),          # Saturday
    # Asia/Tokyo, fri-mon all day (a day range that wraps past Sunday)
    ("weekend", utc(2026, 11, 22, 16, 0), "open", "opened"),          # Mon 01:00 JST
    ("weekend", utc(2026, 11, 23, 14, 59, 59), "open", "opened"),     # Mon 23:59:59 JST
    ("weekend", utc(2026, 11, 23, 15, 0), "closed", "closed"),        # Tue 00:00 JST
    ("weekend", utc(2026, 11, 26, 15, 0), "open", "opened"),          # Fri 00:00 JST
]


@pytest.mark.parametrize(("schedule", "at", "status", "goes_to"), ROWS,
                         ids=[f"{r[0]}-{r[1]:%Y%m%dT%H%M%S}Z" for r in ROWS])
def test_hours_node(call_factory, schedule, at, status, goes_to) -> None:
    call = call_factory(flow(schedule), schedules=SCHEDULES, at=at)
    assert call.visits() == ["hours", goes_to, "bye"]
    entry = call.entry("hours")
    assert entry["outcome"] == status
    assert entry["detail"] == {"schedule": schedule}


@pytest.mark.parametrize(("at", "status", "goes_to"), [
    (utc(2026, 12, 25, 15, 0), "holiday", "closed"),
    (utc(2026, 11, 24, 15, 0), "open", "opened"),
    (utc(2026, 11, 29, 16, 0), "closed", "closed"),
], ids=["holiday-falls-back-to-closed", "open", "closed"])
def test_hours_without_holiday_target(call_factory, brief, at, status, goes_to) -> None:
    call = call_factory(flow("support", holiday=False), schedules=SCHEDULES, at=at)
    assert call.visits() == ["hours", goes_to, "bye"]
    assert call.outcome("hours") == status
    spoken = {"closed": "We are closed.", "opened": "We are open."}[goes_to]
    assert brief(call.history[0]) == [("start-recording",), ("say", spoken), ("hangup", "flow")]


def test_hours_uses_the_call_start_time_not_a_clock(call_factory) -> None:
    # two calls to the same flow an hour apart give different answers
    early = call_factory(flow("support"), schedules=SCHEDULES, at=utc(2026, 11, 24, 12, 30))
    late = call_factory(flow("support"), schedules=SCHEDULES, at=utc(2026, 11, 24, 13, 30))
    assert (early.outcome("hours"), late.outcome("hours")) == ("closed", "open")


@pytest.mark.parametrize(("spec", "message"), [
    ({"timezone": "Mars/Olympus", "hours": {"mon": "closed"}}, "unknown time zone 'Mars/Olympus'"),
    ({"timezone": "UTC", "hours": {"monday": "08:00-12:00"}}, "'monday' is not a day"),
    ({"timezone": "UTC", "hours": {"mon": "12:00-08:00"}}, "is not 'closed' or ranges"),
    ({"timezone": "UTC", "hours": {"mon": "closed"}, "holidays": ["25/12/2026"]},
     "'25/12/2026' is not a date"),
], ids=["timezone", "day-name", "backwards-range", "holiday-date"])
def test_bad_schedules_are_reported(spec, message) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedules({"schedules": {"x": spec}})
    assert message in str(info.value)
