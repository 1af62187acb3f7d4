"""CSRF on SQLite and PostgreSQL: a change sent with the session cookie needs the session's
token (header or form field); Basic and Bearer callers need none, but a browser replaying
cached Basic credentials from another site is refused."""

from __future__ import annotations

import base64

import pytest
from flask.testing import FlaskClient
from staff_login import PASSWORD, csrf_of, sign_in

from voice.compose import Services

STATE = "/api/agents/me/state"


@pytest.fixture
def agent_client(client: FlaskClient, services: Services) -> FlaskClient:
    """A client signed in as agent ann."""
    assert services.acd is not None
    services.acd.agents.add("ann", PASSWORD, queues=["support"],
                            contact="sip:ann@127.0.0.1:5999")
    assert sign_in(client, "ann").status_code == 303
    return client


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def state_of(services: Services) -> str:
    assert services.acd is not None
    return services.acd.agents.get("ann").state


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "wrong-token"},
                                     {"X-CSRF-Token": ""}])
def test_cookie_post_without_the_right_token_is_403(agent_client: FlaskClient,
                                                    services: Services,
                                                    headers: dict[str, str]) -> None:
    response = agent_client.post(STATE, json={"state": "available"}, headers=headers)

    assert response.status_code == 403
    body = response.get_json()
    assert body["error_id"] == "csrf-token-invalid"
    assert "X-CSRF-Token" in body["message"]
    assert state_of(services) == "offline"


def test_cookie_post_with_the_token_goes_through(agent_client: FlaskClient,
                                                 services: Services) -> None:
    token = csrf_of(agent_client.get("/agent"))

    response = agent_client.post(STATE, json={"state": "away", "reason": "lunch"},
                                 headers={"X-CSRF-Token": token})

    assert response.status_code == 200
    assert response.get_json()["state_reason"] == "lunch"
    assert state_of(services) == "away"


def test_a_page_form_without_the_token_gets_a_403_page(agent_client: FlaskClient) -> None:
    response = agent_client.post("/logout", data={"csrf_token": "forged"})

    assert response.status_code == 403
    assert "text/html" in response.content_type
    assert "security token" in response.text
    assert agent_client.get("/agent").status_code == 200  # still signed in


def test_basic_and_bearer_posts_need_no_token(client: FlaskClient, services: Services) -> None:
    assert services.acd is not None and services.user_service is not None
    services.acd.agents.add("ann", PASSWORD, queues=["support"],
                            contact="sip:ann@127.0.0.1:5999")
    key = services.user_service.new_api_key("ann")

    by_password = client.post(STATE, json={"state": "available"}, headers=basic("ann", PASSWORD))
    by_key = client.post(STATE, json={"state": "offline"},
                         headers={"Authorization": f"Bearer {key}"})

    assert by_password.status_code == 200, by_password.get_json()
    assert by_key.status_code == 200, by_key.get_json()
    assert state_of(services) == "offline"


def test_an_authorization_header_wins_over_the_cookie(agent_client: FlaskClient,
                                                      services: Services) -> None:
    response = agent_client.post(STATE, json={"state": "available"},
                                 headers=basic("ann", PASSWORD))

    assert response.status_code == 200
    assert state_of(services) == "available"


def test_cached_basic_credentials_sent_from_another_site_are_refused(
        client: FlaskClient, services: Services) -> None:
    assert services.acd is not None
    services.acd.agents.add("ann", PASSWORD, queues=["support"],
                            contact="sip:ann@127.0.0.1:5999")

    response = client.post(STATE, json={"state": "available"},
                           headers={**basic("ann", PASSWORD), "Sec-Fetch-Site": "cross-site"})

    assert response.status_code == 403
    assert response.get_json()["error_id"] == "cross-site-request"
    assert state_of(services) == "offline"


def test_requests_without_a_session_are_not_checked(client: FlaskClient) -> None:
    """Twilio webhooks and other cookie-less posts reach their views (which decide)."""
    response = client.post(STATE, json={"state": "available"})

    assert response.status_code == 401
    assert response.get_json()["error_id"] == "authentication-required"
