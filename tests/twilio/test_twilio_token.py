"""``GET /api/agents/me/twilio-token``: a Voice SDK access token for the agent's browser."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from fakes.twilio_api import ACCOUNT_SID

from voice.app import create_app
from voice.store.migrate import upgrade

PASSWORD = "correct horse battery"
KEY_SID = "SK" + "1a2b3c4d" * 4
KEY_SECRET = "api-key-secret-not-for-logs-0123"
APP_SID = "AP" + "9f8e7d6c" * 4
FAST = {"VOICE_AUTH_HASH_TIME_COST": "1", "VOICE_AUTH_HASH_MEMORY_KIB": "8192"}


def _basic(username: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _app(db_url: str, data_dir: Path, make_settings, **env: str) -> Iterator:
    settings = make_settings(db_url, data_dir, TWILIO_ACCOUNT_SID=ACCOUNT_SID, **FAST, **env)
    upgrade(settings.database_url)
    app = create_app(settings)
    services = app.extensions["voice"]
    services.acd.agents.add("ann", PASSWORD, queues=["general"], twilio_identity="ann-web")
    services.acd.agents.add("bob", PASSWORD, queues=["general"],
                            contact="sip:bob@pbx.example.com:5060")
    services.user_service.add("ada", "admin", PASSWORD)
    try:
        yield app
    finally:
        services.close()


@pytest.fixture
def token_app(db_url: str, tmp_path: Path, make_settings) -> Iterator:
    """An app with the softphone token settings and agents ann (browser) and bob (SIP)."""
    yield from _app(db_url, tmp_path / "data", make_settings,
                    VOICE_TWILIO_API_KEY_SID=KEY_SID, VOICE_TWILIO_API_KEY_SECRET=KEY_SECRET,
                    VOICE_TWILIO_TWIML_APP_SID=APP_SID, VOICE_TWILIO_TOKEN_TTL="900")


def test_the_token_carries_the_identity_and_the_voice_grant(token_app, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        response = token_app.test_client().get("/api/agents/me/twilio-token",
                                               headers=_basic("ann"))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["identity"] == "ann-web" and body["expires_in"] == 900
    assert response.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(body["token"], KEY_SECRET, algorithms=["HS256"])
    assert claims["iss"] == KEY_SID and claims["sub"] == ACCOUNT_SID
    assert claims["grants"]["identity"] == "ann-web"
    assert claims["grants"]["voice"] == {"incoming": {"allow": True},
                                         "outgoing": {"application_sid": APP_SID}}
    assert claims["exp"] - claims["nbf"] == 900
    assert jwt.get_unverified_header(body["token"])["cty"] == "twilio-fpa;v=1"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(body["token"], "another-api-key-secret-0123456789", algorithms=["HS256"])
    assert KEY_SECRET not in caplog.text
    assert KEY_SECRET not in repr(token_app.extensions["voice"].settings)


def test_an_agent_without_twilio_identity_gets_409(token_app) -> None:
    response = token_app.test_client().get("/api/agents/me/twilio-token",
                                           headers=_basic("bob"))
    assert response.status_code == 409
    assert response.json["error_id"] == "no-twilio-identity"
    assert "voice agents set bob --twilio-identity" in response.json["message"]


def test_only_agents_may_ask(token_app) -> None:
    client = token_app.test_client()
    assert client.get("/api/agents/me/twilio-token").status_code == 401
    refused = client.get("/api/agents/me/twilio-token", headers=_basic("ada"))
    assert refused.status_code == 403 and refused.json["details"]["roles_required"] == ["agent"]


def test_missing_settings_get_503_naming_them(db_url: str, tmp_path: Path,
                                              make_settings) -> None:
    for app in _app(db_url, tmp_path / "data", make_settings,
                    VOICE_TWILIO_API_KEY_SID=KEY_SID):
        response = app.test_client().get("/api/agents/me/twilio-token", headers=_basic("ann"))
        assert response.status_code == 503
        assert response.json["error_id"] == "twilio-not-configured"
        assert response.json["details"]["missing"] == ["VOICE_TWILIO_API_KEY_SECRET",
                                                       "VOICE_TWILIO_TWIML_APP_SID"]
        assert "VOICE_TWILIO_API_KEY_SECRET, VOICE_TWILIO_TWIML_APP_SID" in \
            response.json["message"]
