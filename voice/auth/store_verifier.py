"""Verifying callers against the customers table (argon2 hashes).

``ani``: the caller ID is the phone of exactly one customer (identifies; proves little).
``account_pin``: the account's PIN hash matches. ``knowledge``: every stored answer asked
for matches (ZIP, date of birth as MMDDYYYY). Unknown accounts, customers without the
secret and wrong secrets all cost one argon2 check per secret and all answer "no-match";
only the audit detail (``unknown-account``, ``wrong-pin``, ...) tells them apart.
"""

from __future__ import annotations

from voice.auth.hashing import SecretHasher
from voice.auth.verifier import VerificationResult
from voice.customers.records import normalise_phone
from voice.customers.repository import CustomerRepository, StoredCustomer
from voice.ivr.actions import VerifyCaller

NO_MATCH = "no-match"


class StoreVerifier:
    """Checks ``VerifyCaller`` requests against :class:`CustomerRepository`."""

    def __init__(self, customers: CustomerRepository, hasher: SecretHasher) -> None:
        self.customers = customers
        self.hasher = hasher

    def verify(self, request: VerifyCaller, call_id: str | None = None) -> VerificationResult:
        """Answer one request (never raises for a wrong or missing secret)."""
        if request.method == "ani":
            return self._ani(request.caller_id)
        found = self._customer(request)
        if request.method == "account_pin":
            ok = self.hasher.check(found.pin_hash if found else None, request.secret)
            return _result(found, ok, "unknown-account" if found is None else
                           "no-pin" if found.pin_hash is None else "wrong-pin")
        if request.method == "knowledge":
            answers = request.answers or {"zip": ""}
            checks = [self.hasher.check(_answer_hash(found, key), value)
                      for key, value in sorted(answers.items())]  # every one, always
            return _result(found, all(checks), "unknown-account" if found is None
                           else "wrong-answer")
        return VerificationResult(False, None, f"unsupported method '{request.method}'")

    def _ani(self, caller_id: str) -> VerificationResult:
        phone = normalise_phone(caller_id or "")
        matches = self.customers.by_phone(phone) if phone else []
        if len(matches) == 1:
            return VerificationResult(True, matches[0].view.display())
        detail = "shared-caller-id" if matches else "unknown-caller-id"
        return VerificationResult(False, None, NO_MATCH, detail=detail)

    def _customer(self, request: VerifyCaller) -> StoredCustomer | None:
        if request.account:
            return self.customers.by_account(request.account)
        if request.customer_id and str(request.customer_id).isdigit():
            return self.customers.by_id(int(request.customer_id))
        return None


def _answer_hash(found: StoredCustomer | None, key: str) -> str | None:
    if found is None:
        return None
    return {"zip": found.zip_hash, "dob": found.dob_hash}.get(key)


def _result(found: StoredCustomer | None, ok: bool, detail: str) -> VerificationResult:
    if ok and found is not None:
        return VerificationResult(True, found.view.display())
    return VerificationResult(False, None, NO_MATCH, detail=detail)
