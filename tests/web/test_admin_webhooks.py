"""``/admin/webhooks``: endpoints (secret shown once, rotate, disable/enable, delete), the
delivery log, and replaying a dead delivery to a real local receiver that checks the
signature; every change audited without the secret."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from dead_deliveries import dead_delivery
from flask import Flask
from flask.testing import FlaskClient
from staff_login import PASSWORD, csrf_of, sign_in
from webhook_receiver import WebhookReceiver, running_receiver
from werkzeug.test import TestResponse

from voice.compose import Services

PAGE = "/admin/webhooks"


@pytest.fixture
def admin(app: Flask, services: Services) -> FlaskClient:
    assert services.user_service is not None
    services.user_service.add("ada", "admin", PASSWORD)
    services.user_service.add("sue", "supervisor", PASSWORD)
    client = app.test_client()
    sign_in(client, "ada")
    return client


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with running_receiver() as started:
        yield started


def post(client: FlaskClient, path: str, data: dict[str, object] | None = None
         ) -> TestResponse:
    return client.post(path, data={"csrf_token": csrf_of(client.get(PAGE)), **(data or {})})


def shown_secret(page: TestResponse) -> str:
    found = re.search(r'id="secret-value">(whsec_[^<]+)<', page.text)
    assert found, "the page shows no secret"
    return found.group(1)


def audit_rows(services: Services, *secrets: str) -> list[tuple[str, str]]:
    assert services.audit is not None
    rows = services.audit.entries()
    for row in rows:
        assert not any(secret in json.dumps(row.details) for secret in secrets)
    return [(e.action, e.entity_id) for e in rows]


def test_roles(app: Flask, admin: FlaskClient) -> None:
    assert app.test_client().get(PAGE).status_code == 303
    sue = app.test_client()
    sign_in(sue, "sue")
    assert sue.get(PAGE).status_code == 403
    assert sue.post(f"{PAGE}/1/disable", data={"csrf_token": csrf_of(sue.get(PAGE))}
                    ).status_code == 403


def test_add_rotate_disable_enable_delete(admin: FlaskClient, services: Services,
                                          receiver: WebhookReceiver) -> None:
    endpoints = services.webhook_endpoints
    assert endpoints is not None
    added = post(admin, PAGE, {"url": receiver.url, "events": ["call.offered", "call.ended"],
                               "queues": "billing, sales", "description": "CRM"})
    assert added.status_code == 201
    secret = shown_secret(added)
    [view] = endpoints.list()
    assert (view.url, view.events, view.queues) == (
        receiver.url, ("call.offered", "call.ended"), ("billing", "sales"))
    assert endpoints.secret(view.id) == secret
    assert secret not in admin.get(PAGE).text  # shown once

    rotated = post(admin, f"{PAGE}/{view.id}/rotate")
    new_secret = shown_secret(rotated)
    assert new_secret != secret and endpoints.secret(view.id) == new_secret

    assert post(admin, f"{PAGE}/{view.id}/disable").status_code == 303
    assert not endpoints.get(view.id).enabled
    assert post(admin, f"{PAGE}/{view.id}/enable").status_code == 303
    assert endpoints.get(view.id).enabled
    assert post(admin, f"{PAGE}/{view.id}/delete").status_code == 303
    assert endpoints.list() == []
    assert audit_rows(services, secret, new_secret) == [
        ("webhook.remove", str(view.id)), ("webhook.enable", str(view.id)),
        ("webhook.disable", str(view.id)), ("webhook.rotate", str(view.id)),
        ("webhook.add", str(view.id))]


@pytest.mark.parametrize(("data", "message"), [
    ({"url": "ftp://crm.example.com/x"}, "must be an absolute http:// or https:// URL"),
    ({"url": "https://crm.example.com/x", "events": ["call.exploded"]},
     "unknown event(s) call.exploded"),
])
def test_bad_endpoints_are_refused(admin: FlaskClient, services: Services,
                                   data: dict[str, object], message: str) -> None:
    refused = post(admin, PAGE, data)
    assert refused.status_code == 422 and message in refused.text
    assert services.webhook_endpoints is not None and services.webhook_endpoints.list() == []
    assert audit_rows(services) == []


def test_replay_a_dead_delivery(admin: FlaskClient, services: Services,
                                receiver: WebhookReceiver) -> None:
    assert services.webhook_endpoints is not None and services.webhook_deliverer is not None
    endpoint_id, receiver.secret = services.webhook_endpoints.add(receiver.url)
    delivery_id = dead_delivery(services, endpoint_id)
    row = admin.get(PAGE).text.split(f'data-delivery="{delivery_id}"', 1)[1].split("</tr>")[0]
    assert "dead" in row and "HTTP 503: down for maintenance" in row and "Replay" in row

    replayed = post(admin, f"/admin/webhook-deliveries/{delivery_id}/replay")

    assert replayed.status_code == 303
    [received] = receiver.wait_for(1)
    delivery = services.webhook_deliverer.get(delivery_id)
    assert received.verified and received.webhook_id == delivery.msg_id
    assert delivery.status == "delivered" and delivery.attempts == 1
    page = admin.get(PAGE).text
    assert f"Replayed delivery {delivery_id}: delivered (HTTP 200)." in page
    assert audit_rows(services) == [("webhook.replay", str(endpoint_id))]
    dead_only = admin.get(f"{PAGE}?status=dead").text
    assert f'data-delivery="{delivery_id}"' not in dead_only and "No deliveries dead" in dead_only


def test_replay_refused_while_the_endpoint_is_disabled(admin: FlaskClient,
                                                        services: Services) -> None:
    assert services.webhook_endpoints is not None
    endpoint_id, _ = services.webhook_endpoints.add("http://127.0.0.1:9/hook")
    delivery_id = dead_delivery(services, endpoint_id)
    services.webhook_endpoints.disable(endpoint_id)
    refused = post(admin, f"/admin/webhook-deliveries/{delivery_id}/replay")
    assert refused.status_code == 409 and "enable it first" in refused.text
    assert audit_rows(services) == []


def test_csrf_is_required(admin: FlaskClient, services: Services) -> None:
    assert services.webhook_endpoints is not None
    endpoint_id, _ = services.webhook_endpoints.add("http://127.0.0.1:9/hook")
    delivery_id = dead_delivery(services, endpoint_id)
    for path in (PAGE, f"{PAGE}/{endpoint_id}/rotate", f"{PAGE}/{endpoint_id}/disable",
                 f"{PAGE}/{endpoint_id}/enable", f"{PAGE}/{endpoint_id}/delete",
                 f"/admin/webhook-deliveries/{delivery_id}/replay"):
        assert admin.post(path, data={"url": "http://127.0.0.1:9/x"}).status_code == 403
    assert len(services.webhook_endpoints.list()) == 1
    assert audit_rows(services) == []
