"""What the browser tests share: the real app served on loopback, Debian's Chromium driven
headless by Playwright (never a Playwright download), a browser context that lets no request
leave loopback, signing in through the login form, and screenshots for review.

Under CI=true a missing Chromium or Playwright fails the test; elsewhere it is skipped.
Screenshots go to ``$VOICE_TEST_OUTPUT/screenshots`` (default ``test-output/screenshots``
in the checkout, git-ignored).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tooling import in_ci, require_tools
from werkzeug.serving import make_server

from voice.app import create_app
from voice.compose import Services
from voice.settings import PROJECT_ROOT

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


@dataclass
class LoopbackPage:
    """A page in a fresh context whose requests off loopback are aborted (and listed), with
    the page's script errors collected."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def loopback_page(chromium: Any) -> LoopbackPage:
    """A new context and page that cannot reach anything but loopback."""
    context = chromium.new_context()
    result = LoopbackPage(page=None)

    def external(url: str) -> bool:
        return urlsplit(url).hostname not in (LOOPBACK, "localhost")

    context.route(external, lambda route: (result.blocked.append(route.request.url),
                                           route.abort("internetdisconnected")))
    page = context.new_page()
    page.on("pageerror", lambda exc: result.errors.append(str(exc)))
    page.on("console", lambda msg: result.errors.append(msg.text)
            if msg.type == "error" else None)
    result.page = page
    return result


def sign_in_page(page: Any, base_url: str, username: str, password: str,
                 path: str = "/") -> None:
    """Open ``path``, follow the redirect to the login form, sign in and wait to be back."""
    page.goto(f"{base_url}{path}")
    if "/login" in page.url:
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot named ``name`` for review; its path."""
    folder = Path(os.environ.get("VOICE_TEST_OUTPUT") or PROJECT_ROOT / "test-output") \
        / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
