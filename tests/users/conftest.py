"""Fixtures of the staff user tests: settings with cheap argon2 costs (fast tests)."""

from __future__ import annotations

import pytest
from tooling import TEST_HASHING

from voice.compose import Services
from voice.users.service import UserService


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
        **TEST_HASHING,
    }
