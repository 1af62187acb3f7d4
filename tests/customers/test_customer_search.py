"""CustomerService.search (names, account number or phone, with lock state) and by_id:
what the admin customers page builds on."""

from __future__ import annotations

import pytest

from voice.compose import Services
from voice.customers.errors import CustomerNotFoundError
from voice.customers.records import CustomerInput
from voice.customers.service import CustomerService


@pytest.fixture
def customers(services: Services) -> CustomerService:
    service = services.customer_service
    assert service is not None
    service.save(CustomerInput("10001234", "Ada", "Lovelace", ("+1 555 0100",), pin="4321"))
    service.save(CustomerInput("20005678", "Bob", "Stone", ("+15550199", "+442071234567")))
    return service


@pytest.mark.parametrize(("query", "accounts"), [
    (None, ["10001234", "20005678"]), ("LOVE", ["10001234"]), ("5678", ["20005678"]),
    ("+44 20 7123", ["20005678"]), ("555-01", ["10001234", "20005678"]), ("zzz", []),
])
def test_search_matches_names_accounts_and_phones(customers: CustomerService,
                                                  query: str | None,
                                                  accounts: list[str]) -> None:
    views, total = customers.search(query)
    assert [v.account_number for v in views] == accounts and total == len(accounts)


def test_search_reports_lock_state_and_pages(customers: CustomerService,
                                             services: Services) -> None:
    for _ in range(customers.policy.attempts):
        customers.attempts.record(at=services.clock(), method="account_pin",
                                  outcome="failed", reason="no-match", account="10001234")
    views, total = customers.search(None, limit=1)
    assert total == 2 and [(v.account_number, v.locked) for v in views] == [("10001234", True)]
    views, _ = customers.search(None, limit=1, offset=1)
    assert [(v.account_number, v.locked) for v in views] == [("20005678", False)]
    assert customers.by_id(views[0].id).first_name == "Bob"
    with pytest.raises(CustomerNotFoundError):
        customers.by_id(999999)
