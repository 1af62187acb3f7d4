"""UserService.get, set_role and revoke_api_key: what the admin users page builds on."""

from __future__ import annotations

import pytest

from voice.users.errors import InvalidUserError, UserNotFoundError
from voice.users.service import UserService

PASSWORD = "correct horse"


def test_set_role_takes_effect_for_the_key_at_once(users: UserService) -> None:
    users.add("sue", "supervisor", PASSWORD)
    key = users.new_api_key("sue")

    users.set_role("sue", "qa")

    assert users.get("sue").role == "qa"
    checked = users.check_api_key(key)
    assert checked is not None and checked.role == "qa"


def test_set_role_refuses_unknown_roles_and_users(users: UserService) -> None:
    users.add("sue", "supervisor", PASSWORD)
    with pytest.raises(InvalidUserError, match="role 'boss' is unknown"):
        users.set_role("sue", "boss")
    assert users.get("sue").role == "supervisor"
    with pytest.raises(UserNotFoundError):
        users.set_role("nobody", "qa")
    with pytest.raises(UserNotFoundError):
        users.get("nobody")


def test_revoke_api_key(users: UserService) -> None:
    users.add("sue", "supervisor", PASSWORD)
    key = users.new_api_key("sue")
    assert users.get("sue").has_api_key

    users.revoke_api_key("sue")

    assert users.check_api_key(key) is None and not users.get("sue").has_api_key
    assert users.check_password("sue", PASSWORD) is not None  # the password still works
    with pytest.raises(UserNotFoundError):
        users.revoke_api_key("nobody")
