"""What a customer is made of, and the rules a customer record must follow.

:class:`CustomerInput` is one customer as an admin gives it (CSV row, CLI, REST API) with
secrets in clear; :func:`validate` normalises it or lists every problem. The clear secrets
live only in memory until :class:`~voice.customers.service.CustomerService` hashes them.
:class:`CustomerView` is what may be shown: no secrets, only whether each one is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from voice.ivr.templates import mask

ACCOUNT = re.compile(r"\d{4,16}")  # what a caller can type: authenticate's account rules
PIN = re.compile(r"\d{4,8}")
ZIP = re.compile(r"\d{5}")
PHONE = re.compile(r"\+?\d{3,20}")
NAME_LENGTH, TIER_LENGTH = 100, 50
DEFAULT_TIER = "standard"


@dataclass(frozen=True)
class CustomerInput:
    """One customer as given; ``pin``/``zip``/``dob`` are clear text (never stored so)."""

    account_number: str
    first_name: str
    last_name: str
    phones: tuple[str, ...] = ()
    tier: str = DEFAULT_TIER
    pin: str | None = field(default=None, repr=False)
    zip: str | None = field(default=None, repr=False)
    dob: str | None = field(default=None, repr=False)  # YYYY-MM-DD as given


@dataclass(frozen=True)
class CustomerView:
    """A stored customer as shown to admins, agents and the session: no secrets."""

    id: int
    account_number: str
    first_name: str
    last_name: str
    tier: str
    phones: tuple[str, ...]
    has_pin: bool
    has_zip: bool
    has_dob: bool
    created_at: datetime
    updated_at: datetime
    locked: bool = False

    @property
    def masked_account(self) -> str:
        """The account number as callers' screens show it (``****4321``)."""
        return mask(self.account_number)

    def display(self) -> dict[str, str]:
        """The fields a verified caller's session keeps (account in full; the engine masks)."""
        return {"id": str(self.id), "first_name": self.first_name,
                "last_name": self.last_name, "tier": self.tier,
                "account": self.account_number}

    def as_json(self) -> dict[str, object]:
        """The REST/CLI JSON shape (account masked unless asked for by admins)."""
        return {"id": self.id, "account_number": self.account_number,
                "first_name": self.first_name, "last_name": self.last_name,
                "tier": self.tier, "phones": list(self.phones), "has_pin": self.has_pin,
                "has_zip": self.has_zip, "has_dob": self.has_dob, "locked": self.locked,
                "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


def normalise_phone(text: str) -> str:
    """Digits with an optional leading +; spaces, dashes, dots and brackets dropped."""
    stripped = re.sub(r"[\s\-.()]", "", text.strip())
    if stripped.lower().startswith("sip:"):
        stripped = stripped[4:].split("@", 1)[0]
    return stripped


def dob_digits(text: str) -> str:
    """``YYYY-MM-DD`` as the eight digits MMDDYYYY a caller types on the keypad."""
    day = date.fromisoformat(text)
    return f"{day.month:02d}{day.day:02d}{day.year:04d}"


def validate(item: CustomerInput) -> tuple[CustomerInput | None, list[str]]:
    """The normalised record, or None and every problem (``field: what is wrong``)."""
    problems: list[str] = []
    account = item.account_number.strip()
    if not ACCOUNT.fullmatch(account):
        problems.append(f"account_number: '{account}' must be 4 to 16 digits")
    first, last = item.first_name.strip(), item.last_name.strip()
    for name, value in (("first_name", first), ("last_name", last)):
        if not value:
            problems.append(f"{name}: is empty")
        elif len(value) > NAME_LENGTH:
            problems.append(f"{name}: longer than {NAME_LENGTH} characters")
    tier = item.tier.strip() or DEFAULT_TIER
    if len(tier) > TIER_LENGTH or not re.fullmatch(r"[\w-]+", tier):
        problems.append(f"tier: '{tier}' must be one word of letters, digits, _ or -")
    phones = []
    for phone in item.phones:
        number = normalise_phone(phone)
        if not number:
            continue
        if not PHONE.fullmatch(number):
            problems.append(f"phones: '{phone.strip()}' is not a phone number (digits, "
                            "optional leading +)")
        elif number not in phones:
            phones.append(number)
    pin = (item.pin or "").strip() or None
    if pin is not None and not PIN.fullmatch(pin):
        problems.append("pin: must be 4 to 8 digits")  # never echo the value
    zip_code = (item.zip or "").strip() or None
    if zip_code is not None and not ZIP.fullmatch(zip_code):
        problems.append("zip: must be 5 digits")
    dob = (item.dob or "").strip() or None
    if dob is not None:
        try:
            if date.fromisoformat(dob).year < 1900 or not re.fullmatch(r"\d{4}-\d\d-\d\d", dob):
                raise ValueError
        except ValueError:
            problems.append("dob: must be a date as YYYY-MM-DD")
    if problems:
        return None, problems
    return replace(item, account_number=account, first_name=first, last_name=last,
                   tier=tier, phones=tuple(phones), pin=pin, zip=zip_code, dob=dob), []
