"""Every route of the app checks who is asking: visitors get 401 (API) or the login page
(pages), and each staff role is refused (403) on the areas of other roles. The list of
routes is read from the app itself, so a new page or API that forgets its role check fails
here without anyone writing a test for it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from staff_login import PASSWORD, csrf_of, sign_in
from web_app import running_app

from voice.compose import Services

#: open to everyone on purpose: the landing page, health, sign-in, static files, prompt audio
#: Twilio fetches, and Twilio's webhooks (each checked by its X-Twilio-Signature instead)
PUBLIC = re.compile(r"^/($|healthz$|login$|logout$|static/|media/prompts/|twilio/)")
#: the areas, the methods they cover (None: all) and the roles allowed (first match wins);
#: a route in none of them fails the test until it is placed in one
STAFF = {"qa", "supervisor", "admin"}
AREAS = (
    (re.compile(r"^/(api/)?admin/"), None, {"admin"}),
    (re.compile(r"^/(agent$|api/agents/me|api/calls/[^/]+/disposition$)"), None, {"agent"}),
    (re.compile(r"^/(api/supervisor/|supervisor)"), None, {"supervisor", "admin"}),
    (re.compile(r"^/(qa/|api/qa/|api/recordings|api/transcripts|api/evaluations"
                r"|api/scorecards|api/calls/[^/]+/evaluations|api/flows)"), None, STAFF),
    (re.compile(r"^/api/(customers|webhooks|webhook-deliveries)"), None, {"admin"}),
    (re.compile(r"^/api/agents/[^/]+/state$"), {"POST"}, {"supervisor", "admin"}),
    (re.compile(r"^/api/(agents|queues)"), {"GET"}, {"supervisor", "admin"}),
    (re.compile(r"^/api/(agents|queues)"), None, {"admin"}),
)
#: the roles limited to some areas (admins may open every area)
LIMITED_ROLES = ("agent", "qa", "supervisor")


def routes(app: Flask) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, with placeholder values in its variables."""
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<int:[^>]+>", "1", rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


def area_roles(method: str, path: str) -> set[str] | None:
    """The roles allowed on a route (None: public, or in no area)."""
    if PUBLIC.match(path):
        return None
    return next((roles for area, methods, roles in AREAS
                 if area.match(path) and (methods is None or method in methods)), None)


@pytest.fixture
def app(services: Services) -> Iterator[Flask]:
    assert services.user_service is not None and services.acd is not None
    for role in ("qa", "supervisor", "admin"):
        services.user_service.add(f"the-{role}", role, PASSWORD)
    services.acd.agents.add("the-agent", PASSWORD, queues=["support"])
    with running_app(services.settings) as application:
        yield application


def test_visitors_get_401_or_the_login_page(app: Flask) -> None:
    client = app.test_client()
    wrong = []
    for method, path in routes(app):
        if PUBLIC.match(path):
            continue
        answer = client.open(path, method=method)
        if path.startswith("/api/"):
            ok = answer.status_code == 401
        elif method == "GET":
            ok = answer.status_code in (302, 303) and \
                answer.headers["Location"].startswith("/login?next=")
        else:  # a form post without a session: refused before anything changes
            ok = answer.status_code in (302, 303, 400, 401, 403)
        if not ok:
            wrong.append(f"{method} {path} -> {answer.status_code}")
    assert wrong == []


def signed_in(app: Flask, role: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    sign_in(client, f"the-{role}")
    return client, csrf_of(client.get("/"))


@pytest.mark.parametrize("role", LIMITED_ROLES)
def test_each_role_is_refused_outside_its_areas(app: Flask, role: str) -> None:
    client, token = signed_in(app, role)
    wrong = []
    checked = 0
    for method, path in routes(app):
        if PUBLIC.match(path):
            continue
        allowed = area_roles(method, path)
        if allowed is None:
            wrong.append(f"{method} {path} is in no area of this test; add it to AREAS")
            continue
        if role in allowed:
            continue
        checked += 1
        answer = client.open(path, method=method, headers={"X-CSRF-Token": token},
                             data={"csrf_token": token})
        if answer.status_code != 403:
            wrong.append(f"{method} {path} -> {answer.status_code}")
    assert wrong == []
    assert checked > 5
