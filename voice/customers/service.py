"""Administering customers: add or update one, import a CSV, show, unlock.

The one place clear secrets become argon2 hashes. Updating a customer with the same PIN
keeps the stored hash (checked, not re-hashed), so importing a file twice changes nothing
and reports every row "unchanged". Lock state comes from the audit of attempts
(:mod:`voice.auth.attempts`); unlocking adds an ``unlocked`` row naming who did it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from voice.auth.attempts import AttemptRepository, AttemptView
from voice.auth.guard import LockoutPolicy, customer_subject
from voice.auth.hashing import SecretHasher
from voice.customers.csvfile import read_customers
from voice.customers.errors import CustomerNotFoundError, InvalidCustomerError
from voice.customers.records import CustomerInput, CustomerView, dob_digits, validate
from voice.customers.repository import KEEP, CustomerRepository, StoredCustomer


@dataclass
class ImportReport:
    """What an import did: counts by outcome and one ``FILE:line: reason`` per bad row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The JSON shape of the report."""
        return {"created": self.created, "updated": self.updated,
                "unchanged": self.unchanged, "problems": self.problems}


class CustomerService:
    """Customers for admins (CLI and REST API)."""

    def __init__(self, customers: CustomerRepository, attempts: AttemptRepository,
                 hasher: SecretHasher, policy: LockoutPolicy,
                 clock: Callable[[], datetime]) -> None:
        self.customers = customers
        self.attempts = attempts
        self.hasher = hasher
        self.policy = policy
        self.clock = clock

    def save(self, item: CustomerInput, *, replace_secrets: bool = True
             ) -> tuple[CustomerView, str]:
        """Create or update one customer; returns it and "created"/"updated"/"unchanged".

        With ``replace_secrets`` a secret left empty is removed; without, it is kept (a
        partial update from the REST API). Raises InvalidCustomerError listing problems.
        """
        clean, problems = validate(item)
        if clean is None:
            raise InvalidCustomerError(problems)
        existing = self.customers.by_account(clean.account_number)
        stored, status = self.customers.upsert(
            account_number=clean.account_number, first_name=clean.first_name,
            last_name=clean.last_name, tier=clean.tier, phones=clean.phones,
            pin_hash=self._hash(existing, "pin_hash", clean.pin, replace_secrets),
            zip_hash=self._hash(existing, "zip_hash", clean.zip, replace_secrets),
            dob_hash=self._hash(existing, "dob_hash",
                                dob_digits(clean.dob) if clean.dob else None, replace_secrets),
            now=self.clock())
        return self._with_lock(stored.view), status

    def import_file(self, path: Path, shown_as: str | None = None) -> ImportReport:
        """Load or update every good row of a customers CSV; report the bad ones."""
        rows = read_customers(path, shown_as)
        report = ImportReport(problems=list(rows.problems))
        for _line, item in rows.rows:
            _view, status = self.save(item)
            setattr(report, status, getattr(report, status) + 1)
        return report

    def show(self, account: str) -> tuple[CustomerView, list[AttemptView]]:
        """A customer with its lock state and latest audited attempts."""
        stored = self._get(account)
        attempts = [a for subject in _subjects(stored.view)
                    for a in self.attempts.list(account=subject, limit=20)]
        attempts.sort(key=lambda a: a.at, reverse=True)
        return self._with_lock(stored.view), attempts[:20]

    def list(self, *, search: str | None = None, limit: int = 100,
             offset: int = 0) -> tuple[list[CustomerView], int]:
        """Customers (without lock state) and the total count."""
        return self.customers.list(search=search, limit=limit, offset=offset)

    def search(self, query: str | None = None, *, limit: int = 50,
               offset: int = 0) -> tuple[list[CustomerView], int]:
        """Customers whose name, account number or phone matches ``query``, each with its
        lock state, and the total count (for the admin page)."""
        views, total = self.customers.list(search=query, limit=limit, offset=offset)
        return [self._with_lock(view) for view in views], total

    def by_id(self, customer_id: int) -> CustomerView:
        """One customer by its id, with its lock state; raises CustomerNotFoundError."""
        stored = self.customers.by_id(customer_id)
        if stored is None:
            raise CustomerNotFoundError(f"#{customer_id}")
        return self._with_lock(stored.view)

    def unlock(self, account: str, *, actor: str) -> CustomerView:
        """End the customer's run of failures (audited as ``unlocked`` by ``actor``)."""
        stored = self._get(account)
        now = self.clock()
        for subject in _subjects(stored.view):
            if subject == stored.view.account_number or self.attempts.account_run(
                    subject, now - self.policy.window):
                self.attempts.record(at=now, method="unlock", outcome="unlocked",
                                     reason=f"unlocked by {actor}", account=subject,
                                     customer_id=stored.view.id, actor=actor)
        return self._with_lock(stored.view)

    def _get(self, account: str) -> StoredCustomer:
        stored = self.customers.by_account(account.strip())
        if stored is None:
            raise CustomerNotFoundError(account.strip())
        return stored

    def _with_lock(self, view: CustomerView) -> CustomerView:
        since = self.clock() - self.policy.window
        run = max(self.attempts.account_run(subject, since) for subject in _subjects(view))
        return replace(view, locked=run >= self.policy.attempts)

    def _hash(self, existing: StoredCustomer | None, name: str, secret: str | None,
              replace_secrets: bool) -> object:
        if secret is None:
            return None if replace_secrets else KEEP
        stored = getattr(existing, name) if existing is not None else None
        if stored is not None and self.hasher.check(stored, secret):
            return KEEP  # same secret: keep the hash, so a re-import changes nothing
        return self.hasher.hash(secret)


def _subjects(view: CustomerView) -> tuple[str, str]:
    """What attempts on this customer count under: the account number typed, or the
    customer identified by caller ID (knowledge step-up) (see ``guard.lock_subject``)."""
    return view.account_number, customer_subject(view.id)
