"""Errors of staff users (``voice.users``); each message says what to fix."""

from __future__ import annotations

from collections.abc import Sequence

from voice.errors import VoiceError


class UserError(VoiceError):
    """Base class of staff user errors."""


class UserNotFoundError(UserError):
    """No user has this username."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(f"no user is called '{username}'; check the name with "
                         "'voice users list' or add the user with 'voice users add'")


class DuplicateUserError(UserError):
    """A user with this username already exists."""

    def __init__(self, username: str) -> None:
        self.username = username
        super().__init__(f"a user called '{username}' already exists; pick another name, or "
                         f"change the password with 'voice users passwd {username}'")


class InvalidUserError(UserError, ValueError):
    """A username, role or password breaks the rules; ``problems`` holds one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class UnknownRoleError(InvalidUserError):
    """A role that is not one of :data:`voice.users.service.ROLES`."""

    def __init__(self, role: str, known: Sequence[str]) -> None:
        self.role = role
        super().__init__([f"role '{role}' is unknown; use one of {', '.join(known)}"])
