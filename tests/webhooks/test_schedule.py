"""The retry schedule: the waits, the jitter, Retry-After, and when a delivery is dead."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from webhooks.schedule import DELAYS, MAX_ATTEMPTS, RetrySchedule, parse_retry_after

NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


class FixedRandom(random.Random):
    """``uniform`` always answers the same end of the range."""

    def __init__(self, end: str) -> None:
        super().__init__(0)
        self.end = end

    def uniform(self, a: float, b: float) -> float:
        return a if self.end == "low" else b


def test_the_schedule_is_immediately_5s_5min_30min_2h_5h_10h_10h() -> None:
    schedule = RetrySchedule(jitter=0)

    waits = [schedule.next_attempt(n, NOW) for n in range(1, MAX_ATTEMPTS)]

    assert MAX_ATTEMPTS == 8 and DELAYS[0] == timedelta(0)
    assert [w - NOW for w in waits if w] == [
        timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
        timedelta(hours=5), timedelta(hours=10), timedelta(hours=10)]


def test_after_the_last_attempt_there_is_none() -> None:
    assert RetrySchedule().next_attempt(MAX_ATTEMPTS, NOW) is None
    assert RetrySchedule().next_attempt(MAX_ATTEMPTS + 3, NOW) is None


def test_jitter_stays_within_twenty_percent() -> None:
    assert RetrySchedule(rng=FixedRandom("low")).next_attempt(2, NOW) == NOW + timedelta(
        minutes=4)
    assert RetrySchedule(rng=FixedRandom("high")).next_attempt(2, NOW) == NOW + timedelta(
        minutes=6)
    seeded = RetrySchedule(rng=random.Random(7))
    waits = {seeded.next_attempt(4, NOW) - NOW for _ in range(50)}
    assert len(waits) > 1
    assert all(timedelta(hours=1.6) <= w <= timedelta(hours=2.4) for w in waits)


def test_a_longer_retry_after_in_seconds_wins() -> None:
    schedule = RetrySchedule(jitter=0)

    assert schedule.next_attempt(1, NOW, "120") == NOW + timedelta(seconds=120)
    assert schedule.next_attempt(2, NOW, "120") == NOW + timedelta(minutes=5)  # shorter: no


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(NOW + timedelta(hours=1), usegmt=True)

    assert RetrySchedule(jitter=0).next_attempt(1, NOW, later) == NOW + timedelta(hours=1)


def test_retry_after_is_capped_at_a_day() -> None:
    assert RetrySchedule(jitter=0).next_attempt(1, NOW, str(7 * 86400)) == NOW + timedelta(
        hours=24)


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "Tue, 99 Foo 2026 00:00:00"])
def test_unreadable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None
    assert RetrySchedule(jitter=0).next_attempt(1, NOW, value) == NOW + timedelta(seconds=5)


def test_retry_after_in_the_past_asks_for_nothing() -> None:
    earlier = format_datetime(NOW - timedelta(hours=1), usegmt=True)

    assert parse_retry_after(earlier, NOW) == timedelta(0)
