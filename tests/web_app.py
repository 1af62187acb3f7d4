"""The real web app for a test: built in testing mode, its services closed afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import Flask

from voice.app import create_app
from voice.settings import Settings


@contextmanager
def running_app(settings: Settings,
                clock: Callable[[], datetime] | None = None) -> Iterator[Flask]:
    """``create_app(settings, clock)`` with TESTING on; its services closed on exit."""
    app = create_app(settings, clock)
    app.config["TESTING"] = True
    try:
        yield app
    finally:
        app.extensions["voice"].close()
