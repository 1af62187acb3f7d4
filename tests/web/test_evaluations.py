"""QA evaluations over HTTP: the scorecard admin pages, /qa/evaluations, its CSV and the JSON
API of the call page's panel: who may do what, CSRF, and the validation answers."""

from __future__ import annotations

import csv
import io
import re

import pytest
from evaluation_pages import add_answered_call, add_staff
from evaluations.scorecard_samples import SECTIONS
from flask import Flask
from flask.testing import FlaskClient
from staff_login import csrf_of, sign_in

from voice.compose import Services

ANSWERS = {"q1": "yes", "q2": "no", "q3": 5}  # (1 + 0 + 2) / 6 = 50 %


@pytest.fixture
def staff(services: Services) -> Services:
    add_staff(services)
    add_answered_call(services, "call-1")
    add_answered_call(services, "call-2")
    return services


def client_for(app: Flask, username: str | None) -> FlaskClient:
    client = app.test_client()
    if username:
        sign_in(client, username)
    return client


def token(client: FlaskClient) -> str:
    return csrf_of(client.get("/qa/evaluations"))


def make_card(staff: Services, name: str = "Quality", active: bool = True) -> int:
    assert staff.evaluations is not None
    return staff.evaluations.create_scorecard(name=name, description=None, active=active,
                                              sections=SECTIONS, actor="ada").id


def test_who_may_open_what(staff: Services, app: Flask) -> None:
    visitor = client_for(app, None)
    for page in ("/admin/scorecards", "/admin/scorecards/new", "/qa/evaluations",
                 "/qa/evaluations.csv"):
        answer = visitor.get(page)
        assert answer.status_code == 303 and "/login?next=" in answer.location
    assert visitor.get("/api/scorecards").status_code == 401
    agent = client_for(app, "ann")
    for page in ("/admin/scorecards", "/qa/evaluations", "/qa/evaluations.csv"):
        assert agent.get(page).status_code == 403
    for api in ("/api/scorecards", "/api/calls/call-1/evaluations", "/api/evaluations",
                "/api/evaluations/rollups"):
        assert agent.get(api).status_code == 403
    qa = client_for(app, "quinn")
    assert qa.get("/admin/scorecards").status_code == 403
    assert qa.get("/qa/evaluations").status_code == 200
    assert qa.get("/api/scorecards").get_json() == []
    admin = client_for(app, "ada")
    page = admin.get("/admin/scorecards")
    assert page.status_code == 200 and "No scorecards yet" in page.text
    assert 'href="/admin/scorecards"' in page.text  # the menu shows the page
    assert 'href="/qa/evaluations"' in admin.get("/qa/evaluations").text


def form(name: str, **extra: str) -> dict[str, str]:
    """The new-scorecard form filled in like SECTIONS."""
    fields = {"name": name, "description": "How calls go", "active": "on", "action": "save",
              "s0-title": "Opening", "s0-q0-text": "Greeted the caller", "s0-q0-kind": "yes_no",
              "s0-q0-weight": "1", "s0-q1-text": "Verified the caller", "s0-q1-kind": "yes_no",
              "s0-q1-weight": "3", "s0-q1-na": "on",
              "s0-q2-text": "", "s0-q2-kind": "yes_no", "s0-q2-weight": "1",  # an empty row
              "s1-title": "Manner", "s1-q0-text": "Courtesy", "s1-q0-kind": "scale",
              "s1-q0-min": "1", "s1-q0-max": "5", "s1-q0-weight": "2"}
    return {**fields, **extra}


