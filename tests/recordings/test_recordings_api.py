"""``/api/recordings``: list, show with transcript, and audio with byte ranges.

On SQLite and PostgreSQL, with recordings encrypted at rest: the audio served is the clear
WAV. Only qa, supervisor and admin get in. Unknown ids and rows whose path leads outside the
recordings folder are 404 and the answer never shows a path.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from recording_helpers import (
    PASSWORD,
    T0,
    FrozenClock,
    add_transcript,
    basic,
    bearer,
    file_recording,
    insert_raw_recording,
    recording_service,
    start_call,
    wav_bytes,
)

from voice.compose import Services
from voice.recordings.records import RecordingInfo

CALL, OTHER_CALL = "sip-api-1@example.test", "sip-api-2@example.test"
AUDIO = wav_bytes(seconds=0.5)


@pytest.fixture
def qa(services: Services) -> dict[str, str]:
    """HTTP Basic credentials of a QA analyst."""
    assert services.user_service is not None
    services.user_service.add("quinn", "qa", PASSWORD)
    return basic("quinn", PASSWORD)


@pytest.fixture
def recording(services: Services, tmp_path: Path) -> RecordingInfo:
    """One encrypted whole-call recording of CALL (flow ``sales``)."""
    start_call(services, CALL, flow_id="sales")
    return file_recording(services, CALL, AUDIO, tmp_path / "work")


def _audio(client: FlaskClient, headers: dict[str, str], recording_id: int,
           range_header: str | None = None):
    if range_header is not None:
        headers = {**headers, "Range": range_header}
    return client.get(f"/api/recordings/{recording_id}/audio", headers=headers)


@pytest.mark.parametrize("path", ["/api/recordings", "/api/recordings/1",
                                  "/api/recordings/1/audio"])
def test_without_credentials_it_is_401(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 401
    assert response.get_json()["error_id"] == "authentication-required"


def test_roles(client: FlaskClient, services: Services, recording: RecordingInfo) -> None:
    assert services.user_service is not None
    for name, role in (("ann", "agent"), ("sam", "supervisor"), ("ada", "admin"),
                       ("quinn", "qa")):
        services.user_service.add(name, role, PASSWORD)
    key = services.user_service.new_api_key("sam")

    refused = client.get(f"/api/recordings/{recording.id}/audio", headers=basic("ann", PASSWORD))

    assert refused.status_code == 403
    assert refused.get_json()["details"]["roles_required"] == ["qa", "supervisor", "admin"]
    for headers in (basic("ada", PASSWORD), basic("quinn", PASSWORD), bearer(key)):
        assert client.get("/api/recordings", headers=headers).status_code == 200
        assert _audio(client, headers, recording.id).status_code == 200


def test_list_filters_by_call_flow_and_time(client: FlaskClient, services: Services,
                                            clock: FrozenClock, qa: dict[str, str],
                                            recording: RecordingInfo, tmp_path: Path) -> None:
    start_call(services, OTHER_CALL, flow_id="support")
    clock.advance(days=2)
    later = file_recording(services, OTHER_CALL, AUDIO, tmp_path / "work")

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/recordings{query}", headers=qa)
        assert response.status_code == 200, response.get_json()
        return [r["id"] for r in response.get_json()["recordings"]]

    assert ids("") == [later.id, recording.id]  # newest first
    assert ids(f"?call={CALL}") == [recording.id]
    assert ids("?flow=support") == [later.id]
    assert ids("?flow=nothing") == []
    assert ids("?since=2026-11-25") == [later.id]
    assert ids("?until=2026-11-24") == [recording.id]  # a date includes that whole day
    assert ids("?since=2026-11-24T15:00:00Z&until=2026-11-24T15:00:01%2B00:00") == [
        recording.id]
    assert ids("?limit=1") == [later.id]
    listed = client.get("/api/recordings?limit=1", headers=qa).get_json()["recordings"][0]
    assert listed["encrypted"] is True
    assert listed["expires_at"] == (later.created_at + timedelta(days=30)).isoformat()


@pytest.mark.parametrize(("query", "parameter"), [
    ("?limit=0", "limit"), ("?limit=x", "limit"), ("?limit=5000", "limit"),
    ("?since=yesterday", "since"), ("?until=2026-13-01", "until"),
])
def test_bad_list_filters_are_400(client: FlaskClient, qa: dict[str, str], query: str,
                                  parameter: str) -> None:
    response = client.get(f"/api/recordings{query}", headers=qa)

    assert response.status_code == 400
    assert response.get_json()["error_id"] == "invalid-query"
    assert response.get_json()["details"]["parameter"] == parameter


def test_show_has_metadata_and_the_transcript(client: FlaskClient, services: Services,
                                              qa: dict[str, str],
                                              recording: RecordingInfo) -> None:
    before = client.get(f"/api/recordings/{recording.id}", headers=qa).get_json()
    add_transcript(services, recording)

    body = client.get(f"/api/recordings/{recording.id}", headers=qa).get_json()

    assert before["transcript"] is None
    assert (body["id"], body["call_id"], body["kind"]) == (recording.id, CALL, "call")
    assert (body["sha256"], body["size_bytes"]) == (recording.sha256, len(AUDIO))
    assert body["encrypted"] is True and "wrapped_key" not in body
    assert body["created_at"] == T0.isoformat()
    assert body["transcript"]["model"] == "vosk-test"
    assert body["transcript"]["segments"] == [
        {"speaker": "ivr", "start_s": 0.0, "end_s": 1.5, "text": "thanks for calling",
         "confidence": None, "node": "hello"},
        {"speaker": "caller", "start_s": 2.0, "end_s": 3.25, "text": "billing please",
         "confidence": 0.93, "node": "menu"},
    ]


def test_audio_is_the_clear_wav(client: FlaskClient, qa: dict[str, str],
                                recording: RecordingInfo) -> None:
    response = _audio(client, qa, recording.id)

    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.data == AUDIO and response.data.startswith(b"RIFF")


@pytest.mark.parametrize(("header", "start", "stop"), [
    ("bytes=0-99", 0, 100),
    ("bytes=44-", 44, len(AUDIO)),
    ("bytes=-10", len(AUDIO) - 10, len(AUDIO)),
    ("bytes=100-999999", 100, len(AUDIO)),
    (f"bytes=-{len(AUDIO) + 50}", 0, len(AUDIO)),
])
def test_a_byte_range_is_206(client: FlaskClient, qa: dict[str, str],
                             recording: RecordingInfo, header: str, start: int,
                             stop: int) -> None:
    response = _audio(client, qa, recording.id, header)

    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(AUDIO)}"
    assert response.data == AUDIO[start:stop]
    assert int(response.headers["Content-Length"]) == stop - start


@pytest.mark.parametrize("header", [f"bytes={len(AUDIO)}-", f"bytes={len(AUDIO) + 5}-9999999",
                                    "bytes=-0"])
def test_an_unsatisfiable_range_is_416(client: FlaskClient, qa: dict[str, str],
                                       recording: RecordingInfo, header: str) -> None:
    response = _audio(client, qa, recording.id, header)

    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(AUDIO)}"


@pytest.mark.parametrize("header", ["bytes=9-2", "items=0-5", "bytes=0-1,4-5", "bytes=-"])
def test_a_range_that_cannot_be_read_gets_the_whole_file(
        client: FlaskClient, qa: dict[str, str], recording: RecordingInfo,
        header: str) -> None:
    response = _audio(client, qa, recording.id, header)

    assert response.status_code == 200 and response.data == AUDIO


@pytest.mark.parametrize("recording_id", ["999999", "abc", "1.5", "-1", "99999999999999999999"])
def test_unknown_ids_are_404(client: FlaskClient, qa: dict[str, str],
                             recording_id: str) -> None:
    for suffix in ("", "/audio"):
        response = client.get(f"/api/recordings/{recording_id}{suffix}", headers=qa)

        assert response.status_code == 404
        assert response.get_json()["error_id"] == "recording-not-found"


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_a_path_outside_the_recordings_folder_is_404(
        client: FlaskClient, services: Services, qa: dict[str, str], tmp_path: Path,
        kind: str) -> None:
    secret = tmp_path / "etc" / "passwd"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0")
    folder = recording_service(services).recordings_dir
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "dotdot":
        path = "../../etc/passwd"
    elif kind == "absolute":
        path = str(secret)
    else:
        os.symlink(secret, folder / "link.wav")
        path = "link.wav"
    start_call(services, CALL)
    row = insert_raw_recording(services, CALL, path)

    for suffix in ("", "/audio"):
        response = client.get(f"/api/recordings/{row}{suffix}", headers=qa)

        assert response.status_code == 404
        assert response.get_json()["error_id"] == "recording-not-found"
        assert b"passwd" not in response.data and b"root:" not in response.data
        assert str(tmp_path).encode() not in response.data


def test_a_missing_audio_file_is_404_without_its_path(
        client: FlaskClient, services: Services, qa: dict[str, str],
        recording: RecordingInfo) -> None:
    recording.file_in(recording_service(services).recordings_dir).unlink()

    response = _audio(client, qa, recording.id)

    assert response.status_code == 404
    assert response.get_json()["error_id"] == "recording-audio-missing"
    assert recording.path.encode() not in response.data
