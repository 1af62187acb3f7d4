"""``/api/webhooks`` and ``/api/webhook-deliveries``: admins only (401 without credentials,
403 for other roles), secrets only when made, JSON errors, replay through the fast path.
SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskClient
from webhook_receiver import WebhookReceiver, running_receiver

from voice.compose import Services

ROUTES = [("get", "/api/webhooks"), ("post", "/api/webhooks"),
          ("get", "/api/webhooks/1"), ("patch", "/api/webhooks/1"),
          ("delete", "/api/webhooks/1"), ("post", "/api/webhooks/1/rotate"),
          ("get", "/api/webhooks/1/deliveries"), ("get", "/api/webhook-deliveries"),
          ("post", "/api/webhook-deliveries/1/replay")]
NEW = {"url": "https://crm.example.com/hook", "events": ["call.offered"]}


def _bearer(services: Services, username: str, role: str) -> dict[str, str]:
    assert services.user_service is not None
    services.user_service.add(username, role, "correct horse battery")
    return {"Authorization": f"Bearer {services.user_service.new_api_key(username)}"}


@pytest.fixture
def admin(services: Services) -> dict[str, str]:
    return _bearer(services, "alice", "admin")


@pytest.fixture
def live_receiver() -> Iterator[WebhookReceiver]:
    with running_receiver() as started:
        yield started


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_without_credentials_every_route_is_401(client: FlaskClient, method: str,
                                                path: str) -> None:
    response = client.open(path, method=method.upper(), json=NEW)

    assert response.status_code == 401
    assert response.json["error_id"] == "authentication-required"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_other_roles_get_403(services: Services, client: FlaskClient, method: str,
                             path: str) -> None:
    headers = _bearer(services, "bob", "supervisor")

    response = client.open(path, method=method.upper(), json=NEW, headers=headers)

    assert response.status_code == 403
    assert response.json["details"]["roles_required"] == ["admin"]


def test_wrong_basic_password_is_401(services: Services, client: FlaskClient,
                                     admin: dict[str, str]) -> None:
    token = base64.b64encode(b"alice:wrong").decode()

    response = client.get("/api/webhooks", headers={"Authorization": f"Basic {token}"})

    assert response.status_code == 401
    assert response.json["error_id"] == "invalid-credentials"


def test_admins_add_show_change_rotate_and_remove(client: FlaskClient,
                                                  admin: dict[str, str]) -> None:
    created = client.post("/api/webhooks", json={**NEW, "queues": ["sales"],
                                                 "description": "CRM"}, headers=admin)
    assert created.status_code == 201
    body = created.json
    assert body["secret"].startswith("whsec_") and body["events"] == ["call.offered"]
    endpoint = f"/api/webhooks/{body['id']}"

    listed = client.get("/api/webhooks", headers=admin)
    assert listed.status_code == 200 and "secret" not in listed.get_data(as_text=True)
    assert [e["id"] for e in listed.json["webhooks"]] == [body["id"]]

    changed = client.patch(endpoint, json={"events": [], "enabled": False}, headers=admin)
    assert changed.status_code == 200
    assert (changed.json["events"], changed.json["enabled"]) == ([], False)
    assert changed.json["queues"] == ["sales"] and changed.json["description"] == "CRM"
    assert client.patch(endpoint, json={"enabled": True}, headers=admin).json["enabled"]

    rotated = client.post(f"{endpoint}/rotate", headers=admin)
    assert rotated.status_code == 200
    assert rotated.json["secret"] != body["secret"] and rotated.json["id"] == body["id"]
    assert client.get(f"{endpoint}/deliveries", headers=admin).json == {"deliveries": []}

    assert client.delete(endpoint, headers=admin).status_code == 204
    missing = client.get(endpoint, headers=admin)
    assert missing.status_code == 404 and missing.json["error_id"] == "webhook-not-found"


def test_bad_fields_are_422_naming_the_problem(client: FlaskClient,
                                               admin: dict[str, str]) -> None:
    cases = [({"url": "ftp://x"}, "https://"),
             ({"url": "https://x.example", "events": ["call.offerd"]}, "call.offered"),
             ({"url": "https://x.example", "events": "call.offered"}, "list"),
             ({"url": "https://x.example", "secret": "mine"}, "unknown field"),
             ({"events": ["call.offered"]}, "url is required")]
    for payload, hint in cases:
        response = client.post("/api/webhooks", json=payload, headers=admin)
        assert response.status_code == 422, payload
        assert response.json["error_id"] == "invalid-webhook"
        assert hint in response.json["message"], (payload, response.json)
    bad_status = client.get("/api/webhook-deliveries?status=lost", headers=admin)
    assert bad_status.status_code == 422 and "pending" in bad_status.json["message"]


def test_deliveries_are_listed_and_replayed(
        services: Services, client: FlaskClient, admin: dict[str, str],
        live_receiver: WebhookReceiver, emit: Callable[..., list[int]]) -> None:
    created = client.post("/api/webhooks", json={"url": live_receiver.url}, headers=admin).json
    live_receiver.secret = created["secret"]
    [delivery_id] = emit("call.ended", {"call_id": "CA1"}, call_id="CA1")

    listed = client.get("/api/webhook-deliveries?status=pending", headers=admin)
    assert [d["id"] for d in listed.json["deliveries"]] == [delivery_id]
    per_endpoint = client.get(f"/api/webhooks/{created['id']}/deliveries", headers=admin)
    assert per_endpoint.json == listed.json

    replayed = client.post(f"/api/webhook-deliveries/{delivery_id}/replay", headers=admin)
    assert replayed.status_code == 202 and replayed.json["status"] == "pending"
    [got] = live_receiver.wait_for(1)
    assert got.verified and got.webhook_id == replayed.json["msg_id"]
    assert services.webhook_deliverer is not None
    deadline = time.monotonic() + 20
    while services.webhook_deliverer.get(delivery_id).status != "delivered":
        assert time.monotonic() < deadline, "the replay was not recorded"
        time.sleep(0.01)

    missing = client.post("/api/webhook-deliveries/999/replay", headers=admin)
    assert missing.status_code == 404
    assert missing.json["error_id"] == "webhook-delivery-not-found"
    client.patch(f"/api/webhooks/{created['id']}", json={"enabled": False}, headers=admin)
    refused = client.post(f"/api/webhook-deliveries/{delivery_id}/replay", headers=admin)
    assert refused.status_code == 409 and "enable" in refused.json["message"]