def test_admin_defines_and_edits_a_scorecard_in_the_form(staff: Services, app: Flask) -> None:
    admin = client_for(app, "ada")
    blank = admin.get("/admin/scorecards/new")
    csrf = csrf_of(blank)
    assert 'id="s0-q1-text"' in blank.text and 'id="s1-title"' not in blank.text
    more = admin.post("/admin/scorecards/new", data={
        **form("Quality"), "csrf_token": csrf, "action": "add-question:0"})
    assert more.status_code == 200 and 'id="s0-q3-text"' in more.text  # nothing saved yet
    assert staff.evaluations.list_scorecards() == []
    assert admin.post("/admin/scorecards/new", data=form("Quality")).status_code == 403  # CSRF

    saved = admin.post("/admin/scorecards/new", data={**form("Quality"), "csrf_token": csrf})
    assert saved.status_code == 303
    [card] = staff.evaluations.list_scorecards()
    assert saved.location.endswith(f"/admin/scorecards/{card.id}")
    assert [(q.key, q.text, q.kind, q.weight, q.allow_na, q.min, q.max)
            for s in card.sections for q in s.questions] == [
        ("q1", "Greeted the caller", "yes_no", 1.0, False, None, None),
        ("q2", "Verified the caller", "yes_no", 3.0, True, None, None),
        ("q3", "Courtesy", "scale", 2.0, False, 1, 5)]
    edit = admin.get(f"/admin/scorecards/{card.id}")
    assert "created" in edit.text and 'name="s0-q0-key" value="q1"' in edit.text
    assert "No evaluation uses" in edit.text
    [entry] = staff.audit.entries(entity_type="scorecard")
    assert (entry.action, entry.actor) == ("scorecard.create", "ada")

    # used by an evaluation: changing a weight makes version 2, the old score stays
    old = staff.evaluations.create_evaluation("call-1", card.id, answers=ANSWERS, comments=[],
                                              evaluator="quinn")
    changed = form("Quality", **{"s0-q0-key": "q1", "s0-q1-key": "q2", "s1-q0-key": "q3",
                                 "s0-q0-weight": "4", "csrf_token": csrf})
    answer = admin.post(f"/admin/scorecards/{card.id}", data=changed)
    assert answer.status_code == 303
    page = admin.get(answer.location)
    assert "saved as version 2 (new)" in page.text and "Past evaluations keep" in page.text
    assert staff.evaluations.get_scorecard(card.id).version == 2
    assert staff.evaluations.get_evaluation(old.id).score == 50.0
    assert staff.audit.entries(entity_type="scorecard")[0].details["new_version"] is True


def test_scorecard_form_problems_are_listed_and_nothing_saved(staff: Services,
                                                              app: Flask) -> None:
    admin = client_for(app, "ada")
    csrf = csrf_of(admin.get("/admin/scorecards/new"))
    bad = form("", **{"csrf_token": csrf, "s1-q0-min": "5", "s1-q0-max": "1",
                      "s0-q0-weight": "heavy"})
    answer = admin.post("/admin/scorecards/new", data=bad)
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text and "give the scorecard a name" in answer.text
    assert "the weight must be a number above 0" in answer.text
    assert "a scale must go up" in answer.text
    assert 'value="heavy"' in answer.text  # what was typed is kept
    assert staff.evaluations.list_scorecards() == []
    make_card(staff)
    taken = admin.post("/admin/scorecards/new", data={**form("Quality"), "csrf_token": csrf})
    assert taken.status_code == 422 and "already exists" in taken.text
    assert admin.get("/admin/scorecards/999").status_code == 404


