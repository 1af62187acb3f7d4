"""``/api/customers``: the customers REST API for admins, on SQLite and PostgreSQL.

Only admins get in (HTTP Basic or an API key); answers never carry a PIN, ZIP or date of
birth, only whether each is set; problems come back as 422 listing every one.
"""

from __future__ import annotations

from typing import Any

import pytest
from customer_helpers import basic, bearer, contains_digits
from flask.testing import FlaskClient

from voice.compose import Services
from voice.ivr.actions import VerifyCaller
from voice.users.service import UserService

PASSWORD = "correct horse"
ADA: dict[str, Any] = {"account_number": "10000001", "first_name": "Ada",
                       "last_name": "Lovelace", "phones": ["+1 555 010 0001"],
                       "tier": "gold", "pin": "739164", "zip": "94105", "dob": "1985-12-10"}
ADA_SECRETS = ("739164", "94105", "1985-12-10", "12101985")
CSV = ("account_number,first_name,last_name,phones,tier,pin,zip,dob\n"
       "10000001,Ada,Lovelace,+15550100001,gold,739164,94105,1985-12-10\n"
       "10000002,Alan,Turing,+15550100002,standard,58204x,,\n"
       "10000003,Grace,Hopper,+15550100003,standard,927310,,\n")


@pytest.fixture
def users(services: Services) -> UserService:
    assert services.user_service is not None
    return services.user_service


@pytest.fixture
def admin(users: UserService) -> dict[str, str]:
    """HTTP Basic credentials of the admin alice."""
    users.add("alice", "admin", PASSWORD)
    return basic("alice", PASSWORD)


def pin_verifies(services: Services, account: str, pin: str) -> bool:
    assert services.verifier is not None
    return services.verifier.verify(VerifyCaller(
        request="verify-1", method="account_pin", caller_id="+15550199", account=account,
        secret=pin)).verified


ROUTES = [("get", "/api/customers"), ("post", "/api/customers"),
          ("get", "/api/customers/10000001"), ("patch", "/api/customers/10000001"),
          ("post", "/api/customers/10000001/unlock"), ("post", "/api/customers/import")]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_without_credentials_every_route_is_401(client: FlaskClient, method: str,
                                                path: str) -> None:
    response = client.open(path, method=method.upper(), json=ADA)

    assert response.status_code == 401
    assert response.get_json()["error_id"] == "authentication-required"
    assert "WWW-Authenticate" in response.headers


def test_an_agent_is_403_on_every_route(client: FlaskClient, users: UserService) -> None:
    users.add("bob", "agent", PASSWORD)

    for method, path in ROUTES:
        response = client.open(path, method=method.upper(), json=ADA,
                               headers=basic("bob", PASSWORD))

        assert response.status_code == 403, path
        assert response.get_json()["details"]["roles_required"] == ["admin"]


def test_create_then_the_same_body_again_is_unchanged(
        client: FlaskClient, admin: dict[str, str], services: Services) -> None:
    created = client.post("/api/customers", json=ADA, headers=admin)
    again = client.post("/api/customers", json=ADA, headers=admin)

    assert created.status_code == 201
    body = created.get_json()
    assert {k: body[k] for k in ("account_number", "first_name", "last_name", "phones",
                                 "tier", "has_pin", "has_zip", "has_dob", "locked",
                                 "status")} == {
        "account_number": "10000001", "first_name": "Ada", "last_name": "Lovelace",
        "phones": ["+15550100001"], "tier": "gold", "has_pin": True, "has_zip": True,
        "has_dob": True, "locked": False, "status": "created"}
    assert again.status_code == 200 and again.get_json()["status"] == "unchanged"
    assert not contains_digits(created.get_data(as_text=True), *ADA_SECRETS)
    assert pin_verifies(services, "10000001", "739164")


def test_an_api_key_works_like_a_password(client: FlaskClient, users: UserService) -> None:
    users.add("alice", "admin", PASSWORD)
    key = bearer(users.new_api_key("alice"))

    created = client.post("/api/customers", json=ADA, headers=key)
    listed = client.get("/api/customers", headers=key)

    assert created.status_code == 201
    assert listed.status_code == 200
    assert [c["account_number"] for c in listed.get_json()["customers"]] == ["10000001"]


def test_list_filters_by_name_or_account(demo_customers: Services, client: FlaskClient,
                                         admin: dict[str, str]) -> None:
    def accounts(query: str) -> tuple[list[str], int]:
        body = client.get(f"/api/customers{query}", headers=admin).get_json()
        return [c["account_number"] for c in body["customers"]], body["total"]

    assert accounts("") == (["10001234", "20005678"], 2)
    assert accounts("?q=PARK") == (["20005678"], 1)
    assert accounts("?q=1000123") == (["10001234"], 1)
    assert accounts("?q=nobody") == ([], 0)
    assert accounts("?limit=1&offset=1") == (["20005678"], 2)


def test_show_has_no_secret_values_only_whether_they_are_set(
        client: FlaskClient, admin: dict[str, str]) -> None:
    client.post("/api/customers", json=ADA, headers=admin)

    response = client.get("/api/customers/10000001", headers=admin)

    assert response.status_code == 200
    body = response.get_json()
    assert (body["has_pin"], body["has_zip"], body["has_dob"]) == (True, True, True)
    assert not {"pin", "zip", "dob", "pin_hash"} & set(body)
    assert not contains_digits(response.get_data(as_text=True), *ADA_SECRETS)
    assert "argon2" not in response.get_data(as_text=True)
    assert body["attempts"] == [] and body["locked"] is False


