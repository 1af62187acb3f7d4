"""What the browser tests share: the real app served on loopback, and Debian's Chromium
driven headless by Playwright (never a Playwright download).

Under CI=true a missing Chromium or Playwright fails the test; elsewhere it is skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from tooling import in_ci, require_tools
from werkzeug.serving import make_server

from voice.app import create_app
from voice.compose import Services

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOOPBACK = "127.0.0.1"

sync_api: Any
try:
    from playwright import sync_api
except ImportError:  # reported by launch_chromium as a failure (CI) or a skip
    sync_api = None


@contextmanager
def serve_app(services: Services) -> Iterator[str]:
    """The app over ``services``' settings on a loopback port (threaded: SSE); its URL."""
    app = create_app(services.settings)
    server = make_server(LOOPBACK, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["voice"].close()


@contextmanager
def launch_chromium(extra_args: Sequence[str] = ()) -> Iterator[Any]:
    """Headless Chromium; Playwright's expectations wait up to 20 s."""
    require_tools("chromium")
    if sync_api is None:
        message = "Playwright is missing; install the test extra: pip install -e '.[test]'"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    sync_api.expect.set_options(timeout=20_000)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield chromium
        finally:
            chromium.close()
