"""UserService: who may be added, and how passwords, API keys and disabling behave."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from voice.auth.hashing import SecretHasher
from voice.compose import Services
from voice.store.models import User
from voice.users.errors import DuplicateUserError, InvalidUserError, UserNotFoundError
from voice.users.repository import UserRepository
from voice.users.service import ROLES, UserService

PASSWORD = "correct horse"
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def test_add_then_list_shows_users_sorted_without_secrets(services: Services) -> None:
    service = UserService(UserRepository(services.session_factory), SecretHasher(1, 8192),
                          clock=lambda: NOW)

    added = service.add("bob.smith", "agent", PASSWORD)
    service.add("alice", "admin", PASSWORD)

    assert (added.username, added.role, added.disabled, added.has_api_key) == (
        "bob.smith", "agent", False, False)
    assert added.created_at == NOW
    assert [(u.username, u.role) for u in service.list()] == [("alice", "admin"),
                                                              ("bob.smith", "agent")]
    assert "hash" not in " ".join(service.list()[0].to_dict())


@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_be_given(users: UserService, role: str) -> None:
    assert users.add(f"user-{role}", role, PASSWORD).role == role


def test_bad_username_role_and_password_are_reported_together(users: UserService) -> None:
    with pytest.raises(InvalidUserError) as caught:
        users.add("bob smith", "root", "short")

    message = str(caught.value)
    assert "only contain letters, digits" in message
    assert "role 'root' is unknown; use one of admin, supervisor, qa, agent" in message
    assert "use at least 8" in message
    assert users.list() == []


@pytest.mark.parametrize("username", ["", "x" * 101, "bob/../admin", "bob@example.com"])
def test_usernames_outside_the_rules_are_refused(users: UserService, username: str) -> None:
    with pytest.raises(InvalidUserError, match="username"):
        users.add(username, "agent", PASSWORD)


def test_longest_allowed_username(users: UserService) -> None:
    assert users.add("x" * 100, "qa", PASSWORD).username == "x" * 100


def test_duplicate_username_is_a_clear_error(users: UserService) -> None:
    users.add("alice", "admin", PASSWORD)

    with pytest.raises(DuplicateUserError, match=r"'alice' already exists.*voice users passwd"):
        users.add("alice", "agent", "another password")

    assert [u.role for u in users.list()] == ["admin"]


def test_check_password(users: UserService) -> None:
    users.add("alice", "supervisor", PASSWORD)

    user = users.check_password("alice", PASSWORD)
    assert user is not None
    assert (user.username, user.role) == ("alice", "supervisor")
    assert users.check_password("alice", "wrong password") is None
    assert users.check_password("nobody", PASSWORD) is None
    assert users.check_password("", PASSWORD) is None


def test_passwd_replaces_the_password(users: UserService) -> None:
    users.add("alice", "admin", PASSWORD)

    users.passwd("alice", "a new secret")

    assert users.check_password("alice", PASSWORD) is None
    assert users.check_password("alice", "a new secret") is not None
    with pytest.raises(InvalidUserError, match="at least 8"):
        users.passwd("alice", "short")
    with pytest.raises(UserNotFoundError, match="no user is called 'nobody'"):
        users.passwd("nobody", "a new secret")


def test_api_key_identifies_its_user_and_is_stored_only_as_sha256(
    users: UserService, services: Services
) -> None:
    users.add("alice", "admin", PASSWORD)

    key = users.new_api_key("alice")

    assert key.startswith("vk_") and len(key) > 40
    user = users.check_api_key(key)
    assert user is not None and user.username == "alice"
    assert users.list()[0].has_api_key
    with services.session_factory() as session:
        stored = session.scalars(select(User.api_key_hash)).one()
    assert stored == hashlib.sha256(key.encode()).hexdigest()


def test_new_api_key_replaces_the_old_one(users: UserService) -> None:
    users.add("alice", "admin", PASSWORD)
    old = users.new_api_key("alice")

    new = users.new_api_key("alice")

    assert new != old
    assert users.check_api_key(old) is None
    assert users.check_api_key(new) is not None


def test_unknown_api_keys_are_refused(users: UserService) -> None:
    users.add("alice", "admin", PASSWORD)
    key = users.new_api_key("alice")

    assert users.check_api_key(key + "x") is None
    assert users.check_api_key(key[3:]) is None
    assert users.check_api_key("") is None
    with pytest.raises(UserNotFoundError):
        users.new_api_key("nobody")


def test_disabled_users_cannot_log_in_until_enabled(users: UserService) -> None:
    users.add("alice", "admin", PASSWORD)
    key = users.new_api_key("alice")

    users.set_disabled("alice", True)

    assert users.list()[0].disabled
    assert users.check_password("alice", PASSWORD) is None
    assert users.check_api_key(key) is None

    users.set_disabled("alice", False)

    assert users.check_password("alice", PASSWORD) is not None
    assert users.check_api_key(key) is not None
