"""An injected clock for the webhook tests: it stands still until a test moves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class FakeClock:
    """A clock that stands still until advanced."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta``; returns the new time."""
        self.now += delta
        return self.now

    def to(self, moment: datetime) -> datetime:
        """Move to ``moment`` (never back)."""
        self.now = max(self.now, moment)
        return self.now
