"""Storing transcripts and finding calls by what was said, on SQLite (FTS5) and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from voice.cli import main
from voice.compose import Services
from voice.recordings.repository import RecordingRepository
from voice.transcripts.store import SearchFilters, SegmentRow
from voice.transcripts.tagging import spans, tag

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _recording(services: Services, call_id: str, flow: str, at: datetime,
               queue: str | None = None) -> int:
    services.call_repository.start_call(
        call_id=call_id, channel="sip", flow_id=flow, flow_version=1, flow_sha256=None,
        from_number="+15550100", to_number="2000", started_at=at, simulated=False)
    info = RecordingRepository(services.session_factory).add(
        call_id=call_id, kind="call", source="sip", source_id=call_id,
        path=f"2026/11/24/{call_id}.wav", channels=2, duration_s=30.0, size_bytes=1000,
        sha256="0" * 64, created_at=at + timedelta(seconds=30), flow_id=flow, queue=queue)
    return info.id


def _segment(text: str, start: float, speaker: str = "caller", node: str = "menu") -> SegmentRow:
    return SegmentRow(0 if speaker == "caller" else 1, speaker, start, start + 1.5, text,
                      0.9, [{"word": w, "start": start, "end": start + 0.3, "conf": 0.9}
                            for w in text.split()], node, "ivr")


def _store(services: Services, recording_id: int, call_id: str,
           segments: list[SegmentRow]) -> None:
    assert services.transcript_store is not None
    services.transcript_store.replace(recording_id=recording_id, call_id=call_id,
                                      model="test", duration_s=30.0, processing_s=1.0,
                                      segments=segments, created_at=T0)


def test_search_finds_the_call_the_second_and_who_said_it(services: Services) -> None:
    first = _recording(services, "call-a", "main", T0, queue="billing")
    second = _recording(services, "call-b", "sales", T0 + timedelta(days=1))
    _store(services, first, "call-a", [_segment("i want a refund please", 4.0),
                                       _segment("please hold", 8.0, speaker="ivr")])
    _store(services, second, "call-b", [_segment("refund for my order", 2.5)])
    store = services.transcript_store
    assert store is not None
    hits = store.search("refund")
    assert [(h.call_id, h.start_s) for h in hits] == [("call-b", 2.5), ("call-a", 4.0)]
    assert hits[1].recording_id == first and hits[1].speaker == "caller"
    assert hits[1].node == "menu" and hits[1].queue == "billing"
    assert [h.call_id for h in store.search("refund please")] == ["call-a"]  # every word
    assert store.search("refund", SearchFilters(flow="sales"))[0].call_id == "call-b"
    assert [h.call_id for h in store.search("refund", SearchFilters(
        since=T0 - timedelta(hours=1), until=T0 + timedelta(hours=1)))] == ["call-a"]
    assert [h.text for h in store.search("please", SearchFilters(speaker="ivr"))] == \
        ["please hold"]
    assert store.search("refund", SearchFilters(queue="billing"))[0].call_id == "call-a"
    assert store.search("nothing-like-this") == [] and store.search("   ") == []


def test_a_transcript_made_twice_is_stored_once(services: Services) -> None:
    recording = _recording(services, "call-c", "main", T0)
    _store(services, recording, "call-c", [_segment("old words here", 1.0)])
    _store(services, recording, "call-c", [_segment("new words here", 1.0),
                                           _segment("and more", 3.0)])
    store = services.transcript_store
    assert store is not None
    transcript = store.get(recording)
    assert transcript is not None and [s.text for s in transcript.segments] == [
        "new words here", "and more"]
    assert store.search("old") == []  # the search index forgot the replaced text
    assert [h.text for h in store.search("words")] == ["new words here"]


def test_search_from_the_cli(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    recording = _recording(services, "call-d", "main", T0)
    _store(services, recording, "call-d", [_segment("cancel my subscription", 12.0)])
    monkeypatch.setenv("VOICE_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("VOICE_DATA_DIR", str(services.settings.data_dir))
    result = CliRunner().invoke(main, ["transcripts", "search", "subscription"])
    assert result.exit_code == 0, result.output
    assert "call call-d" in result.output and "at 12.0s" in result.output
    bad = CliRunner().invoke(main, ["transcripts", "search", "x", "--since", "yesterday"])
    assert bad.exit_code == 1 and "is not a date" in bad.output


def test_segments_are_tagged_by_path_and_sensitive_spans_are_dropped() -> None:
    path = [
        {"at": T0.isoformat(), "node": "hello", "type": "say", "outcome": "said"},
        {"at": (T0 + timedelta(seconds=3)).isoformat(), "node": "auth",
         "type": "authenticate", "outcome": "verified", "detail": {"sensitive": True}},
        {"at": (T0 + timedelta(seconds=9)).isoformat(), "node": "line", "type": "queue",
         "outcome": "agent"},
        {"at": (T0 + timedelta(seconds=20)).isoformat(), "node": "bye", "type": "hangup",
         "outcome": "hangup"},
    ]
    path_spans = spans(path, T0, 30.0)
    first = tag(1, 0.5, 2.0, path_spans)
    assert first is not None and (first.speaker, first.node, first.phase) == (
        "ivr", "hello", "ivr")
    assert tag(0, 4.0, 5.0, path_spans) is None  # during the PIN entry: dropped
    assert tag(0, 2.5, 3.5, path_spans) is None  # overlapping it: dropped too
    queued = tag(0, 10.0, 11.0, path_spans)
    assert queued is not None and (queued.speaker, queued.node, queued.phase) == (
        "caller", "line", "queue")
    agent = tag(1, 21.0, 22.0, path_spans)
    assert agent is not None and (agent.speaker, agent.phase) == ("agent", "agent")
    voicemail = tag(0, 1.0, 2.0, path_spans, voicemail=True)
    assert voicemail is not None and voicemail.speaker == "caller"


def test_the_sweep_queues_a_recording_filed_without_a_job(services: Services) -> None:
    recording = _recording(services, "call-e", "main", T0 - timedelta(days=2))  # row, no job
    queue = services.task_queue
    assert queue is not None and queue.jobs.get(recording) is None
    sent = queue.sweep()  # the clock is now, long after the recording was filed
    assert recording in sent
    job = queue.jobs.get(recording)
    assert job is not None and job.state == "queued"
    assert recording not in queue.sweep()  # queued now: not sent again at once
