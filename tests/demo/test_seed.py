"""voice demo seed: consistent, searchable, deterministic demo data, and the CLI summary."""

from __future__ import annotations

import itertools
import re
import wave
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from tooling import TEST_HASHING

from voice.cli.demo import demo
from voice.compose import Services
from voice.demo.seed import DemoDataExistsError, SeedOptions, seed
from voice.evaluations.demo import NAME as DEMO_SCORECARD
from voice.evaluations.scorecards import sections_from_json
from voice.evaluations.scoring import overall_score
from voice.store.models import (
    Call,
    CallDisposition,
    CallEvent,
    Evaluation,
    QueueEntry,
    Recording,
    Transcript,
)

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def run(services: Services, **options: object) -> object:
    return seed(services.session_factory, services.acd, services.settings.recordings_dir,
                SeedOptions(**{"calls": 200, "seed": 7, "now": NOW, "audio_calls": 2,
                               **options}))  # type: ignore[arg-type]


def test_seeding_200_calls_is_consistent_and_searchable(services: Services) -> None:
    report = run(services)
    assert report.calls == 200 and report.agents_created == 10
    with services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 200
        answered = session.scalars(select(Call.id).where(Call.outcome == "agent")).all()
        assert answered
        for call_id in answered:
            entry = session.scalars(select(QueueEntry).where(QueueEntry.call_id == call_id)).one()
            assert entry.outcome == "answered" and entry.agent_id is not None
            recording = session.scalars(select(Recording).where(
                Recording.call_id == call_id, Recording.kind == "call")).one()
            assert recording.agent and recording.queue == entry.queue
            assert session.scalar(select(func.count()).select_from(CallDisposition)
                                  .where(CallDisposition.call_id == call_id)) == 1
        events = session.execute(select(CallEvent.call_id, CallEvent.seq, CallEvent.at)
                                 .order_by(CallEvent.call_id, CallEvent.seq)).all()
        for before, after in itertools.pairwise(events):
            if before.call_id == after.call_id:
                assert after.seq == before.seq + 1 and after.at >= before.at
        assert session.scalar(select(func.count()).select_from(Transcript)) == report.recordings
        # PIN entry is marked sensitive as the engine marks it (QA shows the span as paused)
        auth = session.scalars(select(CallEvent).where(CallEvent.node == "auth")).all()
        assert auth and all(event.detail["sensitive"] is True for event in auth)
        files = [r for r in session.scalars(select(Recording)) if r.size_bytes]
    assert len(files) == report.audio_files == 2
    with wave.open(str(services.settings.recordings_dir / files[0].path)) as audio:
        assert audio.getnchannels() == 2 and audio.getframerate() == 8000
    hits = services.transcript_store.search("refund")
    assert hits and all("refund" in h.text.lower() for h in hits)
    assert services.transcript_store.search("thank you holding", limit=5)


def test_refuses_a_second_run_unless_append_and_is_deterministic(services: Services) -> None:
    first = run(services, calls=50, audio_calls=0)
    with pytest.raises(DemoDataExistsError):
        run(services, calls=50)
    second = run(services, calls=50, audio_calls=0, append=True)
    assert second.outcomes == first.outcomes and second.agents_created == 0
    with services.session_factory.begin() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 100
        # ids were assigned by the seeder: the next ordinary insert must not collide
        session.add(Recording(call_id="demo-00000001", kind="call", source="sip",
                              source_id="after-seed", path="x.wav", channels=1,
                              duration_s=1.0, size_bytes=0, sha256="0" * 64, created_at=NOW))


def test_cli_prints_a_summary(services: Services, runner: CliRunner) -> None:
    settings = services.settings
    env = {"VOICE_DATA_DIR": str(settings.data_dir), "VOICE_DATABASE_URL": settings.database_url,
           "VOICE_FLOWS_DIR": str(settings.flows_dir), **TEST_HASHING}
    result = runner.invoke(demo, ["seed", "--calls", "30", "--seed", "1", "--no-audio",
                                  "--now", "2026-11-20T15:00"],
                           env=env)
    assert result.exit_code == 0, result.output
    assert "Seeded 30 calls" in result.output and "calls/s" in result.output
    assert re.search(r"\b\d+ QA evaluations;", result.output)
    again = runner.invoke(demo, ["seed", "--calls", "5"], env=env)
    assert again.exit_code == 1 and "--append" in again.output
    bad = runner.invoke(demo, ["seed", "--calls", "5", "--now", "yesterday"], env=env)
    assert bad.exit_code == 1 and "--now: " in bad.output and "'yesterday'" in bad.output


def test_a_share_of_answered_calls_gets_evaluations(services: Services) -> None:
    report = run(services, calls=400, audio_calls=0)
    store = services.evaluations
    [card] = store.list_scorecards()
    assert card.name == DEMO_SCORECARD and card.version == 1
    with services.session_factory() as session:
        answered = session.scalar(select(func.count()).select_from(Call)
                                  .where(Call.outcome == "agent"))
        rows = session.scalars(select(Evaluation).order_by(Evaluation.call_id)).all()
        assert 0.04 * answered <= len(rows) <= 0.2 * answered
        assert report.evaluations == len(rows)
        sections = sections_from_json(card.to_dict()["sections"])
        for row in rows:
            call = session.get(Call, row.call_id)
            assert call is not None and call.outcome == "agent"
            recording = session.scalars(select(Recording).where(
                Recording.call_id == row.call_id, Recording.kind == "call")).one()
            assert (row.agent, row.queue) == (recording.agent, recording.queue)
            assert row.score == overall_score(sections, row.answers)
            assert row.created_at >= call.ended_at and row.created_at <= NOW
            assert row.comments and all(0 <= c["at_seconds"] <= recording.duration_s
                                        for c in row.comments)
        first = [(r.call_id, r.answers, r.score) for r in rows]
    assert services.evaluations.get_evaluation(rows[0].id).scorecard_name == DEMO_SCORECARD
    # the same seed gives the same evaluations (ids are the same calls, answers the same)
    with services.session_factory.begin() as session:
        session.execute(Evaluation.__table__.delete())
        for model in (CallDisposition, QueueEntry, CallEvent):
            session.execute(model.__table__.delete())
        session.execute(Transcript.__table__.delete())
        session.execute(Recording.__table__.delete())
        session.execute(Call.__table__.delete())
    run(services, calls=400, audio_calls=0)
    with services.session_factory() as session:
        again = [(r.call_id, r.answers, r.score) for r in session.scalars(
            select(Evaluation).order_by(Evaluation.call_id))]
    assert again == first
    assert len(store.list_scorecards()) == 1  # the demo scorecard is made once
