"""GET /api/flows and /api/flows/<id>: published flows as JSON, read fresh on every request."""

from __future__ import annotations

from flask.testing import FlaskClient

from voice.compose import Services

CONTENT = "id: main\nname: Acme support line\n"


def publish(services: Services, version_note: str | None = None, content: str = CONTENT) -> None:
    services.flow_repository.publish(
        flow_id="main", name="Acme support line", content=content,
        numbers=["+15550100", "1000"], published_by="alice", note=version_note,
    )


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


def test_home_page_links_the_api(client: FlaskClient, services: Services) -> None:
    publish(services)

    page = client.get("/").get_data(as_text=True)

    assert "/healthz" in page
    assert 'href="/api/flows/main"' in page
