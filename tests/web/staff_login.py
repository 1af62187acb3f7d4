"""Helpers of the web login tests: cheap hashing, a clock the test moves, signing in with the
Flask test client and reading the CSRF token out of a page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from tooling import TEST_HASHING
from werkzeug.test import TestResponse

FAST_HASHING = TEST_HASHING
PASSWORD = "correct horse battery"
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move on by ``timedelta(**delta)``."""
        self.now += timedelta(**delta)


def csrf_of(page: TestResponse) -> str:
    """The CSRF token a page carries (login form field or the meta tag)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text) \
        or re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert found, f"no CSRF token in the page:\n{page.text[:500]}"
    return found.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD,
            next_url: str = "") -> TestResponse:
    """Open the login form and post it as a browser would; the POST's response."""
    token = csrf_of(client.get("/login"))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": next_url})
