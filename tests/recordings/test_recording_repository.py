"""The recordings store on SQLite and PostgreSQL: add, find, and refuse bad or repeated rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from voice.compose import Services
from voice.recordings.errors import (
    DuplicateRecordingError,
    InvalidRecordingDataError,
    RecordingCallNotFoundError,
)
from voice.recordings.repository import RecordingRepository

CALL = "CA" + "3" * 32
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


@pytest.fixture
def repository(services: Services) -> Iterator[RecordingRepository]:
    services.call_repository.start_call(
        call_id=CALL, channel="twilio", flow_id="main", flow_version=1, flow_sha256=None,
        from_number="+15550142", to_number="+15550100", started_at=NOW, simulated=False)
    yield RecordingRepository(services.session_factory)


def _fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "call_id": CALL, "kind": "call", "source": "twilio", "source_id": "RE1",
        "path": f"2026/11/24/{CALL}.wav", "channels": 2, "duration_s": 12.5,
        "size_bytes": 400_044, "sha256": "a" * 64, "created_at": NOW,
    }
    return {**fields, **changes}


def test_added_recordings_are_found_by_id_call_and_source(
        repository: RecordingRepository) -> None:
    later = NOW + timedelta(minutes=1)
    call = repository.add(**_fields(created_at=NOW.astimezone(timezone(timedelta(hours=-5)))))
    mail = repository.add(**_fields(kind="voicemail", source_id="RE2", channels=1,
                                    path=f"2026/11/24/{CALL}-voicemail-1.wav", created_at=later,
                                    flow_id="main"))

    assert call.created_at == NOW and call.created_at.tzinfo == UTC
    assert repository.get(call.id) == call
    assert repository.get(mail.id + 100) is None
    assert repository.list_for_call(CALL) == [call, mail]
    assert repository.list_for_call("CA-unknown") == []
    assert repository.by_source_id("twilio", "RE2") == mail
    assert repository.by_source_id("sip", "RE2") is None
    assert repository.call_started_at(CALL) == NOW
    assert repository.call_started_at("CA-unknown") is None
    assert mail.to_dict()["created_at"] == "2026-11-24T15:01:00+00:00"


def test_the_same_carrier_recording_cannot_be_added_twice(
        repository: RecordingRepository) -> None:
    repository.add(**_fields())

    with pytest.raises(DuplicateRecordingError, match="twilio recording 'RE1' is already"):
        repository.add(**_fields(path="2026/11/24/other.wav"))
    with pytest.raises(InvalidRecordingDataError, match="already belongs to another recording"):
        repository.add(**_fields(source_id="RE9"))
    assert len(repository.list_for_call(CALL)) == 1


def test_a_recording_needs_a_known_call(repository: RecordingRepository) -> None:
    with pytest.raises(RecordingCallNotFoundError, match="'CA-nope' is not in the call log"):
        repository.add(**_fields(call_id="CA-nope"))


@pytest.mark.parametrize(("changes", "message"), [
    ({"kind": "music"}, "kind 'music' is unknown; use one of call, voicemail"),
    ({"source": "zoom"}, "source 'zoom' is unknown; use one of twilio, sip"),
    ({"path": "/var/rec/a.wav"}, "must be relative to the recordings folder"),
    ({"path": "2026/../../etc/passwd"}, "no '..'"),
    ({"channels": 0}, "channels must be 1 or more"),
    ({"duration_s": -1.0}, "duration_s must not be negative"),
    ({"sha256": "XYZ"}, "sha256 must be 64 lowercase hex digits"),
    ({"created_at": datetime(2026, 11, 24)}, "has no time zone"),
])
def test_bad_fields_are_named(repository: RecordingRepository, changes: dict[str, Any],
                              message: str) -> None:
    with pytest.raises(InvalidRecordingDataError) as caught:
        repository.add(**_fields(**changes))
    assert message in str(caught.value)
    assert repository.list_for_call(CALL) == []