def test_patch_a_name_keeps_the_pin(client: FlaskClient, admin: dict[str, str],
                                    services: Services) -> None:
    client.post("/api/customers", json=ADA, headers=admin)

    response = client.patch("/api/customers/10000001", json={"first_name": "Augusta"},
                            headers=admin)

    assert response.status_code == 200
    body = response.get_json()
    assert (body["first_name"], body["last_name"], body["status"]) == (
        "Augusta", "Lovelace", "updated")
    assert (body["has_pin"], body["has_zip"], body["has_dob"]) == (True, True, True)
    assert body["phones"] == ["+15550100001"] and body["tier"] == "gold"
    assert pin_verifies(services, "10000001", "739164")
    new_pin = client.patch("/api/customers/10000001", json={"pin": "305918"}, headers=admin)
    assert new_pin.get_json()["status"] == "updated"
    assert not pin_verifies(services, "10000001", "739164")
    assert pin_verifies(services, "10000001", "305918")


def test_invalid_fields_are_422_listing_every_problem(
        client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.post("/api/customers", headers=admin, json={
        "account_number": "12", "first_name": "", "last_name": "X", "pin": "12x4",
        "dob": "1980/01/15", "phones": ["call me"]})

    assert response.status_code == 422
    body = response.get_json()
    assert body["error_id"] == "invalid-customer"
    assert body["details"]["problems"] == [
        "account_number: '12' must be 4 to 16 digits", "first_name: is empty",
        "phones: 'call me' is not a phone number (digits, optional leading +)",
        "pin: must be 4 to 8 digits", "dob: must be a date as YYYY-MM-DD"]
    assert "12x4" not in response.get_data(as_text=True)
    assert client.get("/api/customers", headers=admin).get_json()["total"] == 0


@pytest.mark.parametrize(("body", "message"), [
    ({**ADA, "email": "ada@example.com"}, "unknown field(s) email"),
    (["not", "an", "object"], "send a JSON object"),
    ({**ADA, "phones": "+15550100001"}, "phones must be a list"),
    ({**ADA, "first_name": True}, "first_name must be text"),
])
def test_malformed_bodies_are_422(client: FlaskClient, admin: dict[str, str],
                                  body: Any, message: str) -> None:
    response = client.post("/api/customers", json=body, headers=admin)

    assert response.status_code == 422
    assert message in response.get_json()["message"]


def test_patch_cannot_change_the_account_number(
        client: FlaskClient, admin: dict[str, str]) -> None:
    client.post("/api/customers", json=ADA, headers=admin)

    response = client.patch("/api/customers/10000001", json={"account_number": "10000009"},
                            headers=admin)

    assert response.status_code == 422
    assert "account_number cannot change" in response.get_json()["message"]


@pytest.mark.parametrize(("method", "path"), ROUTES[2:5])
def test_an_unknown_customer_is_404(client: FlaskClient, admin: dict[str, str], method: str,
                                    path: str) -> None:
    response = client.open(path, method=method.upper(), json={"first_name": "X"},
                           headers=admin)

    assert response.status_code == 404
    body = response.get_json()
    assert body["error_id"] == "customer-not-found"
    assert "no customer has account number '10000001'" in body["message"]


def test_unlock_names_the_admin_in_the_attempts(
        demo_customers: Services, client: FlaskClient, admin: dict[str, str]) -> None:
    for _ in range(3):
        assert not pin_verifies(demo_customers, "20005678", "0000")
    locked = client.get("/api/customers/20005678", headers=admin).get_json()
    assert locked["locked"] is True
    assert not pin_verifies(demo_customers, "20005678", "8642")

    response = client.post("/api/customers/20005678/unlock", headers=admin)

    assert response.status_code == 200
    body = response.get_json()
    assert body["locked"] is False
    assert [(a["outcome"], a["actor"]) for a in body["attempts"]] == [
        ("unlocked", "alice"), ("locked", None), ("failed", None), ("failed", None),
        ("failed", None)]
    assert body["attempts"][0]["account"] == "****5678"
    assert pin_verifies(demo_customers, "20005678", "8642")


def test_import_a_csv_body_reports_bad_rows_by_upload_line(
        client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.post("/api/customers/import", data=CSV, headers=admin,
                           content_type="text/csv")
    again = client.post("/api/customers/import", data=CSV, headers=admin,
                        content_type="text/csv")

    assert response.status_code == 200
    assert response.get_json() == {"created": 2, "updated": 0, "unchanged": 0,
                                   "problems": ["upload.csv:3: pin: must be 4 to 8 digits"]}
    assert again.get_json()["unchanged"] == 2
    listed = client.get("/api/customers", headers=admin).get_json()
    assert [c["account_number"] for c in listed["customers"]] == ["10000001", "10000003"]


def test_import_with_only_bad_rows_or_a_bad_header_is_422(
        client: FlaskClient, admin: dict[str, str]) -> None:
    only_bad = client.post("/api/customers/import", headers=admin,
                           data=CSV.splitlines(keepends=True)[0] + "12,A,B,,,,,\n")
    bad_header = client.post("/api/customers/import", headers=admin,
                             data=CSV.replace("dob\n", "birthday\n", 1))

    assert only_bad.status_code == 422
    assert only_bad.get_json()["problems"] == [
        "upload.csv:2: account_number: '12' must be 4 to 16 digits"]
    assert bad_header.status_code == 422
    assert bad_header.get_json()["message"].startswith(
        "upload.csv:1: unknown column(s) birthday")
    assert client.get("/api/customers", headers=admin).get_json()["total"] == 0
