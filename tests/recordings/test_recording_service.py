"""Storing finished Twilio recordings: download from the fake Twilio API, file, record.

Runs on SQLite and PostgreSQL. The recording is started through the real REST client, its
audio fetched over HTTP with basic auth, and the row compared with the file on disk.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes.twilio_api import FakeTwilioApi, serve_fake_twilio

from voice.compose import build_services
from voice.recordings.errors import (
    RecordingCallNotFoundError,
    RecordingDownloadError,
    RecordingSettingsError,
)
from voice.recordings.repository import RecordingRepository
from voice.recordings.service import RecordingService, make_download_client
from voice.settings import Settings
from voice.store.migrate import upgrade
from voice.twilio.rest import TwilioRecordingControl, make_twilio_client

CALL = "CA" + "7" * 32
STARTED = datetime(2026, 11, 24, 23, 59, 30, tzinfo=UTC)  # the call crosses midnight
DAY = "2026/11/24"


@dataclass
class Stack:
    """The pieces a recording callback handler would be given."""

    settings: Settings
    repository: RecordingRepository
    service: RecordingService
    control: TwilioRecordingControl
    fake: FakeTwilioApi

    def start_recording(self) -> str:
        return self.control.start(CALL, status_callback="https://voice.example.test/rec")

    def store(self, sid: str, kind: str = "call", **extra: object):
        return self.service.store_twilio_recording(
            call_id=CALL, recording_sid=sid, recording_url=self.fake.recording_url(sid),
            kind=kind, channels=2 if kind == "call" else 1, duration_s=2, **extra)

    def files(self) -> list[str]:
        root = self.settings.recordings_dir
        if not root.exists():
            return []
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    def media_requests(self) -> int:
        return len(self.fake.requests_to(".wav", method="GET"))


@pytest.fixture
def stack(db_url: str, tmp_path: Path, make_settings: Callable[..., Settings],
          fake_twilio: FakeTwilioApi) -> Iterator[Stack]:
    settings = make_settings(db_url, tmp_path / "data", **fake_twilio.settings_env())
    upgrade(settings.database_url)
    with build_services(settings) as services, make_download_client(settings) as http:
        services.call_repository.start_call(
            call_id=CALL, channel="twilio", flow_id="main", flow_version=1, flow_sha256=None,
            from_number="+15550142", to_number="+15550100", started_at=STARTED,
            simulated=False)
        repository = RecordingRepository(services.session_factory)
        yield Stack(settings, repository,
                    RecordingService(repository, settings.recordings_dir, http),
                    TwilioRecordingControl(make_twilio_client(settings)), fake_twilio)


def test_a_whole_call_recording_is_filed_and_described(stack: Stack) -> None:
    sid = stack.start_recording()

    info = stack.store(sid, flow_id="main", queue="billing", agent="a-17")

    media = stack.fake.media(sid)
    assert info.path == f"{DAY}/{CALL}.wav"
    assert info.file_in(stack.settings.recordings_dir).read_bytes() == media
    assert info.sha256 == hashlib.sha256(media).hexdigest()
    assert info.size_bytes == len(media)
    assert (info.channels, info.duration_s) == (2, 1.5)
    assert (info.kind, info.source, info.source_id) == ("call", "twilio", sid)
    assert (info.flow_id, info.queue, info.agent) == ("main", "billing", "a-17")
    assert info.created_at.tzinfo is not None
    assert stack.repository.get(info.id) == info
    assert stack.repository.list_for_call(CALL) == [info]
    assert stack.files() == [info.path]  # no temp file left behind
    (download,) = stack.fake.requests_to(f"/Recordings/{sid}.wav", method="GET")
    assert download.authorized


def test_a_repeated_callback_downloads_nothing(stack: Stack) -> None:
    sid = stack.start_recording()
    first = stack.store(sid)

    again = stack.store(sid)

    assert again == first
    assert stack.media_requests() == 1
    assert stack.files() == [first.path]


def test_concurrent_callbacks_store_one_file_and_one_row(stack: Stack) -> None:
    sid = stack.start_recording()
    barrier = threading.Barrier(2)
    results: list[object] = []

    def deliver() -> None:
        barrier.wait()
        results.append(stack.store(sid))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(results) == 2 and results[0] == results[1]
    assert len(stack.repository.list_for_call(CALL)) == 1
    # The loser of the race removes its own file, whichever name it had taken.
    assert stack.files() == [results[0].path]  # type: ignore[attr-defined]


def test_voicemails_are_numbered_per_call(stack: Stack) -> None:
    first = stack.store(stack.fake.add_recording(CALL, channels=1, seconds=1.0), "voicemail")
    second = stack.store(stack.fake.add_recording(CALL, channels=1, seconds=0.5), "voicemail")

    assert first.path == f"{DAY}/{CALL}-voicemail-1.wav"
    assert second.path == f"{DAY}/{CALL}-voicemail-2.wav"
    assert [(r.channels, r.duration_s) for r in stack.repository.list_for_call(CALL)] == [
        (1, 1.0), (1, 0.5)]


def test_the_file_wins_over_twilios_figures(stack: Stack) -> None:
    sid = stack.start_recording()

    info = stack.service.store_twilio_recording(
        call_id=CALL, recording_sid=sid, recording_url=stack.fake.recording_url(sid),
        kind="call", channels=1, duration_s=99)

    assert (info.channels, info.duration_s) == (2, 1.5)


@pytest.mark.parametrize(("break_it", "status", "message"), [
    (lambda fake, sid: fake.fail_next(500), 500, "HTTP 500; Twilio could not serve it now"),
    (lambda fake, sid: fake.fail_next(401), 401, "check TWILIO_ACCOUNT_SID and TWILIO_AUTH"),
    (lambda fake, sid: fake.recordings.pop(sid), 404, "Twilio has no such recording"),
    (lambda fake, sid: fake.set_media(sid, b"<html>busy</html>"), None, "is not a WAV file"),
    (lambda fake, sid: fake.set_media(sid, b"RIFF\x10\x00\x00\x00WAVEfmt "), None,
     "not a WAV file (it has no fmt chunk"),
], ids=["500", "401", "404", "html", "truncated"])
def test_a_failed_download_stores_nothing(stack: Stack, break_it, status: int | None,
                                          message: str) -> None:
    sid = stack.start_recording()
    break_it(stack.fake, sid)

    with pytest.raises(RecordingDownloadError, match=re.escape(message)) as caught:
        stack.store(sid)

    assert caught.value.status == status
    assert caught.value.url == stack.fake.recording_url(sid) + ".wav"
    assert stack.files() == []
    assert stack.repository.list_for_call(CALL) == []


def test_a_download_can_be_retried_after_a_failure(stack: Stack) -> None:
    sid = stack.start_recording()
    stack.fake.fail_next(503)
    with pytest.raises(RecordingDownloadError):
        stack.store(sid)

    info = stack.store(sid)

    assert stack.files() == [info.path] == [f"{DAY}/{CALL}.wav"]


def test_a_wrong_auth_token_is_refused(stack: Stack, make_settings) -> None:
    sid = stack.start_recording()
    env = {**stack.fake.settings_env(), "TWILIO_AUTH_TOKEN": "wrong"}
    settings = make_settings(stack.settings.database_url, stack.settings.data_dir, **env)
    with make_download_client(settings) as http:
        service = RecordingService(stack.repository, settings.recordings_dir, http)
        with pytest.raises(RecordingDownloadError, match="HTTP 401") as caught:
            service.store_twilio_recording(
                call_id=CALL, recording_sid=sid, recording_url=stack.fake.recording_url(sid),
                kind="call", channels=2, duration_s=1)
    assert caught.value.status == 401
    assert stack.files() == []


def test_credentials_go_only_to_the_configured_twilio_url(stack: Stack) -> None:
    with serve_fake_twilio() as elsewhere:  # same account, other origin (port)
        sid = elsewhere.add_recording(CALL, channels=2)
        with pytest.raises(RecordingDownloadError, match="HTTP 401"):
            stack.service.store_twilio_recording(
                call_id=CALL, recording_sid=sid, recording_url=elsewhere.recording_url(sid),
                kind="call", channels=2, duration_s=1)
        (request,) = elsewhere.requests
    assert request.authorized is False


def test_an_unknown_call_is_refused_before_downloading(stack: Stack) -> None:
    sid = stack.start_recording()

    with pytest.raises(RecordingCallNotFoundError, match=r"CA0+1' is not in the call log"):
        stack.service.store_twilio_recording(
            call_id="CA" + "0" * 31 + "1", recording_sid=sid,
            recording_url=stack.fake.recording_url(sid), kind="call", channels=2, duration_s=1)
    assert stack.media_requests() == 0


def test_an_unreachable_twilio_is_a_download_error(stack: Stack) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sid = "RE" + "2" * 32
    unreachable = stack.fake.recording_url(sid).replace(stack.fake.url, f"http://127.0.0.1:{port}")

    with pytest.raises(RecordingDownloadError, match="ConnectError") as caught:
        stack.service.store_twilio_recording(
            call_id=CALL, recording_sid=sid, recording_url=unreachable, kind="call",
            channels=2, duration_s=1)
    assert caught.value.status is None
    assert "check the network access to Twilio" in str(caught.value)
    assert stack.files() == []


def test_downloading_needs_the_twilio_credentials(tmp_path: Path, make_settings) -> None:
    settings = make_settings(f"sqlite:///{tmp_path / 'voice.db'}", tmp_path / "data")

    with pytest.raises(RecordingSettingsError, match="TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        make_download_client(settings)
