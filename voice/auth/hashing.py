"""Argon2 hashing of secrets (PINs, knowledge answers, staff passwords), with equal work.

:class:`SecretHasher` wraps argon2-cffi's ``PasswordHasher`` with the parameters from
settings (``VOICE_AUTH_HASH_TIME_COST``, ``VOICE_AUTH_HASH_MEMORY_KIB``; tuned so one check
costs 50-150 ms, see ``bench/auth_verify.py``). :meth:`SecretHasher.check` always does one
argon2 verification, also when there is no stored hash (unknown account, locked account,
customer without a PIN): it then checks against a dummy hash, so the answer takes the same
time whatever the reason it is "no".
"""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

DEFAULT_TIME_COST = 2
DEFAULT_MEMORY_KIB = 65536


class SecretHasher:
    """Hashes and checks secrets with one set of argon2id parameters."""

    def __init__(self, time_cost: int = DEFAULT_TIME_COST,
                 memory_kib: int = DEFAULT_MEMORY_KIB) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                                      parallelism=1)
        self._dummy = self._hasher.hash("not a secret: timing equaliser")

    def hash(self, secret: str) -> str:
        """An argon2id hash of ``secret`` (random salt: hashing twice gives two strings)."""
        return self._hasher.hash(secret)

    def check(self, stored: str | None, secret: str | None) -> bool:
        """True if ``secret`` matches ``stored``; one argon2 verification in every case."""
        if stored is None or secret is None:
            self._burn(secret)
            return False
        try:
            return self._hasher.verify(stored, secret)
        except (VerifyMismatchError, VerificationError):
            return False
        except InvalidHashError:
            self._burn(secret)
            return False

    def burn(self) -> None:
        """Do the work of one check and throw the answer away (equal timing)."""
        self._burn(None)

    def _burn(self, secret: str | None) -> None:
        with contextlib.suppress(VerificationError):
            self._hasher.verify(self._dummy, secret or "-")
