"""``voice recordings list|show|export|purge`` on SQLite and PostgreSQL.

The commands read the same database, folder and master key as the service that filed the
recordings. ``purge`` runs at the real current time, so the expired recording here was made
in 2020 and the kept one is made to expire in 2090.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from recording_helpers import (
    FrozenClock,
    add_transcript,
    count_rows,
    file_recording,
    recording_service,
    start_call,
    wav_bytes,
)

from voice.compose import Services
from voice.recordings.records import RecordingInfo
from voice.recordings.service import RecordingService

Voice = Callable[..., Result]
CALL, OTHER_CALL = "sip-cli-1@example.test", "sip-cli-2@example.test"
AUDIO = wav_bytes(seconds=0.5)


@pytest.fixture
def recording(services: Services, tmp_path: Path) -> RecordingInfo:
    """One encrypted recording of CALL with a transcript."""
    start_call(services, CALL, flow_id="sales")
    info = file_recording(services, CALL, AUDIO, tmp_path / "work")
    add_transcript(services, info)
    return info


def test_list_shows_the_newest_first(voice: Voice, services: Services, clock: FrozenClock,
                                     recording: RecordingInfo, tmp_path: Path) -> None:
    start_call(services, OTHER_CALL)
    clock.advance(hours=1)
    other = file_recording(services, OTHER_CALL, AUDIO, tmp_path / "work")

    table = voice("recordings", "list")
    only = voice("recordings", "list", "--call", CALL, "--json")
    limited = voice("recordings", "list", "--limit", "1", "--json")

    assert table.exit_code == 0, table.output
    header, first, second = table.output.splitlines()
    assert header.split() == ["ID", "CALL", "KIND", "FLOW", "CREATED", "SECONDS", "EXPIRES",
                              "ENCRYPTED"]
    assert first.split()[:3] == [str(other.id), OTHER_CALL, "call"]
    assert second.split()[:4] == [str(recording.id), CALL, "call", "sales"]
    assert second.split()[-1] == "yes"
    assert [r["id"] for r in json.loads(only.stdout)] == [recording.id]
    assert [r["id"] for r in json.loads(limited.stdout)] == [other.id]


def test_list_without_recordings(voice: Voice) -> None:
    result = voice("recordings", "list", "--call", "nobody")

    assert result.exit_code == 0
    assert result.output == "No recordings of call nobody.\n"


def test_show_prints_metadata_and_transcript(voice: Voice, recording: RecordingInfo) -> None:
    text = voice("recordings", "show", str(recording.id))
    data = voice("recordings", "show", str(recording.id), "--json")

    assert text.exit_code == 0, text.output
    assert f"call:      {CALL}" in text.output
    assert "encrypted: yes" in text.output
    assert f"sha256:    {recording.sha256}" in text.output
    assert "transcript: vosk-test, 2 segment(s)" in text.output
    assert "caller @menu: billing please (0.93)" in text.output
    body = json.loads(data.stdout)
    assert body["id"] == recording.id and body["call_id"] == CALL
    assert [s["text"] for s in body["transcript"]["segments"]] == [
        "thanks for calling", "billing please"]


def test_show_an_unknown_id(voice: Voice) -> None:
    result = voice("recordings", "show", "4242")

    assert result.exit_code == 1
    assert "no recording has id '4242'; list them with 'voice recordings list'" in result.output


def test_export_writes_the_clear_wav(voice: Voice, recording: RecordingInfo,
                                     tmp_path: Path) -> None:
    target = tmp_path / "exported.wav"

    result = voice("recordings", "export", str(recording.id), "--to", str(target))

    assert result.exit_code == 0, result.output
    assert f"sha256 {recording.sha256} verified" in result.output
    assert target.read_bytes() == AUDIO
    assert hashlib.sha256(target.read_bytes()).hexdigest() == recording.sha256


def test_export_does_not_replace_a_file_unless_asked(voice: Voice, recording: RecordingInfo,
                                                     tmp_path: Path) -> None:
    target = tmp_path / "exported.wav"
    target.write_bytes(b"keep me")

    refused = voice("recordings", "export", str(recording.id), "--to", str(target))
    forced = voice("recordings", "export", str(recording.id), "--to", str(target), "--force")

    assert refused.exit_code == 1 and "add --force" in refused.output
    assert forced.exit_code == 0 and target.read_bytes() == AUDIO


@pytest.mark.parametrize("stored", ["encrypted", "clear"])
def test_export_refuses_audio_that_changed(voice: Voice, services: Services, tmp_path: Path,
                                           stored: str) -> None:
    start_call(services, CALL)
    service = recording_service(services)
    if stored == "clear":  # filed before VOICE_RECORDINGS_KEY was set
        service = RecordingService(service.repository, service.recordings_dir)
    info = file_recording(services, CALL, AUDIO, tmp_path / "work", service=service)
    file = info.file_in(service.recordings_dir)
    changed = bytearray(file.read_bytes())
    changed[-1] ^= 0xFF
    file.write_bytes(bytes(changed))
    target = tmp_path / "exported.wav"

    result = voice("recordings", "export", str(info.id), "--to", str(target))

    assert result.exit_code == 1
    assert "restore it from a backup" in result.output
    assert ("failed its integrity check" if stored == "encrypted"
            else f"the audio's SHA-256 is {hashlib.sha256(changed).hexdigest()}") \
        in result.output
    assert not target.exists()


def test_purge_removes_what_expired(voice: Voice, services: Services, clock: FrozenClock,
                                    tmp_path: Path) -> None:
    clock.now = datetime(2020, 1, 1, tzinfo=UTC)
    start_call(services, CALL, started_at=clock.now)
    old = file_recording(services, CALL, AUDIO, tmp_path / "work")
    add_transcript(services, old)
    clock.now = datetime(2090, 1, 1, tzinfo=UTC)
    start_call(services, OTHER_CALL, started_at=clock.now)
    kept = file_recording(services, OTHER_CALL, AUDIO, tmp_path / "work")
    folder = recording_service(services).recordings_dir

    dry = voice("recordings", "purge", "--dry-run")
    still_there = old.file_in(folder).exists()
    real = voice("recordings", "purge")
    again = voice("recordings", "purge")

    assert dry.exit_code == 0, dry.output
    assert f"would remove {old.id}  {CALL}  {old.path}" in dry.output
    assert still_there
    assert real.exit_code == 0, real.output
    assert f"removed {old.id}  {CALL}  {old.path}  (expired 2020-01-31 00:00:00Z)" in real.output
    assert "removed 1 recording(s)." in real.output
    assert not old.file_in(folder).exists()
    assert count_rows(services, old.id) == {"recordings": 0, "transcripts": 0, "segments": 0,
                                            "jobs": 0}
    assert kept.file_in(folder).exists()
    assert again.output.startswith("Nothing to purge")