def test_scoring_a_call_through_the_api(staff: Services, app: Flask) -> None:
    card = make_card(staff)
    qa = client_for(app, "quinn")
    csrf = token(qa)
    [listed] = qa.get("/api/scorecards").get_json()
    assert listed["id"] == card and [q["key"] for q in listed["sections"][0]["questions"]] == [
        "q1", "q2"]
    body = {"scorecard_id": card, "answers": ANSWERS,
            "comments": [{"at_seconds": 42.0, "text": "Good greeting"}]}
    url = "/api/calls/call-1/evaluations"
    assert qa.post(url, json=body).status_code == 403  # no CSRF token
    made = qa.post(url, json=body, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201
    made_json = made.get_json()
    assert (made_json["score"], made_json["agent"], made_json["queue"]) == (50.0, "ann",
                                                                            "billing")
    assert made_json["comments"] == [{"at_seconds": 42.0, "text": "Good greeting",
                                      "author": "quinn"}]
    again = qa.post(url, json=body, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409 and again.get_json()["error_id"] == "evaluation-exists"
    assert again.get_json()["details"]["evaluation_id"] == made_json["id"]

    wrong = qa.post("/api/calls/call-2/evaluations", headers={"X-CSRF-Token": csrf},
                    json={"scorecard_id": card, "answers": {"q1": "maybe", "q3": 7}})
    assert wrong.status_code == 422 and wrong.get_json()["error_id"] == "invalid-evaluation"
    problems = wrong.get_json()["details"]["problems"]
    assert problems[0].startswith("answer every question") and len(problems) == 3
    missing = qa.post("/api/calls/nope/evaluations", json=body, headers={"X-CSRF-Token": csrf})
    assert missing.status_code == 404 and missing.get_json()["error_id"] == "call-not-found"
    no_card = qa.post(url, json={**body, "scorecard_id": 99}, headers={"X-CSRF-Token": csrf})
    assert no_card.status_code == 404
    assert qa.post(url, data="x", headers={"X-CSRF-Token": csrf}).status_code == 422

    listing = qa.get(url).get_json()
    assert listing["me"] == "quinn"
    [seen] = listing["evaluations"]
    assert seen["editable"] and seen["sections"][1]["questions"][0]["key"] == "q3"

    # another QA may not change it; a supervisor may, and the score follows
    vic = client_for(app, "vic")
    assert not vic.get(url).get_json()["evaluations"][0]["editable"]
    put = {"answers": {**ANSWERS, "q2": "yes"}, "comments": body["comments"]}
    refused = vic.put(f"/api/evaluations/{made_json['id']}", json=put,
                      headers={"X-CSRF-Token": token(vic)})
    assert refused.status_code == 403 and refused.get_json()["error_id"] == "not-your-evaluation"
    sue = client_for(app, "sue")
    changed = sue.put(f"/api/evaluations/{made_json['id']}", json=put,
                      headers={"X-CSRF-Token": token(sue)})
    assert changed.status_code == 200 and changed.get_json()["score"] == 100.0
    assert changed.get_json()["updated_by"] == "sue"

    # scripts use an API key and need no CSRF token
    key = staff.user_service.new_api_key("vic")
    scripted = app.test_client().post("/api/calls/call-2/evaluations", json=body,
                                      headers={"Authorization": f"Bearer {key}"})
    assert scripted.status_code == 201 and scripted.get_json()["evaluator"] == "vic"
    # inactive scorecards take no new evaluations
    off = make_card(staff, "Old form", active=False)
    inactive = qa.post("/api/calls/call-2/evaluations", headers={"X-CSRF-Token": csrf},
                       json={**body, "scorecard_id": off})
    assert inactive.status_code == 409 and inactive.get_json()["error_id"] == "scorecard-inactive"
    assert [c["name"] for c in qa.get("/api/scorecards?all=1").get_json()] == ["Old form",
                                                                               "Quality"]


def test_evaluations_page_rollups_and_csv(staff: Services, app: Flask) -> None:
    card = make_card(staff)
    store = staff.evaluations
    store.create_evaluation("call-1", card, answers=ANSWERS, evaluator="quinn",
                            comments=[{"at_seconds": 61, "text": "Hold was long"}])
    store.create_evaluation("call-2", card, answers={**ANSWERS, "q1": "no", "q3": 1},
                            comments=[], evaluator="quinn")  # 0 %
    qa = client_for(app, "quinn")
    page = qa.get("/qa/evaluations")
    assert page.status_code == 200
    agent_row = re.search(r'<table class="eval-table" id="by-agent">.*?</table>', page.text,
                          re.S).group(0)
    assert re.search(r"<th scope=\"row\">ann</th><td>2</td>\s*<td>25.0%</td><td>0.0%</td>"
                     r"<td>50.0%</td>", agent_row)
    assert 'id="by-queue"' in page.text and ">billing</th>" in page.text
    assert 'href="/qa/calls/call-1"' in page.text
    link = re.search(r'id="csv-link" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    download = qa.get(link)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["call_id"], r["score"], r["Quality q1: Greeted the caller"]) for r in rows] == [
        ("call-1", "50.00", "yes"), ("call-2", "0.00", "no")]
    assert rows[0]["comments"] == "1:01 Hold was long"

    rolled = qa.get("/api/evaluations/rollups").get_json()
    assert rolled["by_queue"] == [{"name": "billing", "count": 2, "average": 25.0,
                                   "min": 0.0, "max": 50.0}]
    assert len(qa.get("/api/evaluations?limit=1").get_json()["evaluations"]) == 1

    bad = qa.get("/qa/evaluations?from=yesterday")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text and 'role="alert"' in bad.text
    for query in ("to=0001-01-03", "to=9999-12-31"):
        far = qa.get(f"/qa/evaluations?{query}")
        assert far.status_code == 400 and "outside the years 1900-9998" in far.text
    bad_csv = qa.get("/qa/evaluations.csv?from=2026-12-01&to=2026-11-01")
    assert bad_csv.status_code == 400 and bad_csv.get_json()["error_id"] == "invalid-date-range"
    empty = qa.get("/qa/evaluations?from=2020-01-01&to=2020-01-31")
    assert "No evaluations in this range" in empty.text
