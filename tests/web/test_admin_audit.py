"""``/admin/audit`` (newest first, filters, paging, admins only) and the audit rows the JSON
APIs write for queues, agents, webhooks and customers (door ``api``, no secrets)."""

from __future__ import annotations

import base64
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from staff_login import PASSWORD, sign_in

from voice.compose import Services

PAGE = "/admin/audit"


@pytest.fixture
def key(services: Services) -> str:
    """An admin's API key (the API's door is ``api``)."""
    assert services.user_service is not None
    services.user_service.add("ada", "admin", PASSWORD)
    services.user_service.add("sue", "supervisor", PASSWORD)
    return services.user_service.new_api_key("ada")


def entries(services: Services) -> list[tuple[str, str, str, str]]:
    assert services.audit is not None
    return [(e.action, e.entity_id, e.actor, e.via) for e in services.audit.entries()]


def test_page_filters_and_pages(app: Flask, services: Services, key: str) -> None:
    log = services.audit
    assert log is not None
    for number in range(53):
        log.record(actor="ada" if number % 2 else "root", via="cli" if number % 2 else "web",
                   action="queue.update", entity_type="queue" if number < 50 else "user",
                   entity_id=f"q{number}", summary=f"change {number}",
                   details={"n": number})
    assert app.test_client().get(PAGE).status_code == 303
    supervisor = app.test_client()
    sign_in(supervisor, "sue")
    assert supervisor.get(PAGE).status_code == 403

    admin = app.test_client()
    sign_in(admin, "ada")
    first = admin.get(PAGE).text
    shown = [part.split('"', 1)[0] for part in first.split('data-entry="')[1:]]
    assert len(shown) == 50 and shown == sorted(shown, key=int, reverse=True)
    assert "change 52" in first and "change 2<" not in first and "Older entries" in first
    link = first[first.index("/admin/audit?before="):].split('"', 1)[0]
    second = admin.get(link.replace("&amp;", "&")).text
    assert second.count('data-entry="') == 3 and "change 0<" in second

    users_only = admin.get(PAGE, query_string={"entity_type": "user"}).text
    assert users_only.count('data-entry="') == 3
    by_root = admin.get(PAGE, query_string={"actor": "root", "entity_type": "queue"}).text
    assert by_root.count('data-entry="') == 25 and "change 1<" not in by_root
    assert "&#34;n&#34;: 52" in first  # details are shown


def api(client: FlaskClient, method: str, path: str, key: str, body: object = None,
        **extra: object) -> object:
    answer = client.open(path, method=method, json=body,
                         headers={"Authorization": f"Bearer {key}"}, **extra)
    assert answer.status_code < 300, answer.get_data(as_text=True)
    return answer.get_json(silent=True)


def test_the_apis_audit_their_changes(client: FlaskClient, services: Services,
                                      key: str) -> None:
    api(client, "PUT", "/api/queues/billing", key, {"wrap_up": 45})
    api(client, "PATCH", "/api/queues/billing", key, {"wrap_up": 60})
    api(client, "PATCH", "/api/queues/billing", key, {"wrap_up": 60})  # no change: no row
    api(client, "DELETE", "/api/queues/billing", key)
    api(client, "POST", "/api/agents", key, {"name": "ann", "password": PASSWORD,
                                            "queues": ["billing"]})
    api(client, "PATCH", "/api/agents/ann", key, {"skills": ["billing:3"]})
    api(client, "POST", "/api/agents/ann/state", key, {"state": "available"})
    hook = api(client, "POST", "/api/webhooks", key, {"url": "http://127.0.0.1:9/hook"})
    assert isinstance(hook, dict)
    api(client, "PATCH", f"/api/webhooks/{hook['id']}", key, {"description": "CRM"})
    rotated = api(client, "POST", f"/api/webhooks/{hook['id']}/rotate", key)
    assert isinstance(rotated, dict)
    api(client, "DELETE", f"/api/webhooks/{hook['id']}", key)
    api(client, "POST", "/api/customers", key, {
        "account_number": "10001234", "first_name": "Ada", "last_name": "Lovelace",
        "pin": "4321"})
    api(client, "PATCH", "/api/customers/10001234", key, {"tier": "gold"})
    api(client, "POST", "/api/customers/10001234/unlock", key)
    api(client, "POST", "/api/customers/import", key, data=(
        "account_number,first_name,last_name,phones,tier,pin\n"
        "20005678,Bob,Stone,+15550199,standard,8765\n"), content_type="text/csv")

    rows = entries(services)
    assert [action for action, *_ in reversed(rows)] == [
        "queue.add", "queue.update", "queue.remove", "agent.add", "agent.update",
        "agent.state", "webhook.add", "webhook.update", "webhook.rotate", "webhook.remove",
        "customer.add", "customer.update", "customer.unlock", "customer.import"]
    assert {(actor, via) for _, _, actor, via in rows} == {("ada", "api")}
    assert services.audit is not None
    stored = json.dumps([e.details for e in services.audit.entries()]) + " ".join(
        e.summary for e in services.audit.entries())
    for secret in (hook["secret"], rotated["secret"], key, PASSWORD, "4321", "8765",
                   "10001234"):
        assert secret not in stored
    update = services.audit.entries(entity_type="queue")[1]
    assert update.details == {"changes": {"wrap_up": [45, 60]}}


def test_a_session_change_through_the_api_is_via_web(app: Flask, services: Services,
                                                     key: str) -> None:
    client = app.test_client()
    sign_in(client, "ada")
    token = client.get(PAGE).text.split('name="csrf-token" content="', 1)[1].split('"')[0]
    answer = client.put("/api/queues/sales", json={"wrap_up": 10},
                        headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    basic = base64.b64encode(f"ada:{PASSWORD}".encode()).decode()
    assert client.patch("/api/queues/sales", json={"wrap_up": 20},
                        headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert entries(services) == [("queue.update", "sales", "ada", "api"),
                                 ("queue.add", "sales", "ada", "web")]
