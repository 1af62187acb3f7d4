"""``/admin/agents`` and ``/admin/users``: adding, changing, disabling agents and staff
users, API keys shown once, refusals that change nothing, and an audit row per change
without any password or key."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from staff_login import PASSWORD, csrf_of, sign_in
from werkzeug.test import TestResponse

from voice.compose import Services

AGENTS, USERS = "/admin/agents", "/admin/users"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def admin(app: Flask, services: Services) -> FlaskClient:
    assert services.user_service is not None and services.acd is not None
    services.user_service.add("ada", "admin", PASSWORD)
    services.user_service.add("quinn", "qa", PASSWORD)
    services.acd.agents.add("ann", PASSWORD, queues=["support"], skills=["billing:3"])
    client = app.test_client()
    sign_in(client, "ada")
    return client


def post(client: FlaskClient, path: str, **data: str) -> TestResponse:
    return client.post(path, data={"csrf_token": csrf_of(client.get(USERS)), **data})


def audit_rows(services: Services) -> list[tuple[str, str, str]]:
    assert services.audit is not None
    rows = services.audit.entries()
    for row in rows:  # nothing secret ever reaches the log
        assert PASSWORD not in json.dumps(row.details) and "vk_" not in json.dumps(row.details)
    return [(e.action, e.entity_id, e.via) for e in rows]


def test_roles(app: Flask, admin: FlaskClient) -> None:
    for path in (AGENTS, USERS):
        assert app.test_client().get(path).status_code == 303
        qa = app.test_client()
        sign_in(qa, "quinn")
        assert qa.get(path).status_code == 403
        assert qa.post(f"{path}/ann/disable",
                       data={"csrf_token": csrf_of(qa.get(path))}).status_code == 403


def test_add_edit_disable_an_agent(app: Flask, admin: FlaskClient, services: Services) -> None:
    assert services.acd is not None
    page = admin.get(AGENTS).text
    assert 'data-agent="ann"' in page and "billing:3" in page

    added = post(admin, AGENTS, name="bob", password=PASSWORD, queues="support, sales",
                 skills="spanish:2", extension="202", contact="sip:bob@127.0.0.1:5062",
                 twilio_identity="bob-web")
    assert added.status_code == 303
    bob = services.acd.agents.get("bob")
    assert (bob.queues, bob.skills, bob.extension, bob.contact_uri, bob.twilio_identity) == (
        ["sales", "support"], {"spanish": 2}, "202", "sip:bob@127.0.0.1:5062", "bob-web")
    agent_client = app.test_client()
    assert sign_in(agent_client, "bob").status_code == 303  # the login works

    edited = post(admin, f"{AGENTS}/bob", queues="sales", skills="spanish:2", extension="",
                  contact="sip:bob@127.0.0.1:5062", twilio_identity="bob-web")
    assert edited.status_code == 303
    bob = services.acd.agents.get("bob")
    assert (bob.queues, bob.extension) == (["sales"], None)

    services.acd.agents.set_state("bob", "available")
    assert post(admin, f"{AGENTS}/bob/disable").status_code == 303
    assert services.acd.agents.get("bob").state == "offline"
    assert agent_client.get("/agent").status_code == 303  # the session ended
    assert "<strong>disabled</strong>" in admin.get(AGENTS).text
    assert post(admin, f"{AGENTS}/bob/enable").status_code == 303
    assert [a for a, _, _ in audit_rows(services)] == [
        "agent.enable", "agent.disable", "agent.update", "agent.add"]
    assert services.audit is not None
    update = services.audit.entries(entity_type="agent")[2]
    assert update.details == {"changes": {"queues": [["sales", "support"], ["sales"]],
                                          "extension": ["202", None]}}


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": "ann", "password": PASSWORD}, "already exists"),
    ({"name": "cy", "password": "short"}, "use at least 8"),
    ({"name": "cy", "password": PASSWORD, "skills": "billing:99"}, "billing:99"),
    ({"name": "cy", "password": PASSWORD, "contact": "ann@host"}, "must be a SIP URI"),
])
def test_bad_agent_forms_change_nothing(admin: FlaskClient, services: Services,
                                        fields: dict[str, str], message: str) -> None:
    refused = post(admin, AGENTS, **fields)
    assert refused.status_code == 422 and message in refused.text
    assert PASSWORD not in refused.text  # a password is never sent back
    assert services.acd is not None
    assert [a.name for a in services.acd.agents.list()] == ["ann"]
    assert audit_rows(services) == []


def test_users_roles_passwords_and_api_keys(app: Flask, admin: FlaskClient,
                                            services: Services) -> None:
    users = services.user_service
    assert users is not None
    assert post(admin, USERS, username="sue", role="supervisor",
                password=PASSWORD).status_code == 303
    assert users.get("sue").role == "supervisor"
    assert post(admin, f"{USERS}/sue/role", role="qa").status_code == 303
    assert users.get("sue").role == "qa"

    sue = app.test_client()
    sign_in(sue, "sue")
    assert sue.get(USERS).status_code == 403  # signed in, as qa
    assert post(admin, f"{USERS}/sue/password", password=NEW_PASSWORD).status_code == 303
    assert sue.get(USERS).status_code == 303  # the new password ended her session
    assert users.check_password("sue", NEW_PASSWORD) is not None

    made = post(admin, f"{USERS}/sue/api-key")
    assert made.status_code == 200
    key = re.search(r'id="secret-value">(vk_[^<]+)<', made.text)
    assert key is not None and users.check_api_key(key.group(1)) is not None
    assert key.group(1) not in admin.get(USERS).text  # shown once
    assert post(admin, f"{USERS}/sue/api-key/revoke").status_code == 303
    assert users.check_api_key(key.group(1)) is None

    assert post(admin, f"{USERS}/sue/disable").status_code == 303
    assert users.check_password("sue", NEW_PASSWORD) is None
    assert post(admin, f"{USERS}/sue/enable").status_code == 303
    assert [a for a, _, _ in audit_rows(services)] == [
        "user.enable", "user.disable", "user.api_key_revoke", "user.api_key", "user.passwd",
        "user.role", "user.add"]


def test_disabling_an_agent_on_the_users_page_puts_them_offline(
        admin: FlaskClient, services: Services) -> None:
    assert services.acd is not None and services.user_service is not None
    assert services.acd.agents.set_state("ann", "available").state == "available"

    assert post(admin, f"{USERS}/ann/disable").status_code == 303

    assert services.acd.agents.get("ann").state == "offline"  # no caller is offered to her
    assert services.user_service.check_password("ann", PASSWORD) is None
    assert post(admin, f"{USERS}/ann/enable").status_code == 303
    assert services.user_service.check_password("ann", PASSWORD) is not None
    assert [a for a, _, _ in audit_rows(services)] == ["user.enable", "user.disable"]


@pytest.mark.parametrize(("path", "fields", "message"), [
    (USERS, {"username": "ada", "role": "qa", "password": PASSWORD}, "already exists"),
    (USERS, {"username": "cy", "role": "boss", "password": PASSWORD}, "role &#39;boss&#39;"),
    (USERS, {"username": "cy", "role": "agent", "password": PASSWORD}, "Agents page"),
    (USERS, {"username": "c y", "role": "qa", "password": PASSWORD}, "may only contain"),
    (f"{USERS}/ada/role", {"role": "qa"}, "you cannot change the role of yourself"),
    (f"{USERS}/ada/disable", {}, "you cannot disable yourself"),
    (f"{USERS}/ann/role", {"role": "qa"}, "agents get and lose the agent role"),
    (f"{USERS}/quinn/password", {"password": "short"}, "use at least 8"),
])
def test_bad_user_forms_change_nothing(admin: FlaskClient, services: Services, path: str,
                                       fields: dict[str, str], message: str) -> None:
    users = services.user_service
    assert users is not None
    before = users.list()
    refused = post(admin, path, **fields)
    assert refused.status_code == 422 and message in refused.text
    assert users.list() == before
    assert audit_rows(services) == []


def test_csrf_is_required(admin: FlaskClient, services: Services) -> None:
    users = services.user_service
    assert users is not None
    before = users.list()
    for path in (USERS, f"{USERS}/quinn/role", f"{USERS}/quinn/password",
                 f"{USERS}/quinn/disable", f"{USERS}/quinn/enable", f"{USERS}/quinn/api-key",
                 f"{USERS}/quinn/api-key/revoke", AGENTS, f"{AGENTS}/ann",
                 f"{AGENTS}/ann/disable", f"{AGENTS}/ann/enable"):
        answer = admin.post(path, data={"username": "x", "role": "admin", "name": "x",
                                        "password": PASSWORD, "queues": "q"})
        assert answer.status_code == 403, path
    assert users.list() == before
    assert audit_rows(services) == []
