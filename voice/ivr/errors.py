"""Errors raised by the IVR engine and the flow loader.

Exception tree::

    IvrError
    ├── IvrProtocolError      an event that is not legal in the session's current state;
    │                         the state is left exactly as it was (the h11 rule)
    ├── FlowError             a flow (or a set of flows) failed validation; ``problems``
    │                         holds every problem, each printable as
    │                         ``file:line: node 'x': field 'y': message``
    └── ScheduleError         a business-hours schedule file is malformed

This module must not import anything that does I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class IvrError(Exception):
    """Base class of every error raised under ``voice.ivr``."""


class IvrProtocolError(IvrError):
    """The event is not legal now; the session state is unchanged."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, located in a file by line (1-based)."""

    file: str
    line: int
    node: str | None = None
    field: str | None = None
    message: str = ""

    def sort_key(self) -> tuple[str, int, str, str, str]:
        """Order problems by file, line, node, field, message."""
        return (self.file, self.line, self.node or "", self.field or "", self.message)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:"
        if self.node is not None:
            where += f" node '{self.node}':"
        if self.field is not None:
            where += f" field '{self.field}':"
        return f"{where} {self.message}"


class FlowError(IvrError):
    """One or more flows are invalid; ``problems`` lists all of them, sorted."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))


class ScheduleError(IvrError):
    """A schedules document is malformed; the message lists every problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
