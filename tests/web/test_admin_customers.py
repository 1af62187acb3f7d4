"""``/admin/customers``: search by name, account or phone; masked accounts and no secrets in
the page; lock state; Unlock lifts a real lockout (the verifier lets the caller in again) and
is audited."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from staff_login import PASSWORD, csrf_of, sign_in

from voice.compose import Services
from voice.customers.records import CustomerInput

PAGE = "/admin/customers"
ADA, BOB = "10001234", "20005678"


@pytest.fixture
def admin(app: Flask, services: Services) -> FlaskClient:
    customers = services.customer_service
    assert services.user_service is not None and customers is not None
    services.user_service.add("ada", "admin", PASSWORD)
    services.user_service.add("quinn", "qa", PASSWORD)
    customers.save(CustomerInput(ADA, "Ada", "Lovelace", ("+1 555 0100",), "gold", pin="4321",
                                 zip="10001"))
    customers.save(CustomerInput(BOB, "Bob", "Stone", ("+15550199",), pin="8765"))
    client = app.test_client()
    sign_in(client, "ada")
    return client


def lock(services: Services, account: str) -> None:
    """Fail verification as often as the lockout allows."""
    customers = services.customer_service
    assert customers is not None
    for _ in range(customers.policy.attempts):
        customers.attempts.record(at=services.clock(), method="account_pin",
                                  outcome="failed", reason="no-match", account=account)


def rows(page: str) -> list[str]:
    return [part.split("</tr>", 1)[0] for part in page.split('data-customer="')[1:]]


def test_roles(app: Flask, admin: FlaskClient) -> None:
    assert app.test_client().get(PAGE).status_code == 303
    qa = app.test_client()
    sign_in(qa, "quinn")
    assert qa.get(PAGE).status_code == 403
    assert qa.post(f"{PAGE}/1/unlock", data={"csrf_token": csrf_of(qa.get(PAGE))}
                   ).status_code == 403


@pytest.mark.parametrize(("query", "names"), [
    ("", ["Ada Lovelace", "Bob Stone"]), ("love", ["Ada Lovelace"]), ("5678", ["Bob Stone"]),
    ("555-0199", ["Bob Stone"]), ("+15550100", ["Ada Lovelace"]), ("nobody", []),
])
def test_search_by_name_account_or_phone(admin: FlaskClient, query: str,
                                         names: list[str]) -> None:
    page = admin.get(PAGE, query_string={"q": query}).text
    assert [name for name in ("Ada Lovelace", "Bob Stone") if name in page] == names


def test_accounts_are_masked_and_secrets_never_shown(admin: FlaskClient,
                                                     services: Services) -> None:
    page = admin.get(PAGE).text
    assert ADA not in page and "****1234" in page and "****5678" in page
    assert "PIN, ZIP" in rows(page)[0]
    stored = services.customer_service.customers.by_account(ADA)  # type: ignore[union-attr]
    assert stored is not None and stored.pin_hash is not None
    assert stored.pin_hash not in page and "argon2" not in page and "4321" not in page


def test_unlock_lifts_the_lockout_and_is_audited(admin: FlaskClient,
                                                 services: Services) -> None:
    customers = services.customer_service
    assert customers is not None and services.audit is not None
    lock(services, ADA)
    ada, bob = rows(admin.get(PAGE).text)
    assert "locked" in ada and "Unlock" in ada and "not locked" in bob
    customer_id = customers.show(ADA)[0].id

    answer = admin.post(f"{PAGE}/{customer_id}/unlock",
                        data={"csrf_token": csrf_of(admin.get(PAGE)), "q": "ada"})

    assert answer.status_code == 303 and answer.location == "/admin/customers?q=ada"
    assert not customers.show(ADA)[0].locked
    [entry] = services.audit.entries()
    assert (entry.action, entry.entity_type, entry.entity_id, entry.actor, entry.via) == (
        "customer.unlock", "customer", str(customer_id), "ada", "web")
    assert ADA not in entry.summary and "****1234" in entry.summary
    assert customers.show(ADA)[1][0].outcome == "unlocked"
    assert "Unlocked Ada Lovelace (****1234)" in admin.get(answer.location).text


def test_unlocking_nothing_or_without_token_changes_nothing(admin: FlaskClient,
                                                            services: Services) -> None:
    customers = services.customer_service
    assert customers is not None and services.audit is not None
    lock(services, ADA)
    ada_id, bob_id = customers.show(ADA)[0].id, customers.show(BOB)[0].id
    assert admin.post(f"{PAGE}/{ada_id}/unlock").status_code == 403
    assert customers.show(ADA)[0].locked
    token = csrf_of(admin.get(PAGE))
    not_locked = admin.post(f"{PAGE}/{bob_id}/unlock", data={"csrf_token": token})
    assert not_locked.status_code == 303
    assert "was not locked" in admin.get(PAGE).text
    missing = admin.post(f"{PAGE}/999999/unlock", data={"csrf_token": token})
    assert missing.status_code == 404 and "does not exist" in missing.text
    assert services.audit.entries() == []
    assert customers.show(BOB)[1] == []  # no unlock row written for Bob
