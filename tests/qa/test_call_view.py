"""What the QA call page shows (:mod:`voice.qa.call_view`): facts, the IVR path and the
sensitive span on the recording's time axis, the conversation as its own mark, voicemail
offsets, whether the audio is there; and the waveform peaks of a real WAV."""

from __future__ import annotations

from pathlib import Path

import pytest
from qa_data import T0, CallSpec, add_call, write_wav

from voice.compose import Services
from voice.qa.call_view import SENSITIVE_LABEL, CallView, load_call_view
from voice.qa.errors import QaCallNotFoundError, QaRecordingNotFoundError, WaveformError
from voice.qa.waveform import waveform


def view_of(services: Services, call_id: str, recording: str | None = None) -> CallView:
    assert services.recording_service is not None
    return load_call_view(services.session_factory, services.recording_service, call_id,
                          recording)


def test_facts_path_and_sensitive_span_on_one_axis(services: Services) -> None:
    recording_id = add_call(services, CallSpec(
        "v1", T0, "+15550101", agent="alice", duration=90, auth="verified",
        sensitive_at=(5.0, 9.5), answered_at=20.0, audio=True,
        disposition=("refund issued", "Refunded the double charge."),
        said=[("ivr", 0.5, 2.0, "Welcome"), ("caller", 21.0, 24.0, "I was charged twice")]))
    view = view_of(services, "v1")
    assert view.recording is not None and view.recording.id == recording_id
    assert view.audio_available and view.duration_s == 90.0
    assert [(m.node, m.type, m.start_s, m.end_s, m.sensitive) for m in view.path] == [
        ("greeting", "say", 0.0, 5.0, False),
        ("auth", "authenticate", 5.0, 9.5, True),
        ("thanks", "say", 9.5, 12.0, False),
        ("billing", "queue", 12.0, 20.0, False),
        ("alice", "agent", 20.0, 90.0, False),
    ]
    assert [(m.start_s, m.end_s) for m in view.path if m.sensitive] == [(5.0, 9.5)]
    assert view.auth == {"verified": True, "outcome": "verified", "method": "account_pin",
                         "level": None, "customer_id": None, "account": "****4321"}
    [check] = view.auth_checks
    assert (check.method, check.outcome, check.account) == ("account_pin", "verified",
                                                            "****4321")
    [stay] = view.queue_stays
    assert (stay.queue, stay.wait_s, stay.outcome) == ("billing", 8.0, "answered")
    assert view.agents == ["alice"]
    [note] = view.dispositions
    assert (note.disposition, note.note) == ("refund issued", "Refunded the double charge.")
    assert view.transcript is not None
    assert [s.text for s in view.transcript.segments] == ["Welcome", "I was charged twice"]

    data = view.player_data("/audio", "/peaks")
    assert data["audio_url"] == "/audio" and data["duration"] == 90.0
    assert data["sensitive_label"] == SENSITIVE_LABEL
    assert data["segments"][1] == {"start": 21.0, "end": 24.0, "speaker": "caller"}
    assert {"node": "auth", "start": 5.0, "end": 9.5, "sensitive": True}.items() \
        <= data["path"][1].items()


def test_a_recording_without_its_file(services: Services) -> None:
    add_call(services, CallSpec("v2", T0, agent="bob", said=[("caller", 1, 2, "hello")]))
    view = view_of(services, "v2")
    assert view.recording is not None and not view.audio_available
    data = view.player_data("/audio", "/peaks")
    assert data["audio_url"] is None and data["peaks_url"] is None
    assert data["segments"] == [{"start": 1, "end": 2, "speaker": "caller"}]


def test_a_voicemail_starts_at_its_record_visit(services: Services) -> None:
    add_call(services, CallSpec("v3", T0, queue=None, kind="voicemail", duration=75))
    view = view_of(services, "v3")
    assert view.recording is not None and view.recording.kind == "voicemail"
    assert view.offset == T0.replace(second=15)
    assert view.path[0].start_s == -15.0  # before the recording began
    assert (view.path[-1].node, view.path[-1].start_s, view.path[-1].end_s) == (
        "voicemail", 0.0, 60.0)


def test_unknown_call_or_recording(services: Services) -> None:
    add_call(services, CallSpec("v4", T0))
    with pytest.raises(QaCallNotFoundError, match="/qa/recordings"):
        view_of(services, "nope")
    with pytest.raises(QaRecordingNotFoundError, match="/qa/calls/v4"):
        view_of(services, "v4", "999")


def test_waveform_peaks_per_channel(tmp_path: Path) -> None:
    path = tmp_path / "two.wav"
    write_wav(path, 2.0)
    drawn = waveform(1, path.read_bytes(), buckets=10)
    assert (drawn.channels, drawn.sample_rate, drawn.duration_s) == (2, 8000, 2.0)
    left, right = drawn.peaks
    assert len(left) == len(right) == 10
    assert all(0.45 < abs(p) <= 0.5 for p in left[:5]) and left[5:] == [0.0] * 5
    assert all(0.1 < abs(p) <= 0.125 for p in right)
    with pytest.raises(WaveformError, match="16-bit PCM WAV"):
        waveform(1, b"not a wav")
