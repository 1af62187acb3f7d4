"""Fixtures of the recordings tests: keyed settings, a frozen clock, flows with retention.

``settings`` (overriding the shared one) adds a recordings master key, 30 days of default
retention, cheap argon2 costs (API tests log in often) and a writable flows folder with two
published-ready flows: ``sales`` keeps its recordings 7 days, ``support`` sets nothing.
``services`` is built with ``clock``, a :class:`FrozenClock` at :data:`T0`. ``voice`` runs a
``voice`` command against the same database, folder and key. Helpers the tests import are in
``recording_helpers``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from recording_helpers import (
    DEFAULT_RETENTION_DAYS,
    SALES_FLOW,
    SALES_RETENTION_DAYS,
    SUPPORT_FLOW,
    T0,
    FrozenClock,
    new_master_key,
)

from voice.cli import main
from voice.compose import Services, build_services
from voice.settings import Settings
from voice.store.migrate import upgrade


@pytest.fixture
def master_key() -> str:
    """The VOICE_RECORDINGS_KEY of the test settings."""
    return new_master_key()


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    """A flows folder with ``sales`` (7 days of retention) and ``support`` (the default)."""
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "sales.yaml").write_text(SALES_FLOW.format(days=SALES_RETENTION_DAYS))
    (folder / "support.yaml").write_text(SUPPORT_FLOW)
    return folder


@pytest.fixture
def recordings_env(flows_dir: Path, master_key: str) -> dict[str, str]:
    """The VOICE_* settings these tests add to the shared ones."""
    return {"VOICE_FLOWS_DIR": str(flows_dir), "VOICE_RECORDINGS_KEY": master_key,
            "VOICE_RETENTION_DAYS": str(DEFAULT_RETENTION_DAYS),
            "VOICE_AUTH_HASH_TIME_COST": "1", "VOICE_AUTH_HASH_MEMORY_KIB": "8192"}


@pytest.fixture
def settings(db_url: str, tmp_path: Path, make_settings: Callable[..., Settings],
             recordings_env: dict[str, str]) -> Settings:
    """Test settings with a master key, 30 days of retention and cheap hashing."""
    return make_settings(db_url, tmp_path / "data", **recordings_env)


@pytest.fixture
def clock() -> FrozenClock:
    """The clock of ``services``; starts at T0."""
    return FrozenClock(T0)


@pytest.fixture
def services(settings: Settings, clock: FrozenClock) -> Iterator[Services]:
    """Services over a migrated database, stamping recordings with ``clock``."""
    upgrade(settings.database_url)
    built = build_services(settings, clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def voice(services: Services, recordings_env: dict[str, str]) -> Callable[..., Result]:
    """``voice(*args)``: run a ``voice`` command on the test database and folder."""
    env = {"VOICE_DATA_DIR": str(services.settings.data_dir),
           "VOICE_DATABASE_URL": services.settings.database_url, **recordings_env}

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

    return run
