"""Helpers of the customers tests: database dumps, secret search, API credentials."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

from click.testing import Result
from sqlalchemy import inspect, text

from voice.compose import Services

CSV_HEADER = "account_number,first_name,last_name,phones,tier,pin,zip,dob\n"
#: the ``voice`` fixture: ``voice(*args, input=None)`` runs a ``voice`` command
Voice = Callable[..., Result]


def dump_database(services: Services) -> str:
    """Every row of every table as text."""
    with services.engine.connect() as db:
        tables = inspect(db).get_table_names()
        return "\n".join(str(row) for table in tables
                         for row in db.execute(text(f'SELECT * FROM "{table}"')))


def contains_digits(dump: str, *secrets: str) -> bool:
    """Whether any secret appears as a whole digit run (not inside a longer number or id)."""
    return any(re.search(rf"(?<![0-9A-Za-z]){s}(?![0-9A-Za-z])", dump) for s in secrets)


def basic(username: str, password: str) -> dict[str, str]:
    """HTTP Basic credentials."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(key: str) -> dict[str, str]:
    """An API key as a Bearer token."""
    return {"Authorization": f"Bearer {key}"}
