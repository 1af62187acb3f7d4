"""Admin flow pages and the editor's API (:mod:`voice.web.admin_flows`,
:mod:`voice.web.api_flow_editor`) with the Flask test client: who may use them, CSRF on every
change, publish refused when invalid with the live version unchanged, drafts, conflicts, diff,
rollback, and the audit entries."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from staff_login import FAST_HASHING, PASSWORD, csrf_of, sign_in
from web_app import running_app

from voice.compose import Services
from voice.flows.catalog import publish_flows
from voice.settings import PROJECT_ROOT, Settings
from voice.store.models import AuthAttempt

AT = "2026-11-24T10:00:00-05:00"
API = "/api/admin/flows/main"


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    target = tmp_path / "flows"
    shutil.copytree(PROJECT_ROOT / "ivr_flows", target)
    return target


@pytest.fixture
def settings(db_url: str, tmp_path: Path, flows_dir: Path,
             make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(db_url, tmp_path / "data", VOICE_FLOWS_DIR=str(flows_dir),
                         **FAST_HASHING)


@pytest.fixture
def staff(services: Services) -> Services:
    """Published flows (as `voice up` leaves them) and one user of each role."""
    assert services.user_service is not None and services.acd is not None
    publish_flows(services, published_by="voice up")
    services.user_service.add("ada", "admin", PASSWORD)
    services.user_service.add("quinn", "qa", PASSWORD)
    services.user_service.add("sue", "supervisor", PASSWORD)
    services.acd.agents.add("ann", PASSWORD, queues=["general"])
    return services


@pytest.fixture
def web(staff: Services) -> Iterator[Flask]:
    with running_app(staff.settings) as app:
        yield app


def admin(app: Flask) -> tuple[FlaskClient, dict[str, str]]:
    """A client signed in as the admin, and the CSRF header of its pages."""
    client = app.test_client()
    sign_in(client, "ada")
    return client, {"X-CSRF-Token": csrf_of(client.get("/admin/flows/main"))}


def main_text(services: Services) -> str:
    return (services.settings.flows_dir / "main.yaml").read_text(encoding="utf-8")


CHANGES = [("post", f"{API}/check"), ("post", f"{API}/simulate"), ("put", f"{API}/draft"),
           ("delete", f"{API}/draft"), ("post", f"{API}/publish"), ("post", f"{API}/rollback")]
READS = [f"{API}/versions", f"{API}/diff?from=1&to=1"]


def test_only_admins_open_the_pages_and_the_api(web: Flask) -> None:
    visitor = web.test_client()
    for page in ("/admin/flows", "/admin/flows/main"):
        response = visitor.get(page)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/login?next=%2Fadmin%2Fflows")
    for path in READS:
        assert visitor.get(path).status_code == 401
    for method, path in CHANGES:
        assert getattr(visitor, method)(path, json={}).status_code == 401
    for user in ("quinn", "sue", "ann"):
        client = web.test_client()
        sign_in(client, user)
        for page in ("/admin/flows", "/admin/flows/main"):
            response = client.get(page)
            assert response.status_code == 403 and "for admin users" in response.text
        for path in READS:
            assert client.get(path).json["error_id"] == "forbidden"  # type: ignore[index]
        token = {"X-CSRF-Token": csrf_of(client.get("/"))}
        for method, path in CHANGES:
            response = getattr(client, method)(path, json={"text": "x"}, headers=token)
            assert response.status_code == 403 and response.json["error_id"] == "forbidden"


def test_every_change_without_the_csrf_token_is_refused(web: Flask, staff: Services) -> None:
    client, _ = admin(web)
    text = main_text(staff).replace("Acme.", "Acme!")
    body = {"text": text, "base_version": 1, "to_version": 1, "inputs": [], "at": AT}
    for method, path in CHANGES:
        response = getattr(client, method)(path, json=body)
        assert response.status_code == 403, path
        assert response.json["error_id"] == "csrf-token-invalid"
        response = getattr(client, method)(path, json=body,
                                           headers={"X-CSRF-Token": "forged"})
        assert response.status_code == 403, path
    assert staff.flow_repository.current("main").version == 1  # type: ignore[union-attr]
    assert main_text(staff) != text
    assert staff.audit is not None and staff.audit.entries(entity_type="flow") == []


def test_an_api_key_needs_no_csrf_token(web: Flask, staff: Services) -> None:
    assert staff.user_service is not None
    key = staff.user_service.new_api_key("ada")
    response = web.test_client().post(f"{API}/check", json={"text": main_text(staff)},
                                      headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200 and response.json["ok"] is True


def test_the_list_shows_each_flow_with_its_version_and_last_change(web: Flask,
                                                                    staff: Services) -> None:
    client, csrf = admin(web)
    page = client.get("/admin/flows")
    assert page.status_code == 200
    assert '<tr data-flow="main">' in page.text and '<tr data-flow="payments">' in page.text
    assert "Acme support line" in page.text and "+15550100, 1000" in page.text
    assert "v1" in page.text and "by <strong>voice up</strong>" in page.text
    assert "file matches live" in page.text
    client.put(f"{API}/draft", json={"text": main_text(staff), "base_version": 1},
               headers=csrf)
    page = client.get("/admin/flows")
    assert "by <strong>ada</strong>" in page.text and "revision 1 by ada" in page.text


def test_the_editor_page_embeds_the_text_problems_graph_and_versions(web: Flask) -> None:
    client, _ = admin(web)
    page = client.get("/admin/flows/main")
    assert page.status_code == 200
    assert 'id="flow-text"' in page.text and "Thanks for calling Acme." in page.text
    assert 'id="editor-data"' in page.text and "codemirror.js" in page.text
    assert "Editing live version 1" in page.text
    assert "<script>" not in page.text  # data only as application/json, code from files
    assert client.get("/admin/flows/nope").status_code == 404
    assert client.get("/admin/flows/new?id=promo").headers["Location"].endswith(
        "/admin/flows/promo?new=1")
    starter = client.get("/admin/flows/promo?new=1")
    assert starter.status_code == 200 and "id: promo" in starter.text
    bad = client.get("/admin/flows/new?id=9lives")
    assert "is not a valid flow id" in client.get(bad.headers["Location"]).text


def test_check_gives_the_cli_line_and_the_graph(web: Flask, staff: Services) -> None:
    client, csrf = admin(web)
    bad = main_text(staff).replace("next: hours", "next: hourz")
    body = client.post(f"{API}/check", json={"text": bad}, headers=csrf).json
    [problem] = body["problems"]
    assert (problem["line"], problem["node"], problem["field"]) == (11, "greeting", "next")
    assert problem["text"].endswith("main.yaml:11: node 'greeting': field 'next': 'hourz' "
                                    "names no node (did you mean 'hours'?)")
    assert any(n["id"] == "hourz" and n["missing"] for n in body["graph"]["nodes"])
    broken = client.post(f"{API}/check", json={"text": "id: main\nnodes: [\n"},
                         headers=csrf).json
    assert broken["graph"] is None and "YAML syntax error" in broken["problems"][0]["text"]
    missing = client.post(f"{API}/check", json={}, headers=csrf)
    assert (missing.status_code, missing.json["error_id"]) == (400, "text-required")
    huge = client.put(f"{API}/draft", json={"text": "#" * 1_000_001}, headers=csrf)
    assert (huge.status_code, huge.json["error_id"]) == (413, "flow-too-large")
    assert "at most 1000000 characters" in huge.json["message"]


def test_publish_is_refused_when_invalid_and_the_live_version_keeps_serving(
        web: Flask, staff: Services) -> None:
    client, csrf = admin(web)
    before = main_text(staff)
    response = client.post(f"{API}/publish", headers=csrf, json={
        "text": before.replace("next: hours", "next: nowhere"), "base_version": 1})
    assert response.status_code == 422 and response.json["error_id"] == "flow-invalid"
    [problem] = response.json["details"]["problems"]
    assert problem["line"] == 11 and "'nowhere' names no node" in problem["text"]
    assert "live version keeps serving" in response.json["message"]
    live = staff.flow_repository.current("main")
    assert live is not None and live.version == 1 and live.content == before
    assert main_text(staff) == before
    assert staff.flow_catalog.published("main").versions == {"main": 1, "payments": 1}


def test_save_publish_diff_rollback_and_the_audit_trail(web: Flask, staff: Services) -> None:
    client, csrf = admin(web)
    edited = main_text(staff).replace("  greeting:\n", "  # first words\n  greeting:\n") \
        .replace("Thanks for calling Acme.", "Welcome to Acme.")
    saved = client.put(f"{API}/draft", json={"text": edited, "base_version": 1}, headers=csrf)
    assert saved.status_code == 200 and saved.json["draft"]["revision"] == 1
    assert "Editing the draft (revision 1" in client.get("/admin/flows/main").text
    diff = client.get(f"{API}/diff?from=1&to=draft").json
    assert [(n["node"], n["change"]) for n in diff["nodes"]] == [("greeting", "changed")]

    published = client.post(f"{API}/publish", json={"text": edited, "base_version": 1},
                            headers=csrf)
    assert published.status_code == 200 and published.json["version"]["version"] == 2
    assert main_text(staff) == edited  # comments and all
    assert client.get(f"{API}/versions").json["draft"] is None
    assert publish_flows(staff, published_by="voice up").published == []  # file == live

    diff = client.get(f"{API}/diff?from=1&to=2").json
    [greeting] = diff["nodes"]
    assert greeting["fields"] == [{
        "field": "text", "change": "changed",
        "old": "Thanks for calling Acme. Calls are recorded for quality and training.",
        "new": "Welcome to Acme. Calls are recorded for quality and training."}]
    assert diff["counts"] == {"added": 0, "removed": 0, "changed": 1}

    rolled = client.post(f"{API}/rollback", json={"to_version": 1}, headers=csrf)
    assert rolled.status_code == 200 and rolled.json["version"]["version"] == 3
    assert "Thanks for calling Acme." in main_text(staff)
    versions = client.get(f"{API}/versions").json["versions"]
    assert [(v["version"], v["live"]) for v in versions] == [(1, False), (2, False), (3, True)]
    assert client.post(f"{API}/rollback", json={"to_version": 9}, headers=csrf).json[
        "error_id"] == "flow-version-not-found"

    assert staff.audit is not None
    entries = staff.audit.entries(entity_type="flow", entity_id="main")
    assert [(e.action, e.actor, e.via) for e in entries] == [
        ("flow.rollback", "ada", "web"), ("flow.publish", "ada", "web"),
        ("flow.draft.save", "ada", "web")]
    assert entries[1].details is not None and entries[1].details["version"] == 2
    assert entries[1].details["nodes"] == {"added": 0, "removed": 0, "changed": 1}
    assert entries[0].details is not None and entries[0].details["to_version"] == 1


def test_conflicts_are_refused_and_lose_nothing(web: Flask, staff: Services) -> None:
    client, csrf = admin(web)
    text = main_text(staff)
    client.put(f"{API}/draft", json={"text": "ours", "base_version": 1}, headers=csrf)
    other, other_csrf = admin(web)
    other.put(f"{API}/draft", json={"text": "theirs", "revision": 1, "base_version": 1},
              headers=other_csrf)
    stale = client.put(f"{API}/draft", json={"text": "ours again", "revision": 1,
                                             "base_version": 1}, headers=csrf)
    assert stale.status_code == 409 and stale.json["error_id"] == "draft-conflict"
    assert stale.json["details"]["revision"] == 2
    assert client.delete(f"{API}/draft", headers=csrf).json == {"deleted": True}
    assert client.delete(f"{API}/draft", headers=csrf).json == {"deleted": False}
    assert staff.audit is not None
    assert [e.action for e in staff.audit.entries(entity_id="main")][:1] == ["flow.draft.discard"]

    client.post(f"{API}/publish", json={"text": text.replace("Acme.", "Acme!"),
                                        "base_version": 1}, headers=csrf)
    late = other.post(f"{API}/publish", json={"text": text.replace("Acme.", "Acme?"),
                                              "base_version": 1}, headers=other_csrf)
    assert late.status_code == 409 and late.json["error_id"] == "flow-changed"
    assert late.json["details"]["live_version"] == 2 and "Acme!" in main_text(staff)
    forced = other.post(f"{API}/publish", json={"text": text.replace("Acme.", "Acme?"),
                                                "base_version": 1, "force": True},
                        headers=other_csrf)
    assert forced.json["version"]["version"] == 3

    # an edit made on disk and never published is not overwritten by a rollback either
    path = staff.settings.flows_dir / "main.yaml"
    path.write_text(main_text(staff).replace("Acme?", "Acme (edited on disk)"))
    kept = client.post(f"{API}/rollback", json={"to_version": 1}, headers=csrf)
    assert kept.status_code == 409 and kept.json["error_id"] == "flow-changed"
    assert "main.yaml holds changes that were never published" in kept.json["message"]
    assert "edited on disk" in main_text(staff)
    assert client.get(f"{API}/versions").json["versions"][-1]["version"] == 3
    over = client.post(f"{API}/rollback", json={"to_version": 1, "force": True},
                       headers=csrf)
    assert over.json["version"]["version"] == 4 and main_text(staff) == text


def test_simulate_replays_the_inputs_and_masks_the_pin(web: Flask, staff: Services) -> None:
    client, csrf = admin(web)
    body = {"text": main_text(staff), "at": AT, "customer": "20005678",
            "lookups": 'crm={"vip": true}', "inputs": ["1", "20005678#", "8642#"]}
    result = client.post(f"{API}/simulate", json=body, headers=csrf).json
    assert result["waiting"]["for"] == "queue" and result["final"]["queue"] == "billing"
    said = str(result["dialogue"])
    assert "8642" not in said and "presses ****" in said and "8642" not in str(result)
    assert [s["node"] for s in result["path"]][-3:] == ["crm", "vip", "billing_priority"]
    # a rehearsal: no call in the call log, no verification against real customers
    assert staff.call_repository.list_calls() == []
    with staff.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuthAttempt)) == 0
    bad = client.post(f"{API}/simulate", json={**body, "at": "tomorrow"}, headers=csrf)
    assert bad.status_code == 400 and "'at' must be an ISO 8601" in bad.json["message"]
    broken = client.post(f"{API}/simulate", headers=csrf, json={
        **body, "text": body["text"].replace("next: hours", "next: x")})
    assert broken.status_code == 422 and broken.json["details"]["problems"][0]["line"] == 11
