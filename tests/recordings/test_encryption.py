"""Recordings encrypted at rest, on SQLite and PostgreSQL.

With VOICE_RECORDINGS_KEY set, the file on disk is not a WAV (no RIFF header, none of the
audio's bytes), the row still describes the clear audio, and reading it back (service,
export) gives exactly the audio that was recorded. Another master key, a missing key and a
changed file are refused with errors that say what to do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes.twilio_api import FakeTwilioApi
from recording_helpers import (
    file_recording,
    new_master_key,
    recording_service,
    start_call,
    wav_bytes,
)

from voice.compose import Services, build_services
from voice.recordings.crypto import RecordingCipher
from voice.recordings.errors import RecordingKeyError, RecordingTamperedError
from voice.recordings.service import RecordingService
from voice.settings import Settings
from voice.store.migrate import upgrade

CALL = "sip-call-1@example.test"


def _other_service(services: Services, cipher: RecordingCipher | None) -> RecordingService:
    """The same recordings folder and table, read with another (or no) master key."""
    service = recording_service(services)
    return RecordingService(service.repository, service.recordings_dir, cipher=cipher)


def test_a_recording_is_stored_encrypted_and_read_back_exactly(
        services: Services, tmp_path: Path) -> None:
    audio = wav_bytes(seconds=0.75)
    start_call(services, CALL)

    info = file_recording(services, CALL, audio, tmp_path / "work")

    service = recording_service(services)
    on_disk = info.file_in(service.recordings_dir).read_bytes()
    assert info.encrypted
    assert not on_disk.startswith(b"RIFF") and b"WAVE" not in on_disk
    assert audio[44:1044] not in on_disk  # not even a stretch of the samples
    assert (info.sha256, info.size_bytes) == (hashlib.sha256(audio).hexdigest(), len(audio))
    assert (info.channels, info.duration_s) == (2, 0.75)
    assert service.open_audio(info) == audio
    assert service.repository.get(info.id) == info


def test_export_writes_the_original_wav(services: Services, tmp_path: Path) -> None:
    audio = wav_bytes(seconds=0.5, channels=1)
    start_call(services, CALL)
    info = file_recording(services, CALL, audio, tmp_path / "work", kind="voicemail")

    target = recording_service(services).export_audio(info, tmp_path / "out" / "vm.wav")

    assert hashlib.sha256(target.read_bytes()).hexdigest() == info.sha256
    assert target.read_bytes() == audio


def test_each_file_has_its_own_key(services: Services, tmp_path: Path) -> None:
    audio = wav_bytes(seconds=0.25)
    start_call(services, CALL)

    first = file_recording(services, CALL, audio, tmp_path / "work")
    second = file_recording(services, CALL, audio, tmp_path / "work")

    service = recording_service(services)
    assert first.file_in(service.recordings_dir).read_bytes() != \
        second.file_in(service.recordings_dir).read_bytes()
    assert service.repository.wrapped_key(first.id) != service.repository.wrapped_key(second.id)
    assert service.open_audio(first) == service.open_audio(second) == audio


def test_another_master_key_is_refused(services: Services, tmp_path: Path) -> None:
    start_call(services, CALL)
    info = file_recording(services, CALL, wav_bytes(), tmp_path / "work")
    other = _other_service(services, RecordingCipher(new_master_key()))

    with pytest.raises(RecordingKeyError, match="set VOICE_RECORDINGS_KEY to the key that was "
                                                "in use when it was stored"):
        other.open_audio(info)


def test_an_encrypted_recording_needs_a_key(services: Services, tmp_path: Path) -> None:
    start_call(services, CALL)
    info = file_recording(services, CALL, wav_bytes(), tmp_path / "work")

    with pytest.raises(RecordingKeyError, match="VOICE_RECORDINGS_KEY is not set"):
        _other_service(services, None).open_audio(info)


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_changed_file_is_refused(services: Services, tmp_path: Path, damage: str) -> None:
    start_call(services, CALL)
    info = file_recording(services, CALL, wav_bytes(), tmp_path / "work")
    service = recording_service(services)
    file = info.file_in(service.recordings_dir)
    data = bytearray(file.read_bytes())
    if damage == "flip":
        data[100] ^= 0x01
    else:
        del data[-1:]
    file.write_bytes(bytes(data))

    with pytest.raises(RecordingTamperedError, match="changed or truncated"):
        service.open_audio(info)
    with pytest.raises(RecordingTamperedError):
        service.export_audio(info, tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_without_a_key_recordings_are_stored_in_clear(
        db_url: str, tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(db_url, tmp_path / "data")
    upgrade(settings.database_url)
    audio = wav_bytes()
    with build_services(settings) as services:
        start_call(services, CALL)
        info = file_recording(services, CALL, audio, tmp_path / "work")

        service = recording_service(services)
        assert not info.encrypted
        assert info.file_in(service.recordings_dir).read_bytes() == audio
        assert service.open_audio(info) == audio


def test_a_twilio_download_is_stored_encrypted(
        db_url: str, tmp_path: Path, make_settings: Callable[..., Settings],
        fake_twilio: FakeTwilioApi, master_key: str) -> None:
    settings = make_settings(db_url, tmp_path / "data", VOICE_RECORDINGS_KEY=master_key,
                             **fake_twilio.settings_env())
    upgrade(settings.database_url)
    call = "CA" + "5" * 32
    with build_services(settings) as services:
        start_call(services, call)
        sid = fake_twilio.add_recording(call, channels=2)
        service = recording_service(services)

        info = service.store_twilio_recording(
            call_id=call, recording_sid=sid, recording_url=fake_twilio.recording_url(sid),
            kind="call", channels=2, duration_s=1)

        media = fake_twilio.media(sid)
        stored = sorted(p.name for p in service.recordings_dir.rglob("*") if p.is_file())
        assert stored == [f"{call}.wav"]  # no clear temp file left behind
        assert not info.file_in(service.recordings_dir).read_bytes().startswith(b"RIFF")
        assert info.sha256 == hashlib.sha256(media).hexdigest()
        assert info.size_bytes == len(media) and info.encrypted
        assert service.open_audio(info) == media


def test_the_cipher_refuses_a_master_key_of_the_wrong_size(tmp_path: Path) -> None:
    with pytest.raises(RecordingKeyError, match="voice secret-key --recordings"):
        RecordingCipher("c2hvcnQ=")

    cipher = RecordingCipher(new_master_key())
    sealed, wrapped = cipher.encrypt(b"RIFF....WAVE")
    (tmp_path / "x.wav").write_bytes(sealed)
    assert cipher.decrypt(tmp_path / "x.wav", wrapped) == b"RIFF....WAVE"
