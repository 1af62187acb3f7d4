"""Verifiers answer the engine's ``VerifyCaller`` actions.

``Verifier`` is the interface every verifier implements. ``DirectoryVerifier`` checks
against a small customer directory held in memory, loaded from a YAML file: it backs the
simulator and flow tests with demo customers (``config/demo_customers.yaml``). The customers
store with argon2-hashed PINs, lockout and velocity limits implements the same interface.
Secrets are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from voice.ivr.actions import VerifyCaller


@dataclass(frozen=True)
class VerificationResult:
    """The verifier's answer: ``customer`` holds display fields only."""

    verified: bool
    customer: dict[str, Any] | None = None
    reason: str | None = None


class Verifier(Protocol):
    """Checks a caller's identity for one ``VerifyCaller`` action."""

    def verify(self, request: VerifyCaller) -> VerificationResult:
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

    def verify(self, request: VerifyCaller) -> VerificationResult:
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
    """Load ``customers: [...]`` from a YAML file (missing file: an empty directory)."""
    if not path.exists():
        return DirectoryVerifier()
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    customers = []
    for item in document.get("customers", []):
        answers = {k: str(item[k]) for k in ("zip", "dob") if item.get(k) is not None}
        customers.append(DirectoryCustomer(
            id=str(item["id"]), account=str(item["account"]),
            first_name=str(item.get("first_name", "")), last_name=str(item.get("last_name", "")),
            tier=str(item.get("tier", "standard")),
            phones=tuple(str(p) for p in item.get("phones", [])),
            pin=None if item.get("pin") is None else str(item["pin"]), answers=answers))
    return DirectoryVerifier(customers)
