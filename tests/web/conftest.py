"""Fixtures of the web tests: headless Chromium for the browser tests (a file that needs
other browser flags defines its own ``browser``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from live_browser import launch_chromium


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (the Debian package, not a Playwright download)."""
    with launch_chromium() as chromium:
        yield chromium
