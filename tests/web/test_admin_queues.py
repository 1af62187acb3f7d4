"""``/admin/queues``: live figures and settings; adding and changing queues through the real
QueueRepository, refused forms that change nothing, and an audit row per change."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from staff_login import PASSWORD, csrf_of, sign_in
from werkzeug.test import TestResponse

from voice.compose import Services

PAGE = "/admin/queues"
SETTINGS = {"strategy": "round_robin", "ring_timeout": "15", "wrap_up": "45",
            "max_wait": "900", "overflow": "general", "service_level": "30",
            "skills": "billing, spanish:2", "description": "Billing line"}


@pytest.fixture
def admin(app: Flask, services: Services) -> FlaskClient:
    assert services.user_service is not None and services.acd is not None
    services.user_service.add("ada", "admin", PASSWORD)
    services.user_service.add("sue", "supervisor", PASSWORD)
    services.acd.agents.add("ann", PASSWORD, queues=["support"])
    services.acd.agents.set_state("ann", "available")
    client = app.test_client()
    sign_in(client, "ada")
    return client


def post(client: FlaskClient, path: str, **data: str) -> TestResponse:
    return client.post(path, data={"csrf_token": csrf_of(client.get(PAGE)), **data})


def audit_rows(services: Services) -> list[tuple[str, str, dict | None]]:
    assert services.audit is not None
    return [(e.action, e.entity_id, e.details) for e in services.audit.entries()]


def test_roles(app: Flask, admin: FlaskClient) -> None:
    assert app.test_client().get(PAGE).status_code == 303
    supervisor = app.test_client()
    sign_in(supervisor, "sue")
    assert supervisor.get(PAGE).status_code == 403
    assert supervisor.post(PAGE, data={"csrf_token": csrf_of(supervisor.get(PAGE)),
                                       "name": "x"}).status_code == 403


def test_lists_live_counts_and_adds_a_queue(admin: FlaskClient, services: Services) -> None:
    assert services.acd is not None
    services.acd.distributor.enqueue("c-1", "support", channel="sip", from_number="+1555")
    page = admin.get(PAGE)
    assert page.status_code == 200
    row = page.text.split('data-queue="support"', 1)[1].split("</tr>", 1)[0]
    assert "(defaults)" in row and "1 available" in row

    added = post(admin, PAGE, name="billing", **SETTINGS)

    assert added.status_code == 303
    config = services.acd.queues.get("billing")
    assert (config.strategy, config.ring_timeout, config.wrap_up, config.max_wait,
            config.overflow, config.service_level, config.skills, config.description) == (
        "round_robin", 15, 45, 900, "general", 30, ["billing", "spanish:2"], "Billing line")
    [(action, name, details)] = audit_rows(services)
    assert (action, name) == ("queue.add", "billing")
    assert details is not None and details["settings"]["ring_timeout"] == 15
    assert "Added queue billing." in admin.get(PAGE).text

    twice = post(admin, PAGE, name="billing", **SETTINGS)
    assert twice.status_code == 422 and "exists already" in twice.text


def test_edit_records_what_changed(admin: FlaskClient, services: Services) -> None:
    assert post(admin, PAGE, name="billing", **SETTINGS).status_code == 303
    changed = post(admin, f"{PAGE}/billing", **{**SETTINGS, "wrap_up": "60",
                                                 "strategy": "fewest_calls"})
    assert changed.status_code == 303
    assert services.acd is not None
    assert services.acd.queues.get("billing").wrap_up == 60
    action, name, details = audit_rows(services)[0]
    assert (action, name) == ("queue.update", "billing")
    assert details == {"changes": {"strategy": ["round_robin", "fewest_calls"],
                                   "wrap_up": [45, 60]}}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("ring_timeout", "2", "ring_timeout must be a whole number of seconds 5-300"),
    ("wrap_up", "soon", "wrap-up: &#39;soon&#39; is not a whole number"),
    ("strategy", "random", "strategy &#39;random&#39; is unknown"),
    ("skills", "billing:11", "billing:11"),
    ("overflow", "billing", "overflow must name another queue"),
])
def test_bad_settings_are_refused(admin: FlaskClient, services: Services, field: str,
                                  value: str, message: str) -> None:
    assert post(admin, PAGE, name="billing", **SETTINGS).status_code == 303
    refused = post(admin, f"{PAGE}/billing", **{**SETTINGS, field: value})
    assert refused.status_code == 422
    assert message in refused.text and "Nothing was changed" in refused.text
    assert services.acd is not None
    assert services.acd.queues.get("billing").ring_timeout == 15
    assert [a for a, _, _ in audit_rows(services)] == ["queue.add"]


def test_overflow_needs_a_max_wait_and_names_need_rules(admin: FlaskClient,
                                                        services: Services) -> None:
    no_wait = post(admin, PAGE, name="billing", **{**SETTINGS, "max_wait": ""})
    assert no_wait.status_code == 422 and "give a max wait too" in no_wait.text
    bad_name = post(admin, PAGE, name="bil ling", **SETTINGS)
    assert bad_name.status_code == 422 and "must be 1-100 letters" in bad_name.text
    assert services.acd is not None and services.acd.queues.list() == []
    assert audit_rows(services) == []


def test_csrf_is_required(admin: FlaskClient, services: Services) -> None:
    for path in (PAGE, f"{PAGE}/support"):
        assert admin.post(path, data={"name": "billing", **SETTINGS}).status_code == 403
    assert services.acd is not None and services.acd.queues.list() == []
