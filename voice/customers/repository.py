"""Storage of customers and their phones (``customers``, ``customer_phones``).

Owns every read and write of those tables. Hashes come in already made (the service hashes);
this module never sees a secret in clear. Phones are stored normalised, so a caller ID
lookup is one indexed equality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from voice.customers.records import CustomerView, normalise_phone
from voice.store.models import Customer, CustomerPhone

KEEP = object()  # "leave this hash as it is" in upsert()


@dataclass(frozen=True)
class StoredCustomer:
    """A customer with its hashes, for the verifier and the service (never shown)."""

    view: CustomerView
    pin_hash: str | None
    zip_hash: str | None
    dob_hash: str | None


class CustomerRepository:
    """Reads and writes customers through sessions from ``session_factory``."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def by_account(self, account_number: str) -> StoredCustomer | None:
        """The customer with this account number, if any."""
        with self._sessions() as session:
            row = session.scalars(_query().where(
                Customer.account_number == account_number)).one_or_none()
            return None if row is None else _stored(row)

    def by_id(self, customer_id: int) -> StoredCustomer | None:
        """The customer with this id, if any."""
        with self._sessions() as session:
            row = session.scalars(_query().where(Customer.id == customer_id)).one_or_none()
            return None if row is None else _stored(row)

    def by_phone(self, phone: str) -> list[StoredCustomer]:
        """Every customer who lists this (normalised) phone number, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(_query().join(CustomerPhone).where(
                CustomerPhone.phone == phone).order_by(Customer.id)).unique().all()
            return [_stored(row) for row in rows]

    def list(self, *, search: str | None = None, limit: int = 100,
             offset: int = 0) -> tuple[list[CustomerView], int]:
        """Customers by account number (filtered by ``search`` in names, account number or
        phone numbers), and the total count."""
        query = select(Customer)
        if search:
            pattern = f"%{search.lower()}%"
            matches = [func.lower(Customer.first_name).like(pattern),
                       func.lower(Customer.last_name).like(pattern),
                       Customer.account_number.like(f"%{search}%")]
            digits = normalise_phone(search).lstrip("+")
            if digits.isdigit():
                matches.append(Customer.id.in_(select(CustomerPhone.customer_id).where(
                    CustomerPhone.phone.like(f"%{digits}%"))))
            query = query.where(or_(*matches))
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(query.options(selectinload(Customer.phones))
                                   .order_by(Customer.account_number)
                                   .limit(limit).offset(offset)).all()
            return [_stored(row).view for row in rows], total

    def upsert(self, *, account_number: str, first_name: str, last_name: str, tier: str,
               phones: tuple[str, ...], pin_hash: object, zip_hash: object,
               dob_hash: object, now: datetime) -> tuple[StoredCustomer, str]:
        """Create or update one customer in one transaction; ``KEEP`` leaves a hash alone.

        Returns the stored customer and "created", "updated" or "unchanged".
        """
        with self._sessions.begin() as session:
            row = session.scalars(_query().where(
                Customer.account_number == account_number)).one_or_none()
            status = "unchanged"
            if row is None:
                row = Customer(account_number=account_number, first_name=first_name,
                               last_name=last_name, tier=tier, pin_hash=None, zip_hash=None,
                               dob_hash=None, created_at=now, updated_at=now)
                session.add(row)
                status = "created"
            for name, value in (("first_name", first_name), ("last_name", last_name),
                                ("tier", tier), ("pin_hash", pin_hash),
                                ("zip_hash", zip_hash), ("dob_hash", dob_hash)):
                if value is not KEEP and getattr(row, name) != value:
                    setattr(row, name, value)
                    status = "updated" if status == "unchanged" else status
            if [p.phone for p in row.phones] != list(phones):
                row.phones = [CustomerPhone(phone=p) for p in phones]
                status = "updated" if status == "unchanged" else status
            if status == "updated":
                row.updated_at = now
            session.flush()
            return _stored(row), status


def _query() -> Select[tuple[Customer]]:
    return select(Customer).options(selectinload(Customer.phones))


def _stored(row: Customer) -> StoredCustomer:
    view = CustomerView(
        id=row.id, account_number=row.account_number, first_name=row.first_name,
        last_name=row.last_name, tier=row.tier, phones=tuple(p.phone for p in row.phones),
        has_pin=row.pin_hash is not None, has_zip=row.zip_hash is not None,
        has_dob=row.dob_hash is not None, created_at=row.created_at,
        updated_at=row.updated_at)
    return StoredCustomer(view, row.pin_hash, row.zip_hash, row.dob_hash)
