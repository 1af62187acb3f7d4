"""Fixtures of the customers and caller verification tests.

Settings with cheap argon2 costs (many hashes per test), an account locked after 3 failures
in a row and a caller ID refused after 5 failures across accounts; a writable flows folder
(the demo flows plus any a test writes); ``voice`` runs CLI commands on the same database;
``write_csv`` writes a customers CSV. Helpers the tests import are in ``customer_helpers``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from customer_helpers import CSV_HEADER, Voice

from voice.cli import main
from voice.compose import Services
from voice.settings import PROJECT_ROOT, Settings

AUTH_SETTINGS = {
    "VOICE_AUTH_HASH_TIME_COST": "1",
    "VOICE_AUTH_HASH_MEMORY_KIB": "8192",
    "VOICE_AUTH_LOCKOUT_ATTEMPTS": "3",
    "VOICE_AUTH_CALLER_ATTEMPTS": "5",
}


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    """A writable flows folder holding the demo flows (``main``, ``payments``)."""
    target = tmp_path / "flows"
    target.mkdir()
    for name in ("main.yaml", "payments.yaml"):
        shutil.copy(PROJECT_ROOT / "ivr_flows" / name, target / name)
    return target


@pytest.fixture
def settings(db_url: str, tmp_path: Path, flows_dir: Path,
             make_settings: Callable[..., Settings]) -> Settings:
    """Test settings: cheap hashing, lockout after 3 failures, caller limit after 5."""
    return make_settings(db_url, tmp_path / "data", VOICE_FLOWS_DIR=str(flows_dir),
                         **AUTH_SETTINGS)


@pytest.fixture
def cli_env(services: Services) -> dict[str, str]:
    """The environment of a ``voice`` command on the test database with the test settings."""
    settings = services.settings
    return {"VOICE_DATA_DIR": str(settings.data_dir),
            "VOICE_DATABASE_URL": settings.database_url,
            "VOICE_FLOWS_DIR": str(settings.flows_dir), **AUTH_SETTINGS}


@pytest.fixture
def voice(cli_env: dict[str, str]) -> Voice:
    """``voice(*args, input=None)``: run a ``voice`` command as an admin would."""

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, env=cli_env)

    return run


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """``write_csv(rows, name=..., header=...)``: a customers CSV in a temporary folder."""

    def write(rows: str, name: str = "customers.csv", header: str = CSV_HEADER) -> Path:
        path = tmp_path / name
        path.write_text(header + rows, encoding="utf-8")
        return path

    return write

