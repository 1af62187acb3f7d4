"""Package-level errors of the voice service.

Owns the root of the exception tree and the errors that belong to no sub-package (settings).
Sub-packages define their own ``errors.py`` whose classes derive from :class:`VoiceError`, so a
process entry point can catch one type and print a message that tells the user what to fix::

    VoiceError
    +-- SettingsError            (voice.errors)      invalid or unknown VOICE_* settings
    +-- StoreError               (voice.store.errors)
    |   +-- DatabaseUnavailableError
    |   +-- ConcurrentUpdateError
    +-- CallsError               (voice.calls.errors)
        +-- CallNotFoundError, DuplicateCallError, InvalidCallDataError
"""

from __future__ import annotations

from collections.abc import Iterable


class VoiceError(Exception):
    """Base class of every error the voice service raises on purpose."""


class SettingsError(VoiceError):
    """One or more settings are invalid; ``problems`` holds one line per problem.

    The message lists every problem at once so the user can fix them all in one go.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"Invalid settings (fix these and start again):\n{lines}")
