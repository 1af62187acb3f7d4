"""Whole-call recording of Twilio calls: REST start, pause/resume around card digits, and
the recording callback that files the two-channel WAV (Twilio's API faked on loopback)."""

from __future__ import annotations

import wave

from twilio_harness import TwilioLine

from voice.recordings.repository import RecordingRepository


def _recording_calls(cloud, call_sid: str) -> list[tuple[str, dict]]:
    return [(r.path.rsplit("/", 1)[-1], r.form) for r in cloud.requests
            if r.method == "POST" and f"/Calls/{call_sid}/Recordings" in r.path]


def test_recording_starts_pauses_for_card_digits_and_resumes(twilio_app, line: TwilioLine,
                                                             twilio_cloud) -> None:
    line.run(["3", "4111111111111111#", "1228", "50#"])
    posts = _recording_calls(twilio_cloud, line.call_sid)
    assert posts[0][0] == "Recordings.json"
    start = posts[0][1]
    assert start["RecordingChannels"] == "dual"
    assert start["RecordingStatusCallback"] == (
        f"https://voice.example.test/twilio/recording-status?call={line.call_sid}&kind=call")
    statuses = [form.get("Status") for _, form in posts[1:]]
    assert statuses == ["paused", "in-progress", "paused", "in-progress"]  # card, expiry
    sid = twilio_app.extensions["voice"].call_service.store.load(
        line.call_sid).adapter["recording_sid"]
    assert all(name == f"{sid}.json" for name, _ in posts[1:])


def test_recording_callback_files_the_wav(twilio_app, line: TwilioLine, twilio_cloud) -> None:
    line.run(["2", "10001#", "hangup"])
    services = twilio_app.extensions["voice"]
    sid = services.call_service.store.load(line.call_sid).adapter["recording_sid"]
    url = twilio_cloud.recording_url(sid)
    callback = f"/twilio/recording-status?call={line.call_sid}&kind=call"
    params = {"RecordingSid": sid, "RecordingUrl": url, "RecordingStatus": "completed",
              "RecordingChannels": "2", "RecordingDuration": "2"}
    assert line.post(callback, params).status_code == 204
    assert line.post(callback, params).status_code == 204  # Twilio's retry: no second copy
    (info,) = RecordingRepository(services.session_factory).list_for_call(line.call_sid)
    assert info.kind == "call" and info.channels == 2
    path = info.file_in(services.settings.recordings_dir)
    assert path.parent.parts[-3:] == ("2026", "11", "24")
    with wave.open(str(path)) as audio:
        assert audio.getnchannels() == 2


def test_a_recording_api_failure_does_not_break_the_call(twilio_app, line: TwilioLine,
                                                         twilio_cloud) -> None:
    twilio_cloud.fail_next(500)
    line.run(["2", "10001#", "hangup"])
    assert line.heard[0].startswith("Thanks for calling Acme")
    assert "recording_sid" not in twilio_app.extensions["voice"].call_service.store.load(
        line.call_sid).adapter


def test_a_failed_download_asks_twilio_to_retry(twilio_app, line: TwilioLine,
                                                twilio_cloud) -> None:
    line.run(["2", "10001#", "hangup"])
    sid = twilio_app.extensions["voice"].call_service.store.load(
        line.call_sid).adapter["recording_sid"]
    twilio_cloud.fail_next(500)
    response = line.post(f"/twilio/recording-status?call={line.call_sid}&kind=call", {
        "RecordingSid": sid, "RecordingUrl": twilio_cloud.recording_url(sid),
        "RecordingStatus": "completed"})
    assert response.status_code == 503 and b"recording not stored" in response.data
