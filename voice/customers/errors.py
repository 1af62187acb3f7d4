"""Errors of the customers store; each message says what to fix."""

from __future__ import annotations

from collections.abc import Sequence

from voice.errors import VoiceError


class CustomerError(VoiceError):
    """Base class of customer errors."""


class CustomerNotFoundError(CustomerError):
    """No customer has this account number."""

    def __init__(self, account: str) -> None:
        super().__init__(f"no customer has account number '{account}'; check the number "
                         "or import the customer first")


class InvalidCustomerError(CustomerError):
    """A customer record breaks the rules; ``problems`` holds one line per field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class CustomerFileError(CustomerError):
    """A customers CSV cannot be read at all (missing file, wrong header)."""
