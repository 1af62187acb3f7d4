"""Verifiers answer the engine's ``VerifyCaller`` actions.

``Verifier`` is the interface every verifier implements: the customers table
(:mod:`voice.auth.store_verifier`), a CRM over HTTP (:mod:`voice.auth.http_verifier`), both
wrapped in lockout and audit by :mod:`voice.auth.guard` for real and simulated calls.
``DirectoryVerifier`` checks against customers held in memory, read from a customers CSV:
it backs the offline flow tests (``voice flows test``) with the demo customers in
``config/demo_customers.csv``. Secrets are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from voice.ivr.actions import VerifyCaller


@dataclass(frozen=True)
class VerificationResult:
    """The verifier's answer: ``customer`` holds display fields only.

    ``reason`` goes to the flow (``auth.reason``), so it must not tell an unknown account
    from a wrong PIN; ``detail`` is for the audit only and may.
    """

    verified: bool
    customer: dict[str, Any] | None = None
    reason: str | None = None
    detail: str | None = None


class Verifier(Protocol):
    """Checks a caller's identity for one ``VerifyCaller`` action."""

    def verify(self, request: VerifyCaller, call_id: str | None = None) -> VerificationResult:
        """Answer the request (never raise for a wrong secret: say not verified)."""
        ...


@dataclass(frozen=True)
class DirectoryCustomer:
    """A customer of the in-memory directory."""

    id: str
    account: str
    first_name: str
    last_name: str
    tier: str = "standard"
    phones: tuple[str, ...] = ()
    pin: str | None = None
    answers: Mapping[str, str] = field(default_factory=dict)

    def display(self) -> dict[str, Any]:
        """What the engine may keep and show: no secrets."""
        return {"id": self.id, "first_name": self.first_name, "last_name": self.last_name,
                "tier": self.tier, "account": self.account}


class DirectoryVerifier:
    """Verifies against a list of ``DirectoryCustomer`` (demo data, flow tests)."""

    def __init__(self, customers: Sequence[DirectoryCustomer] = ()) -> None:
        self.customers = list(customers)

    def by_account(self, account: str | None) -> DirectoryCustomer | None:
        """The customer with this account number, if any."""
        return next((c for c in self.customers if account and c.account == account), None)

    def verify(self, request: VerifyCaller, call_id: str | None = None) -> VerificationResult:
        """Check caller ID, account + PIN, or knowledge answers."""
        if request.method == "ani":
            found = next((c for c in self.customers if request.caller_id in c.phones), None)
            return _result(found, found is not None)
        found = self.by_account(request.account) or next(
            (c for c in self.customers if c.id == request.customer_id), None)
        if request.method == "account_pin":
            ok = found is not None and found.pin is not None and _same(found.pin, request.secret)
            return _result(found, ok)
        if request.method == "knowledge":
            answers = request.answers or {}
            ok = found is not None and bool(answers) and all(
                _same(found.answers.get(k), v) for k, v in answers.items())
            return _result(found, ok)
        return VerificationResult(False, None, f"unsupported method '{request.method}'")


def _same(expected: str | None, given: str | None) -> bool:
    if expected is None or given is None:
        return False
    return hmac.compare_digest(str(expected).encode(), str(given).encode())


def _result(customer: DirectoryCustomer | None, ok: bool) -> VerificationResult:
    if ok and customer is not None:
        return VerificationResult(True, customer.display())
    return VerificationResult(False, None, "no-match")


def load_directory(path: Path) -> DirectoryVerifier:
    """The customers of a customers CSV (missing file: an empty directory).

    Rows with problems are left out; ``voice customers import`` reports them.
    """
    from voice.customers.csvfile import read_customers
    from voice.customers.records import dob_digits

    if not path.exists():
        return DirectoryVerifier()
    customers = []
    for line, item in read_customers(path).rows:
        answers = {"zip": item.zip} if item.zip else {}
        if item.dob:
            answers["dob"] = dob_digits(item.dob)
        customers.append(DirectoryCustomer(
            id=f"demo-{line}", account=item.account_number, first_name=item.first_name,
            last_name=item.last_name, tier=item.tier, phones=item.phones, pin=item.pin,
            answers=answers))
    return DirectoryVerifier(customers)
