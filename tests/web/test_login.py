"""Web login on SQLite and PostgreSQL: sign in and out, pages send visitors to /login, only
same-site ``next`` targets are followed, repeated failures lock the username (across app
instances, i.e. gunicorn workers, and for HTTP Basic too), sessions end when they should."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from staff_login import PASSWORD, Clock, csrf_of, sign_in
from web_app import running_app

from voice.app import create_app
from voice.compose import Services
from voice.settings import Settings
from voice.store.models import LoginAttempt
from voice.users.service import UserService
from voice.web.login import LOCKED, WRONG, safe_next
from voice.web.login_throttle import MAX_FAILURES
from voice.web.sessions import flask_config


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(services: Services, clock: Clock) -> Iterator[Flask]:
    with running_app(services.settings, clock) as flask_app:
        yield flask_app


@pytest.fixture
def users(services: Services) -> UserService:
    assert services.user_service is not None
    services.user_service.add("quinn", "qa", PASSWORD)
    return services.user_service


@pytest.fixture
def ann(services: Services) -> str:
    """An agent (user and agent profile) called ann."""
    assert services.acd is not None
    services.acd.agents.add("ann", PASSWORD, queues=["support"],
                            contact="sip:ann@127.0.0.1:5999")
    return "ann"


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_pages_send_visitors_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/agent?tab=calls")

    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=%2Fagent%3Ftab%3Dcalls"
    form = client.get("/login?next=/agent")
    assert form.status_code == 200
    assert 'name="next" value="/agent"' in form.text
    assert "frame-ancestors 'none'" in form.headers["Content-Security-Policy"]
    assert form.headers["X-Frame-Options"] == "DENY"


def test_agent_signs_in_lands_on_agent_and_signs_out(client: FlaskClient, ann: str) -> None:
    before = csrf_of(client.get("/login"))

    response = sign_in(client, ann)

    assert response.status_code == 303
    assert response.headers["Location"] == "/agent"
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("voice_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = client.get("/agent")
    assert page.status_code == 200
    assert 'id="agent-name">ann<' in page.text
    assert 'id="browser-phone"' in page.text
    assert csrf_of(page) != before  # the token is rotated at sign-in

    out = client.post("/logout", data={"csrf_token": csrf_of(page)})

    assert out.status_code == 303 and out.headers["Location"] == "/login"
    assert "You are signed out." in client.get("/login").text
    assert client.get("/agent").status_code == 303


def test_signed_in_user_visiting_login_goes_on(client: FlaskClient, ann: str) -> None:
    sign_in(client, ann)

    assert client.get("/login?next=/agent%3Fx%3D1").headers["Location"] == "/agent?x=1"


@pytest.mark.parametrize("target", [
    "//evil.example/agent", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
    "javascript:alert(1)", "evil.example", "/login", "/logout", "",
])
def test_next_must_be_a_path_on_this_site(client: FlaskClient, ann: str, target: str) -> None:
    response = sign_in(client, ann, next_url=target)

    assert response.status_code == 303
    assert response.headers["Location"] == "/agent"


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/agent?call=CA1#pop") == "/agent?call=CA1#pop"
    assert safe_next("/api/x") == "/api/x"
    assert safe_next("/ok\x7f") is None
    assert safe_next(None) is None


def test_wrong_password_and_unknown_user_get_one_generic_message(
        client: FlaskClient, ann: str) -> None:
    wrong = sign_in(client, ann, "not the password")
    unknown = sign_in(client, "nobody", PASSWORD)

    for response in (wrong, unknown):
        assert response.status_code == 401
        assert WRONG in response.text
        assert "/agent" not in response.headers.get("Location", "")
    assert client.get("/agent").status_code == 303


def test_login_form_without_its_token_is_refused(client: FlaskClient, ann: str) -> None:
    client.get("/login")

    response = client.post("/login", data={"username": ann, "password": PASSWORD,
                                           "csrf_token": "forged"})

    assert response.status_code == 403
    assert "expired" in response.text
    assert client.get("/agent").status_code == 303


def test_repeated_failures_lock_the_username_for_a_while(
        app: Flask, services: Services, clock: Clock, ann: str) -> None:
    client = app.test_client()
    for _ in range(MAX_FAILURES):
        assert sign_in(client, ann, "wrong password!").status_code == 401

    locked = sign_in(client, ann, PASSWORD)  # even the right password is refused now

    assert locked.status_code == 429
    assert LOCKED in locked.text and "try again later" in locked.text
    assert client.get("/agent").status_code == 303
    # another gunicorn worker (its own app and engine) sees the same lock
    other = create_app(services.settings, clock)
    try:
        assert sign_in(other.test_client(), ann, PASSWORD).status_code == 429
        assert other.test_client().get("/api/agents/me",
                                       headers=basic(ann, PASSWORD)).status_code == 429
    finally:
        other.extensions["voice"].close()
    # another username is not affected; nor are unknown names told apart from known ones
    assert sign_in(app.test_client(), "quinn-unknown", "x" * 10).status_code == 401

    clock.advance(minutes=14)
    assert sign_in(client, ann, PASSWORD).status_code == 429
    clock.advance(minutes=2)
    assert sign_in(client, ann, PASSWORD).headers["Location"] == "/agent"


def test_failures_spread_out_or_reset_by_a_success_do_not_lock(
        client: FlaskClient, clock: Clock, ann: str) -> None:
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, ann, "wrong password!")
    clock.advance(minutes=16)
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, ann, "wrong password!")
    assert sign_in(client, ann, PASSWORD).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/agent"))})
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, ann, "wrong password!")

    assert sign_in(client, ann, PASSWORD).status_code == 303


def test_basic_auth_failures_count_towards_the_lock(client: FlaskClient, ann: str) -> None:
    for _ in range(MAX_FAILURES):
        assert client.get("/api/agents/me",
                          headers=basic(ann, "wrong password!")).status_code == 401

    response = client.get("/api/agents/me", headers=basic(ann, PASSWORD))

    assert response.status_code == 429
    assert response.get_json()["error_id"] == "too-many-failed-logins"
    assert response.headers["Retry-After"] == "900"
    assert sign_in(client, ann, PASSWORD).status_code == 429


def test_basic_auth_logs_only_failures_and_the_success_that_ends_them(
        client: FlaskClient, services: Services, ann: str) -> None:
    def outcomes() -> list[str]:
        with services.session_factory() as session:
            return list(session.scalars(select(LoginAttempt.outcome)
                                        .order_by(LoginAttempt.id)))

    for _ in range(3):
        assert client.get("/api/agents/me", headers=basic(ann, PASSWORD)).status_code == 200
    assert outcomes() == []  # API calls with the right password write nothing
    client.get("/api/agents/me", headers=basic(ann, "wrong password!"))
    client.get("/api/agents/me", headers=basic(ann, PASSWORD))
    client.get("/api/agents/me", headers=basic(ann, PASSWORD))

    assert outcomes() == ["failed", "succeeded"]


def test_qa_user_gets_a_403_page_on_the_agent_desktop(client: FlaskClient,
                                                      users: UserService) -> None:
    assert sign_in(client, "quinn").headers["Location"] == "/qa/recordings"

    page = client.get("/agent")
    api = client.get("/api/agents/me")

    assert page.status_code == 403
    assert "this page is for agent users" in page.text
    assert api.status_code == 403 and api.get_json()["error_id"] == "forbidden"


def test_agent_role_without_a_profile_is_told_what_to_do(
        client: FlaskClient, users: UserService) -> None:
    users.add("solo", "agent", PASSWORD)
    sign_in(client, "solo")

    page = client.get("/agent")

    assert page.status_code == 404
    assert "voice agents add" in page.text


def test_session_ends_with_a_new_password_a_disabled_user_or_its_lifetime(
        client: FlaskClient, users: UserService, clock: Clock, ann: str) -> None:
    sign_in(client, ann)
    assert client.get("/agent").status_code == 200
    users.passwd(ann, "a brand new password")
    assert client.get("/agent").status_code == 303

    sign_in(client, ann, "a brand new password")
    users.set_disabled(ann, True)
    assert client.get("/agent").status_code == 303
    users.set_disabled(ann, False)

    sign_in(client, ann, "a brand new password")
    clock.advance(hours=11)
    assert client.get("/agent").status_code == 200
    clock.advance(hours=2)
    assert client.get("/agent").status_code == 303


def test_api_401_from_a_page_script_has_no_password_dialog_challenge(
        client: FlaskClient) -> None:
    from_script = client.get("/api/agents/me", headers={"Sec-Fetch-Dest": "empty"})
    from_tool = client.get("/api/agents/me")

    assert from_script.status_code == from_tool.status_code == 401
    assert "WWW-Authenticate" not in from_script.headers
    assert from_tool.headers["WWW-Authenticate"] == 'Basic realm="voice", Bearer'
    assert "/login" in from_tool.get_json()["message"]


def test_session_cookie_is_secure_behind_https(make_settings: Callable[..., Settings],
                                               tmp_path: Path) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'voice.db'}", tmp_path / "data",
                             VOICE_PUBLIC_URL="https://voice.example.com")

    config = flask_config(settings)

    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SECRET_KEY"] == flask_config(settings)["SECRET_KEY"]  # stable per key
