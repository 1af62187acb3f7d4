"""``recording.ready`` and ``transcript.ready``: written with the recording's and the
transcript's own rows, signed and delivered to the endpoints that asked for them."""

from __future__ import annotations

import sys
from pathlib import Path

from webhook_receiver import running_receiver

from voice.compose import Services
from voice.transcripts.store import SegmentRow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recordings"))
from recording_helpers import file_recording, start_call, wav_bytes


def test_recording_and_transcript_ready_reach_the_crm(services: Services,
                                                      tmp_path: Path) -> None:
    assert services.webhook_endpoints is not None and services.transcript_store is not None
    with running_receiver() as crm:
        _id, crm.secret = services.webhook_endpoints.add(
            crm.url, events=["recording.ready", "transcript.ready"])
        start_call(services, "call-1")
        recording = file_recording(services, "call-1", wav_bytes(1.0), tmp_path / "work")
        services.transcript_store.replace(
            recording_id=recording.id, call_id="call-1", model="vosk-test",
            duration_s=recording.duration_s, processing_s=0.2,
            segments=[SegmentRow(0, "caller", 0.0, 0.8, "billing please", 0.9, None, "menu",
                                 "ivr")],
            created_at=recording.created_at)
        ready, transcribed = crm.wait_for(2)
    assert ready.verified and transcribed.verified
    data = ready.json()["data"]
    assert ready.json()["type"] == "recording.ready"
    assert data["recording_id"] == recording.id and data["call_id"] == "call-1"
    assert data["channels"] == 2 and data["audio_url"].endswith(
        f"/api/recordings/{recording.id}/audio")
    body = transcribed.json()
    assert body["type"] == "transcript.ready"
    assert body["data"]["segments"] == 1 and body["data"]["model"] == "vosk-test"
    assert "billing please" not in transcribed.body.decode()  # links, never the words


def test_no_endpoint_for_the_event_means_no_delivery(services: Services,
                                                     tmp_path: Path) -> None:
    assert services.webhook_endpoints is not None
    with running_receiver() as crm:
        services.webhook_endpoints.add(crm.url, events=["call.offered"])
        start_call(services, "call-2")
        file_recording(services, "call-2", wav_bytes(0.5), tmp_path / "work")
    assert services.webhook_deliverer is not None
    assert services.webhook_deliverer.list_deliveries() == []
