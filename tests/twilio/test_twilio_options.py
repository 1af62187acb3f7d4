"""Twilio front-end options an admin sets: default flow, the development signature switch,
prompt audio for <Play>, unknown calls."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from twilio_harness import PUBLIC, Clock, TwilioLine

from voice.app import create_app
from voice.store.migrate import upgrade


def _app(make_settings, db_url: str, tmp_path: Path, clock: Clock, local_flows: Path,
         **env: str):
    settings = make_settings(db_url, tmp_path / "data", VOICE_PUBLIC_URL=PUBLIC,
                             VOICE_FLOWS_DIR=str(local_flows), **env)
    upgrade(settings.database_url)
    app = create_app(settings, clock=clock)
    app.extensions["voice"].flow_catalog.publish(published_by="test")
    return app


@pytest.fixture
def closing():
    apps = []
    yield apps.append
    for app in apps:
        app.extensions["voice"].close()


def test_a_configured_default_flow_answers_unknown_numbers(
        make_settings, db_url, tmp_path, clock, local_flows, closing) -> None:
    app = _app(make_settings, db_url, tmp_path, clock, local_flows,
               TWILIO_AUTH_TOKEN="tok", VOICE_TWILIO_DEFAULT_FLOW="payments")
    closing(app)
    line = TwilioLine(app.test_client(), clock, to_number="+19995550000", token="tok")
    document = line.dial_in()
    assert document[0].text == "To make a payment by card, have your card ready."


def test_turning_the_signature_check_off_warns_on_every_request(
        make_settings, db_url, tmp_path, clock, local_flows, closing, caplog) -> None:
    app = _app(make_settings, db_url, tmp_path, clock, local_flows,
               VOICE_TWILIO_VALIDATE="false")
    closing(app)
    line = TwilioLine(app.test_client(), clock)
    with caplog.at_level(logging.WARNING, logger="voice.twilio.blueprint"):
        assert line.post("/twilio/voice", {"From": "+1555", "To": "+15550100"},
                         signature="").status_code == 200
        line.post("/twilio/status", {"CallStatus": "completed"}, signature="")
    warnings = [r.getMessage() for r in caplog.records if "signature check is OFF" in
                r.getMessage()]
    assert len(warnings) == 2


def test_without_an_auth_token_every_webhook_is_refused(
        make_settings, db_url, tmp_path, clock, local_flows, closing, caplog) -> None:
    app = _app(make_settings, db_url, tmp_path, clock, local_flows)
    closing(app)
    line = TwilioLine(app.test_client(), clock)
    with caplog.at_level(logging.WARNING, logger="voice.twilio.blueprint"):
        response = line.post("/twilio/voice", {"From": "+1555", "To": "+15550100"},
                             signature="abc")
    assert response.status_code == 403
    assert any("TWILIO_AUTH_TOKEN is not set" in r.getMessage() for r in caplog.records)


def test_prompt_audio_is_served_for_play_without_a_signature(twilio_app, local_flows) -> None:
    (local_flows / "hold.wav").write_bytes(b"RIFF0000WAVEfmt ")
    client = twilio_app.test_client()
    response = client.get("/media/prompts/hold.wav")
    assert response.status_code == 200 and response.data.startswith(b"RIFF")
    assert client.get("/media/prompts/../config/schedules.yaml").status_code == 404
    assert client.get("/media/prompts/missing.wav").status_code == 404


def test_status_callback_for_an_unknown_call_is_accepted(twilio_app, line) -> None:
    line.call_sid = "CA" + "f" * 32
    assert line.post("/twilio/status", {"CallStatus": "completed"}).status_code == 204
