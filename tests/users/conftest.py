"""Fixtures of the staff user tests: settings with cheap argon2 costs (fast tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from voice.compose import Services
from voice.settings import Settings
from voice.users.service import UserService

FAST_HASHING = {"VOICE_AUTH_HASH_TIME_COST": "1", "VOICE_AUTH_HASH_MEMORY_KIB": "8192"}


@pytest.fixture
def settings(db_url: str, tmp_path: Path, make_settings: Callable[..., Settings]) -> Settings:
    """The shared ``settings`` fixture with argon2 costs low enough for many hashes."""
    return make_settings(db_url, tmp_path / "data", **FAST_HASHING)


@pytest.fixture
def users(services: Services) -> UserService:
    """The user service over the migrated test database."""
    assert services.user_service is not None
    return services.user_service


@pytest.fixture
def cli_env(services: Services) -> dict[str, str]:
    """The environment of a ``voice`` command on the test database, with cheap hashing."""
    settings = services.settings
    return {
        "VOICE_DATA_DIR": str(settings.data_dir),
        "VOICE_DATABASE_URL": settings.database_url,
        "VOICE_FLOWS_DIR": str(settings.flows_dir),
        **FAST_HASHING,
    }
