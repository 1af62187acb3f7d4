"""GET /api/flows and /api/flows/<id>: published flows as JSON, read fresh on every request,
for staff who may read flows (admin, supervisor, qa) only."""

from __future__ import annotations

import base64

import pytest
from flask import Flask
from flask.testing import FlaskClient
from staff_login import PASSWORD, sign_in

from voice.compose import Services

CONTENT = "id: main\nname: Acme support line\n"


def publish(services: Services, version_note: str | None = None, content: str = CONTENT) -> None:
    services.flow_repository.publish(
        flow_id="main", name="Acme support line", content=content,
        numbers=["+15550100", "1000"], published_by="alice", note=version_note,
    )


@pytest.fixture
def client(app: Flask, services: Services) -> FlaskClient:
    """A test client signed in with a QA user's password (HTTP Basic on every request)."""
    assert services.user_service is not None
    services.user_service.add("quinn", "qa", PASSWORD)
    token = base64.b64encode(f"quinn:{PASSWORD}".encode()).decode()
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Basic {token}"
    return test_client


def test_no_flows_yet(client: FlaskClient) -> None:
    response = client.get("/api/flows")

    assert response.status_code == 200
    assert response.get_json() == {"flows": []}


def test_lists_published_flows_and_new_versions_without_restart(
    client: FlaskClient, services: Services
) -> None:
    publish(services)
    first = client.get("/api/flows").get_json()["flows"]

    assert len(first) == 1
    flow = first[0]
    assert {k: flow[k] for k in ("id", "name", "version", "numbers", "published_by")} == {
        "id": "main", "name": "Acme support line", "version": 1,
        "numbers": ["+15550100", "1000"], "published_by": "alice",
    }
    assert len(flow["sha256"]) == 64
    assert flow["published_at"].endswith("+00:00")

    publish(services, content=CONTENT + "# new menu\n")
    again = client.get("/api/flows").get_json()["flows"]
    assert [(f["id"], f["version"]) for f in again] == [("main", 2)]


def test_one_flow_with_its_versions(client: FlaskClient, services: Services) -> None:
    publish(services)
    publish(services, version_note="second", content=CONTENT + "# v2\n")

    body = client.get("/api/flows/main").get_json()

    assert body["version"] == 2
    assert body["content"] == CONTENT + "# v2\n"
    assert [(v["version"], v["note"]) for v in body["versions"]] == [(1, None), (2, "second")]


def test_unknown_flow_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/api/flows/nope")

    assert response.status_code == 404
    body = response.get_json()
    assert body["error_id"] == "flow-not-found"
    assert body["details"] == {"flow_id": "nope"}
    assert "nope" in body["message"]


def test_unknown_api_route_is_json(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")

    assert response.status_code == 404
    assert response.get_json()["error_id"] == "not-found"


def test_home_page_links_the_api(app: Flask, services: Services) -> None:
    publish(services)
    assert services.user_service is not None
    services.user_service.add("sue", "supervisor", PASSWORD)
    visitor = app.test_client()
    assert "Published flows" not in visitor.get("/").text
    client = app.test_client()
    sign_in(client, "sue")

    page = client.get("/").get_data(as_text=True)

    assert "/healthz" in page
    assert 'href="/api/flows/main"' in page


@pytest.mark.parametrize("who", ["nobody", "agent"])
def test_flows_are_not_public(app: Flask, services: Services, who: str) -> None:
    publish(services)
    client = app.test_client()
    if who == "agent":
        assert services.acd is not None
        services.acd.agents.add("ann", PASSWORD, queues=["support"])
        sign_in(client, "ann")
    answer = client.get("/api/flows/main")
    assert answer.status_code == (401 if who == "nobody" else 403)
    assert "Acme" not in answer.text
