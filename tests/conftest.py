"""Shared fixtures: real databases (SQLite files and a throwaway PostgreSQL database), settings,
services, the Flask app, the CLI runner and a fake Twilio REST API (``fake_twilio``).

``db_url`` runs a test once per backend. PostgreSQL is the server on 127.0.0.1:5432 (user
postgres, trust auth); one database ``voice_test_<random>`` is created per test session,
emptied before every test that uses it and dropped at the end. Under CI=true an unreachable
PostgreSQL fails the tests that need it; locally they are skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from demo_data import import_demo_customers
from fakes.twilio_api import FakeTwilioApi, serve_fake_twilio
from flask import Flask
from flask.testing import FlaskClient
from tooling import TEST_HASHING
from web_app import running_app

from voice.compose import Services, build_services
from voice.settings import PROJECT_ROOT, Settings, load_settings
from voice.store.migrate import upgrade

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN_CONNINFO = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test connect_timeout=5"
REPO_FLOWS_DIR = PROJECT_ROOT / "ivr_flows"


def running_in_ci() -> bool:
    """True when the CI environment variable asks for no skipping."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(autouse=True)
def _isolated_voice_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's own VOICE_* variables out of every test."""
    for name in list(os.environ):
        if name.startswith("VOICE_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """URL of a PostgreSQL database created for this test session (dropped afterwards)."""
    try:
        admin = psycopg.connect(PG_ADMIN_CONNINFO, autocommit=True)
    except psycopg.OperationalError as exc:
        message = (
            f"PostgreSQL at {PG_HOST}:{PG_PORT} is unreachable ({' '.join(str(exc).split())}); "
            "start it (bash scripts/test.sh does) or run without it outside CI"
        )
        if running_in_ci():
            pytest.fail(message)
        pytest.skip(message)
    name = f"voice_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_pg_database(url: str) -> None:
    """Drop every table (and the Alembic version) so each test starts from an empty database."""
    database = url.rsplit("/", 1)[1]
    conninfo = f"host={PG_HOST} port={PG_PORT} user=postgres dbname={database} connect_timeout=5"
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a fresh SQLite file, or the session's emptied PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'voice.db'}"
    url: str = request.getfixturevalue("pg_database")
    reset_pg_database(url)
    return url


def settings_for(db_url: str, data_dir: Path, **extra: str) -> Settings:
    """Settings as a test process would get them from its environment (cheap argon2 unless
    ``extra`` says otherwise)."""
    environ = {
        "VOICE_DATA_DIR": str(data_dir),
        "VOICE_DATABASE_URL": db_url,
        "VOICE_FLOWS_DIR": str(REPO_FLOWS_DIR),
        **TEST_HASHING,
        **extra,
    }
    return load_settings(environ)


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    """``make_settings(db_url, data_dir, VOICE_X="...")``: settings for a custom database."""
    return settings_for


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at ``db_url``, a temporary data dir and the repository's flows."""
    return settings_for(db_url, tmp_path / "data")


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """Services over a migrated database; closed after the test."""
    upgrade(settings.database_url)
    built = build_services(settings)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def demo_customers(services: Services) -> Services:
    """``services`` with the demo customers imported."""
    import_demo_customers(services)
    return services


@pytest.fixture
def app(services: Services) -> Iterator[Flask]:
    """The web app over the same (migrated) database as ``services``."""
    with running_app(services.settings) as flask_app:
        yield flask_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``."""
    return app.test_client()


@pytest.fixture
def runner() -> CliRunner:
    """A click runner for ``voice`` commands."""
    return CliRunner()


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilioApi]:
    """A fake Twilio REST API on 127.0.0.1 (``tests/fakes/twilio_api.py``), stopped after.

    ``settings_for(db_url, data_dir, **fake_twilio.settings_env())`` points the service at
    it; ``fake_twilio.requests`` holds what it received; ``fake_twilio.fail_next(500)``.
    """
    with serve_fake_twilio() as fake:
        yield fake
