"""The QA pages (:mod:`voice.web.qa_pages`) through the Flask test client over demo data
(``voice demo seed``): who may open them, every filter of the list against the database's
own answer, search, the pages, the call page's facts, a recording whose file is missing,
the waveform JSON and the audio's range requests the player seeks with."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from staff_login import PASSWORD, sign_in
from web_app import running_app

from voice.compose import Services
from voice.demo.seed import DEMO_PASSWORD, SeedOptions, seed
from voice.store.models import Call, CallEvent, Recording, Transcript, TranscriptSegment

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
ROW = re.compile(r'<tr data-call-id="([^"]+)" data-recording-id="(\d+)">')


@pytest.fixture
def demo(services: Services) -> Services:
    """150 demo calls over 10 days (two with real WAVs) and users of every staff role."""
    assert services.user_service is not None
    seed(services.session_factory, services.acd, services.settings.recordings_dir,
         SeedOptions(calls=150, days=10, seed=11, now=NOW, audio_calls=2))
    for name, role in (("quinn", "qa"), ("sue", "supervisor"), ("ada", "admin")):
        services.user_service.add(name, role, PASSWORD)
    return services


@pytest.fixture
def app(demo: Services) -> Iterator[Flask]:
    with running_app(demo.settings) as flask_app:
        yield flask_app


@pytest.fixture
def qa(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, "quinn").status_code == 303
    return client


def listed(client: FlaskClient, query: str = "") -> list[str]:
    page = client.get(f"/qa/recordings?size=100&{query}")
    assert page.status_code == 200, page.text
    return [call_id for call_id, _ in ROW.findall(page.text)]


def newest(services: Services, where: Callable[[Any], bool] | None = None) -> list[str]:
    """The database's own answer: recordings' calls newest first, filtered in Python."""
    with services.session_factory() as session:
        rows = session.execute(
            select(Recording, Call).join(Call, Call.id == Recording.call_id)
            .order_by(Call.started_at.desc(), Recording.id.desc())).all()
    return [call.id for recording, call in rows if where is None or where((recording, call))]


def verified_calls(services: Services) -> set[str]:
    with services.session_factory() as session:
        return set(session.scalars(select(CallEvent.call_id).where(
            CallEvent.node_type == "authenticate", CallEvent.outcome == "verified")))


def said(services: Services, *words: str) -> set[int]:
    """Recordings with a segment holding every word (compared as lower-case words)."""
    with services.session_factory() as session:
        rows = session.execute(select(Transcript.recording_id, TranscriptSegment.text).join(
            TranscriptSegment, TranscriptSegment.transcript_id == Transcript.id)).all()
    return {rid for rid, text in rows
            if set(words) <= set(re.findall(r"\w+", text.lower()))}


def test_who_may_open_the_pages(app: Flask, demo: Services) -> None:
    visitor = app.test_client()
    page = visitor.get("/qa/recordings")
    assert page.status_code == 303
    assert page.headers["Location"] == "/login?next=%2Fqa%2Frecordings"
    assert visitor.get("/qa/calls/demo-00000001").status_code == 303
    assert visitor.get("/api/qa/recordings/1/waveform").status_code == 401

    agent = app.test_client()
    sign_in(agent, "demo-agent-01", DEMO_PASSWORD)
    assert agent.get("/qa/recordings").status_code == 403
    assert agent.get("/qa/calls/demo-00000001").status_code == 403
    assert agent.get("/api/qa/recordings/1/waveform").status_code == 403
    assert agent.get("/api/recordings/1/audio").status_code == 403

    for name in ("quinn", "sue", "ada"):
        client = app.test_client()
        sign_in(client, name)
        page = client.get("/qa/recordings")
        assert page.status_code == 200 and "<h1 class=\"page-title\">Recordings</h1>" in page.text
        assert '<a href="/qa/recordings" aria-current="page">Recordings</a>' in page.text


def test_each_filter_narrows_the_list_to_what_the_database_says(qa: FlaskClient,
                                                                 demo: Services) -> None:
    everything = newest(demo)
    assert listed(qa) == everything[:100] and len(everything) > 100
    recording, call = _some_answered(demo)
    verified = verified_calls(demo)
    day = call.started_at.date().isoformat()
    checks: list[tuple[str, Callable[[Any], bool]]] = [
        ("queue=support", lambda rc: rc[0].queue == "support"),
        (f"agent={recording.agent}", lambda rc: rc[0].agent == recording.agent),
        ("flow=main", lambda rc: rc[1].flow_id == "main"),
        ("flow=sales", lambda rc: False),
        (f"caller={call.from_number[1:]}", lambda rc: rc[1].from_number == call.from_number),
        ("min_duration=120&max_duration=400", lambda rc: 120 <= rc[0].duration_s <= 400),
        ("verified=yes", lambda rc: rc[1].id in verified),
        ("verified=no", lambda rc: rc[1].id not in verified),
        (f"since={day}&until={day}", lambda rc: rc[1].started_at.date().isoformat() == day),
        ("verified=yes&queue=billing&min_duration=200",
         lambda rc: rc[1].id in verified and rc[0].queue == "billing"
         and rc[0].duration_s >= 200),
    ]
    for query, keep in checks:
        expected = newest(demo, keep)[:100]
        assert listed(qa, query) == expected, query
        assert len(expected) < len(everything), query  # the filter did narrow
    assert listed(qa, f"caller={call.from_number}") == newest(
        demo, lambda rc: rc[1].from_number == call.from_number)


def test_search_finds_what_was_said_and_marks_it(qa: FlaskClient, demo: Services) -> None:
    refund = said(demo, "refund")
    assert refund
    page = qa.get("/qa/recordings?size=100&q=Refund")
    found = [int(rid) for _, rid in ROW.findall(page.text)]
    assert found == [rid for rid in _recording_ids(demo) if rid in refund][:100]
    assert "<mark>refund</mark>" in page.text
    assert "Recordings where “Refund” was said" in page.text
    both = said(demo, "router", "red")
    listed_ids = [int(rid) for _, rid in ROW.findall(
        qa.get("/qa/recordings?size=100&q=red+router&queue=support").text)]
    assert listed_ids == [rid for rid in _recording_ids(demo) if rid in both][:100]
    # the words are said only in support calls: a filter to another queue leaves none
    assert both and not ROW.findall(
        qa.get("/qa/recordings?q=red+router&queue=billing").text)
    empty = qa.get("/qa/recordings?q=zebra")
    assert "No recordings match." in empty.text and not ROW.findall(empty.text)


def test_pages_link_older_and_newer(qa: FlaskClient, demo: Services) -> None:
    everything = newest(demo)
    seen: list[str] = []
    url = "/qa/recordings?size=25&flow=main"
    pages = 0
    while url:
        page = qa.get(url)
        pages += 1
        seen += [call_id for call_id, _ in ROW.findall(page.text)]
        older = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        url = older.group(1).replace("&amp;", "&") if older else ""
        if pages == 2:
            newer = re.search(r'<a href="([^"]+)" rel="prev">', page.text)
            assert newer is not None
            back = qa.get(newer.group(1).replace("&amp;", "&"))
            assert [c for c, _ in ROW.findall(back.text)] == everything[:25]
            assert "Page 1:" in back.text
    assert seen == everything and pages == -(-len(everything) // 25)
    # every demo call is in flow main: the unfiltered count is the same list
    assert f"of {len(everything):,} matching." in qa.get("/qa/recordings?size=25").text


def test_bad_filters_show_the_form_with_the_problem(qa: FlaskClient) -> None:
    for query, message in (("since=yesterday", "From &#39;yesterday&#39; is not a date"),
                           ("min_duration=-3", "must be a number of seconds"),
                           ("min_duration=60&max_duration=10", "must not be shorter"),
                           ("verified=maybe", "verified must be yes, no"),
                           ("size=7", "rows per page must be one of 25, 50, 100"),
                           ("before=garbage", "Older/Newer links")):
        page = qa.get(f"/qa/recordings?{query}")
        assert page.status_code == 400, query
        assert message in page.text, (query, page.text[-2000:])
        assert 'id="qa-problem"' in page.text and 'name="q"' in page.text


def test_call_page_shows_the_facts_and_plays_its_audio(qa: FlaskClient,
                                                       demo: Services) -> None:
    with demo.session_factory() as session:
        recording = session.scalars(select(Recording).where(Recording.size_bytes > 0)
                                    .order_by(Recording.id.desc())).first()
        assert recording is not None
        call = session.get(Call, recording.call_id)
        assert call is not None
    page = qa.get(f"/qa/calls/{call.id}")
    assert page.status_code == 200
    text = page.text
    assert f'data-fact="queue">{recording.queue} (answered, waited ' in text
    assert f'data-fact="agent">{recording.agent}</dd>' in text
    assert 'data-fact="outcome">agent</dd>' in text
    assert 'data-fact="disposition"><p class="qa-note"><strong>' in text
    assert "Loading the waveform" in text and "Audio not available" not in text
    assert f'"audio_url": "/api/recordings/{recording.id}/audio"' in text
    assert "wavesurfer.min.js" in text and "qa_player.js" in text
    assert 'class="qa-segment"' in text and "Thanks for calling Acme" in text
    nonce = re.search(r'data-csp-nonce="([^"]+)"', text)
    assert nonce and f"style-src 'self' 'nonce-{nonce.group(1)}'" in \
        page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    assert 'aria-label="Evaluation"' in text  # the evaluation panel's section

    wave = qa.get(f"/api/qa/recordings/{recording.id}/waveform")
    assert wave.status_code == 200
    body = wave.get_json()
    assert body["channels"] == 2 and len(body["peaks"]) == 2
    assert abs(body["duration"] - recording.duration_s) < 0.2
    assert max(abs(p) for p in body["peaks"][1]) > 0.1  # the IVR greeting tone

    audio = qa.get(f"/api/recordings/{recording.id}/audio", headers={"Range": "bytes=44-1043"})
    assert audio.status_code == 206 and len(audio.data) == 1000
    assert audio.headers["Content-Range"].startswith("bytes 44-1043/")
    assert audio.headers["Accept-Ranges"] == "bytes"


def test_a_recording_without_its_file_says_audio_not_available(
        qa: FlaskClient, demo: Services, caplog: pytest.LogCaptureFixture) -> None:
    recording, call = _some_answered(demo)
    assert recording.size_bytes == 0  # demo rows without a WAV
    page = qa.get(f"/qa/calls/{call.id}?recording={recording.id}")
    assert page.status_code == 200
    assert "Audio not available" in page.text
    assert '"audio_url": null' in page.text and "wavesurfer.min.js" not in page.text
    assert 'id="qa-play" class="primary" aria-pressed="false" disabled' in page.text
    assert 'class="qa-segment"' in page.text  # the transcript is still there
    wave = qa.get(f"/api/qa/recordings/{recording.id}/waveform")
    assert wave.status_code == 404
    assert wave.get_json()["error_id"] == "waveform-unavailable"
    assert "audio not available" in wave.get_json()["message"]
    assert any(r.levelname == "ERROR" and f"recording {recording.id}:" in r.getMessage()
               for r in caplog.records)  # the admin finds why in the server log
    assert qa.get(f"/qa/calls/{call.id}?recording=999999").status_code == 404
    missing = qa.get("/qa/calls/no-such-call")
    assert missing.status_code == 404 and "there is no call" in missing.text
    # SIP Call-IDs may hold a "/": the page is still the call page (not a routing 404)
    slashed = qa.get("/qa/calls/a1b2/c3@pbx.example")
    assert slashed.status_code == 404 and "there is no call" in slashed.text
    assert "a1b2/c3@pbx.example" in slashed.text


def _some_answered(services: Services) -> tuple[Recording, Call]:
    """An answered call's recording without audio (the tenth newest)."""
    with services.session_factory() as session:
        recording, call = session.execute(
            select(Recording, Call).join(Call, Call.id == Recording.call_id)
            .where(Recording.kind == "call", Recording.size_bytes == 0)
            .order_by(Call.started_at.desc()).offset(10).limit(1)).one()
        return recording, call


def _recording_ids(services: Services) -> list[int]:
    with services.session_factory() as session:
        return list(session.scalars(
            select(Recording.id).join(Call, Call.id == Recording.call_id)
            .order_by(Call.started_at.desc(), Recording.id.desc())))
