"""Errors raised by the persistence layer (``voice.store``) and the repositories built on it.

Each message says what is wrong and what the operator can do about it.
"""

from __future__ import annotations

from voice.errors import VoiceError


class StoreError(VoiceError):
    """Base class of persistence errors."""


class DatabaseUnavailableError(StoreError):
    """The database cannot be reached, or its file is gone."""


class SchemaOutdatedError(StoreError):
    """The database schema is not at the revision this code expects."""

    def __init__(self, current: str | None, head: str) -> None:
        self.current = current
        self.head = head
        shown = current or "empty (no tables yet)"
        super().__init__(
            f"database schema is {shown}, this version needs revision {head}; "
            "run 'voice db upgrade'"
        )


class ConcurrentUpdateError(StoreError):
    """A write kept colliding with concurrent writers and gave up."""


class InvalidTimestampError(StoreError, ValueError):
    """A naive datetime was given where a timezone-aware one is required."""

    def __init__(self, value: object) -> None:
        super().__init__(
            f"datetime {value!r} has no time zone; pass an aware datetime, e.g. datetime.now(UTC)"
        )
