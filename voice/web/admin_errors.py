"""Errors of the admin pages: a form that cannot be applied, and why.

Each admin view catches the service's own errors and turns them into :class:`AdminFormError`
(the page is shown again with the message and the values typed, status 422, nothing
changed). The schedules editor raises the more specific subclasses below.
"""

from __future__ import annotations

from collections.abc import Sequence

from voice.errors import VoiceError


class AdminFormError(VoiceError):
    """A form of an admin page was refused; ``problems`` holds one line each to show."""

    status = 422

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class InvalidScheduleEditError(AdminFormError):
    """The edited schedules file would not pass the flow check (nothing was written)."""


class ScheduleInUseError(AdminFormError):
    """A schedule a flow's ``hours`` node names cannot be removed."""

    def __init__(self, name: str, users: Sequence[str]) -> None:
        super().__init__(
            f"schedule '{name}' is used by {', '.join(users)}; point those hours nodes at "
            "another schedule (and publish) before removing it")


class ScheduleFileChangedError(AdminFormError):
    """The schedules file changed since the page was shown (another admin, an editor)."""

    status = 409

    def __init__(self, shown: str) -> None:
        super().__init__(
            f"{shown} changed since this page was loaded (someone else edited it); nothing "
            "was saved. Look at the schedules below and make your change again.")


class ScheduleFileUnwritableError(AdminFormError):
    """The schedules file cannot be replaced (permissions, disk full)."""

    status = 503
