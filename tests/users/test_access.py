"""require_role on a test-only blueprint: 401 with a challenge, 403 naming roles, 200 for
admins by password (HTTP Basic) or by API key (Bearer)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from flask import Blueprint, Response, jsonify
from flask.testing import FlaskClient

from voice.app import create_app
from voice.compose import Services
from voice.users.errors import UnknownRoleError
from voice.users.service import UserService
from voice.web.access import current_user, require_role

PASSWORD = "correct horse"
CHALLENGE = 'Basic realm="voice", Bearer'


def make_blueprint() -> Blueprint:
    """Two test-only views: admins only, and admins or supervisors."""
    bp = Blueprint("access_test", __name__, url_prefix="/api/test-access")

    @bp.get("/admin")
    @require_role("admin")
    def admin_only() -> Response:
        return jsonify(user=current_user().username)

    @bp.get("/staff")
    @require_role("admin", "supervisor")
    def staff() -> Response:
        return jsonify(user=current_user().username)

    return bp


@pytest.fixture
def client(services: Services) -> Iterator[FlaskClient]:
    app = create_app(services.settings)
    app.config["TESTING"] = True
    app.register_blueprint(make_blueprint())
    try:
        yield app.test_client()
    finally:
        app.extensions["voice"].close()


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_no_credentials_is_401_with_a_challenge(client: FlaskClient) -> None:
    response = client.get("/api/test-access/admin")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    body = response.get_json()
    assert body["error_id"] == "authentication-required"
    assert "voice users api-key" in body["message"]


def test_wrong_password_is_401(client: FlaskClient, users: UserService) -> None:
    users.add("alice", "admin", PASSWORD)

    for headers in (basic("alice", "wrong password"), basic("nobody", PASSWORD),
                    bearer("vk_not-a-key"), {"Authorization": "Digest whatever"}):
        response = client.get("/api/test-access/admin", headers=headers)

        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"] == CHALLENGE
        assert response.get_json()["error_id"] == "invalid-credentials"


def test_agent_on_admin_route_is_403_naming_the_roles(
    client: FlaskClient, users: UserService
) -> None:
    users.add("bob", "agent", PASSWORD)

    response = client.get("/api/test-access/admin", headers=basic("bob", PASSWORD))

    assert response.status_code == 403
    body = response.get_json()
    assert body["error_id"] == "forbidden"
    assert body["details"]["roles_required"] == ["admin"]
    assert "needs role admin" in body["message"]
    staff = client.get("/api/test-access/staff", headers=basic("bob", PASSWORD)).get_json()
    assert "admin or supervisor" in staff["message"]


def test_admin_with_basic_auth_gets_through(client: FlaskClient, users: UserService) -> None:
    users.add("alice", "admin", PASSWORD)

    response = client.get("/api/test-access/admin", headers=basic("alice", PASSWORD))

    assert response.status_code == 200
    assert response.get_json() == {"user": "alice"}


def test_admin_with_api_key_gets_through(client: FlaskClient, users: UserService) -> None:
    users.add("alice", "admin", PASSWORD)
    users.add("sam", "supervisor", PASSWORD)
    key = users.new_api_key("alice")

    response = client.get("/api/test-access/admin", headers=bearer(key))
    staff = client.get("/api/test-access/staff",
                       headers=bearer(users.new_api_key("sam")))

    assert response.status_code == 200
    assert response.get_json() == {"user": "alice"}
    assert staff.get_json() == {"user": "sam"}


def test_disabled_admin_is_refused(client: FlaskClient, users: UserService) -> None:
    users.add("alice", "admin", PASSWORD)
    key = users.new_api_key("alice")
    users.set_disabled("alice", True)

    assert client.get("/api/test-access/admin", headers=bearer(key)).status_code == 401
    assert client.get("/api/test-access/admin",
                      headers=basic("alice", PASSWORD)).status_code == 401


def test_unknown_role_in_the_decorator_fails_at_import() -> None:
    with pytest.raises(UnknownRoleError, match="'amdin' is unknown; use one of admin"):
        require_role("amdin")
