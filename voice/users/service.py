"""Staff users' rules: who may exist, how passwords and API keys are made and checked.

Owns :data:`ROLES`, the username and password rules, and the two ways a user proves who
they are: a password (argon2id through :class:`~voice.auth.hashing.SecretHasher`) or an API
key (``vk_`` + 32 random bytes, stored only as its SHA-256 hex, so a leaked database does not
leak working keys; a fast hash is enough for a random 256-bit secret). Checks take one
argon2 verification whatever the reason for "no" (unknown user, disabled user, wrong
password), so response times do not reveal which usernames exist.
"""

from __future__ import annotations

import builtins
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from voice.auth.hashing import SecretHasher
from voice.users.errors import InvalidUserError, UserNotFoundError
from voice.users.repository import UserRecord, UserRepository

#: every role a staff user can have, most powerful first
ROLES = ("admin", "supervisor", "qa", "agent")
API_KEY_PREFIX = "vk_"
MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 100
_USERNAME = re.compile(r"[A-Za-z0-9._-]+")


@dataclass(frozen=True)
class UserView:
    """What may be shown about a user: no hashes, only whether an API key exists."""

    id: int
    username: str
    role: str
    disabled: bool
    created_at: datetime
    has_api_key: bool

    def to_dict(self) -> dict[str, object]:
        """The JSON fields of this user (``created_at`` as ISO 8601)."""
        return {
            "id": self.id,
            "username": self.username,
            "role": self.role,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
            "has_api_key": self.has_api_key,
        }


def api_key_hash(key: str) -> str:
    """The SHA-256 hex of an API key, as stored in ``users.api_key_hash``."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def username_problems(username: str) -> list[str]:
    """Why ``username`` is not a valid username (empty list: it is)."""
    if not username:
        return ["username is empty; give 1 to 100 letters, digits, '.', '_' or '-'"]
    if len(username) > MAX_USERNAME_LENGTH:
        return [f"username is {len(username)} characters long; use at most "
                f"{MAX_USERNAME_LENGTH}"]
    if not _USERNAME.fullmatch(username):
        return [f"username '{username}' may only contain letters, digits, '.', '_' and '-'"]
    return []


def role_problems(role: str) -> list[str]:
    """Why ``role`` is not a known role (empty list: it is)."""
    if role in ROLES:
        return []
    return [f"role '{role}' is unknown; use one of {', '.join(ROLES)}"]


def password_problems(password: str) -> list[str]:
    """Why ``password`` is too weak to store (empty list: it is long enough)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"password is {len(password)} characters long; use at least "
                f"{MIN_PASSWORD_LENGTH}"]
    return []


class UserService:
    """Adds staff users, changes their secrets and checks passwords and API keys."""

    def __init__(self, repository: UserRepository, hasher: SecretHasher,
                 clock: Callable[[], datetime]) -> None:
        self._users = repository
        self._hasher = hasher
        self._clock = clock

    def add(self, username: str, role: str, password: str) -> UserView:
        """Add a user; raises InvalidUserError (every problem at once) or DuplicateUserError."""
        problems = username_problems(username) + role_problems(role) + password_problems(password)
        if problems:
            raise InvalidUserError(problems)
        record = self._users.add(username=username, role=role,
                                 password_hash=self._hasher.hash(password),
                                 created_at=self._clock())
        return _view(record)

    def passwd(self, username: str, password: str) -> None:
        """Give ``username`` a new password; raises InvalidUserError or UserNotFoundError."""
        problems = password_problems(password)
        if problems:
            raise InvalidUserError(problems)
        self._users.set_password_hash(username, self._hasher.hash(password))

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable ``username`` (password and API key stop working) or enable them again."""
        self._users.set_disabled(username, disabled)

    def set_role(self, username: str, role: str) -> None:
        """Give ``username`` another role (their sessions and API key keep working with the
        new role at once); raises InvalidUserError or UserNotFoundError."""
        problems = role_problems(role)
        if problems:
            raise InvalidUserError(problems)
        self._users.set_role(username, role)

    def get(self, username: str) -> UserView:
        """One user; raises UserNotFoundError."""
        record = self._users.get_by_username(username)
        if record is None:
            raise UserNotFoundError(username)
        return _view(record)

    def list(self) -> builtins.list[UserView]:
        """Every user, sorted by username."""
        return [_view(record) for record in self._users.list()]

    def new_api_key(self, username: str) -> str:
        """Make a new API key for ``username`` and return it; the previous key stops working.

        Only the key's SHA-256 is stored: show the returned key to the user once, it cannot
        be read back. Raises UserNotFoundError.
        """
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        self._users.set_api_key_hash(username, api_key_hash(key))
        return key

    def revoke_api_key(self, username: str) -> None:
        """Remove ``username``'s API key (it stops working now); raises UserNotFoundError."""
        self._users.set_api_key_hash(username, None)

    def check_password(self, username: str, password: str) -> UserView | None:
        """The user if ``password`` is theirs and they are enabled, else None (equal timing)."""
        record = self._users.get_by_username(username) if not username_problems(username) \
            else None
        if record is None:
            self._hasher.check(None, password)
            return None
        matches = self._hasher.check(record.password_hash, password)
        if not matches or record.disabled:
            return None
        return _view(record)

    def check_api_key(self, key: str) -> UserView | None:
        """The enabled user whose API key ``key`` is, else None."""
        if not key.startswith(API_KEY_PREFIX):
            return None
        record = self._users.get_by_api_key_hash(api_key_hash(key))
        if record is None or record.disabled:
            return None
        return _view(record)


def _view(record: UserRecord) -> UserView:
    return UserView(
        id=record.id,
        username=record.username,
        role=record.role,
        disabled=record.disabled,
        created_at=record.created_at,
        has_api_key=record.api_key_hash is not None,
    )
