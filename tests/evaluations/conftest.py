"""Evaluation tests' fixtures: a hand-moved clock and services built on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scorecard_samples import Clock

from voice.compose import Services, build_services
from voice.settings import Settings
from voice.store.migrate import upgrade


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    upgrade(settings.database_url)
    built = build_services(settings, clock=clock)
    try:
        yield built
    finally:
        built.close()
