"""Errors of the reports (``voice.reports``); each message says what to fix."""

from __future__ import annotations

from voice.errors import VoiceError


class ReportError(VoiceError):
    """Base class of report errors: a request the reports cannot answer as asked."""


class InvalidDateError(ReportError):
    """A ``from``/``to`` value is not a calendar date."""

    def __init__(self, field: str, value: str) -> None:
        self.field, self.value = field, value
        super().__init__(f"'{field}': '{value}' is not a date; write it as YYYY-MM-DD, "
                         "e.g. 2026-11-24")


class DateOutOfRangeError(InvalidDateError):
    """A ``from``/``to`` date no call can have (before 1900 or after 9998)."""

    def __init__(self, field: str, value: str) -> None:
        ReportError.__init__(self, f"'{field}': {value} is outside the years 1900-9998 "
                                   "reports cover; pick a date in them")
        self.field, self.value = field, value


class DateRangeOrderError(ReportError):
    """The range ends before it starts."""

    def __init__(self, first: str, last: str) -> None:
        self.first, self.last = first, last
        super().__init__(f"the range ends ({last}) before it starts ({first}); swap the dates "
                         "or pick a 'to' date on or after the 'from' date")


class DateRangeTooLongError(ReportError):
    """The range spans more days than one report covers."""

    def __init__(self, days: int, limit: int) -> None:
        self.days, self.limit = days, limit
        super().__init__(f"the range spans {days} days; one report covers at most {limit} "
                         "days, so pick a shorter range")


class UnknownBreakdownError(ReportError):
    """The CSV export was asked for a breakdown it does not have."""

    def __init__(self, value: str, known: tuple[str, ...]) -> None:
        self.value = value
        super().__init__(f"'by': '{value}' is not a breakdown; use one of {', '.join(known)}")


class MissingFlowError(ReportError):
    """The funnel needs a flow and none was named."""

    def __init__(self) -> None:
        super().__init__("'flow': name the flow whose funnel to show (pick one in the list)")
