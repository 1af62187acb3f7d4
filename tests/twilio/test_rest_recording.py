"""Whole-call recording through Twilio's REST API: the real ``twilio`` client against the fake.

The fake (``tests/fakes/twilio_api.py``) checks basic auth and records each request, so these
tests assert on the form fields Twilio would receive.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes.twilio_api import FakeTwilioApi
from twilio.base.exceptions import TwilioRestException

from voice.settings import Settings
from voice.twilio.errors import TwilioApiError, TwilioNotConfiguredError
from voice.twilio.rest import TwilioRecordingControl, make_twilio_client

CALL = "CA" + "5" * 32
CALLBACK = f"https://voice.example.test/twilio/recording-status?call={CALL}"


@pytest.fixture
def twilio_settings(tmp_path: Path, make_settings: Callable[..., Settings],
                    fake_twilio: FakeTwilioApi) -> Settings:
    return make_settings(f"sqlite:///{tmp_path / 'db' / 'voice.db'}", tmp_path / "data",
                         **fake_twilio.settings_env())


@pytest.fixture
def control(twilio_settings: Settings) -> TwilioRecordingControl:
    return TwilioRecordingControl(make_twilio_client(twilio_settings))


def test_start_creates_a_dual_channel_recording(control: TwilioRecordingControl,
                                                fake_twilio: FakeTwilioApi) -> None:
    sid = control.start(CALL, status_callback=CALLBACK)

    assert sid.startswith("RE") and len(sid) == 34
    (request,) = fake_twilio.requests
    assert request.method == "POST" and request.authorized
    assert request.path == (f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Calls/{CALL}"
                            "/Recordings.json")
    assert request.form["RecordingChannels"] == "dual"
    assert request.form["RecordingStatusCallback"] == CALLBACK
    assert request.form["RecordingStatusCallbackMethod"] == "POST"
    assert request.form_lists["RecordingStatusCallbackEvent"] == ["completed"]
    recording = fake_twilio.recordings[sid]
    assert (recording.call_sid, recording.channels, recording.status) == (CALL, 2, "in-progress")


def test_pause_skips_and_resume_continues(control: TwilioRecordingControl,
                                          fake_twilio: FakeTwilioApi) -> None:
    sid = control.start(CALL, status_callback=CALLBACK)

    control.pause(CALL, sid)
    control.resume(CALL, sid)

    pause, resume = fake_twilio.requests_to(f"/Calls/{CALL}/Recordings/{sid}.json")
    assert pause.form == {"Status": "paused", "PauseBehavior": "skip"}
    assert resume.form == {"Status": "in-progress"}
    assert pause.authorized and resume.authorized
    assert fake_twilio.recordings[sid].history == ["paused", "in-progress"]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_an_error_answer_is_a_twilio_api_error(control: TwilioRecordingControl,
                                               fake_twilio: FakeTwilioApi, status: int) -> None:
    fake_twilio.fail_next(status)

    with pytest.raises(TwilioApiError) as caught:
        control.start(CALL, status_callback=CALLBACK)

    error = caught.value
    assert error.status == status and error.code == status * 100
    assert isinstance(error.__cause__, TwilioRestException)
    assert str(error).startswith(f"Twilio REST API: cannot start recording of call {CALL}: "
                                 f"HTTP {status}, Twilio error {status * 100}: ")
    assert "Injected failure" in str(error)
    assert fake_twilio.recordings == {}


def test_an_ended_call_is_a_404_with_a_hint(control: TwilioRecordingControl,
                                            fake_twilio: FakeTwilioApi) -> None:
    fake_twilio.end_call(CALL)

    with pytest.raises(TwilioApiError, match="has the call already ended") as caught:
        control.start(CALL, status_callback=CALLBACK)
    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_pausing_an_unknown_recording_fails(control: TwilioRecordingControl) -> None:
    with pytest.raises(TwilioApiError, match=f"cannot pause recording RE0+ of call {CALL}"):
        control.pause(CALL, "RE" + "0" * 32)


def test_wrong_credentials_say_which_settings_to_check(
        tmp_path: Path, make_settings: Callable[..., Settings],
        fake_twilio: FakeTwilioApi) -> None:
    env = {**fake_twilio.settings_env(), "TWILIO_AUTH_TOKEN": "not-the-token"}
    settings = make_settings(f"sqlite:///{tmp_path / 'voice.db'}", tmp_path / "data", **env)
    control = TwilioRecordingControl(make_twilio_client(settings))

    with pytest.raises(TwilioApiError, match="check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        control.resume(CALL, "RE" + "1" * 32)
    assert fake_twilio.requests[-1].authorized is False


def test_an_unreachable_api_is_a_twilio_api_error(
        tmp_path: Path, make_settings: Callable[..., Settings],
        fake_twilio: FakeTwilioApi) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**fake_twilio.settings_env(), "VOICE_TWILIO_API_URL": f"http://127.0.0.1:{port}"}
    settings = make_settings(f"sqlite:///{tmp_path / 'voice.db'}", tmp_path / "data", **env)
    control = TwilioRecordingControl(make_twilio_client(settings))

    with pytest.raises(TwilioApiError, match="no answer: ConnectionError") as caught:
        control.start(CALL, status_callback=CALLBACK)
    assert caught.value.status is None
    assert "VOICE_TWILIO_API_URL" in str(caught.value)


def test_every_rest_domain_goes_to_the_configured_url(twilio_settings: Settings,
                                                      fake_twilio: FakeTwilioApi) -> None:
    client = make_twilio_client(twilio_settings)

    sid = TwilioRecordingControl(client).start(CALL, status_callback=CALLBACK)
    fetched = client.recordings(sid).fetch()  # api.twilio.com
    with pytest.raises(TwilioRestException):
        client.lookups.v2.phone_numbers("+15550100").fetch()  # lookups.twilio.com

    assert fetched.sid == sid and fetched.call_sid == CALL
    assert [r.path for r in fake_twilio.requests[1:]] == [
        f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Recordings/{sid}.json",
        "/v2/PhoneNumbers/+15550100",
    ]


def test_missing_credentials_are_named(tmp_path: Path,
                                       make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'voice.db'}", tmp_path / "data")

    with pytest.raises(TwilioNotConfiguredError,
                       match="needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        make_twilio_client(settings)
