"""Retention: every recording expires, and the purge removes its file, row and transcript.

Runs on SQLite and PostgreSQL with a frozen clock. The default is VOICE_RETENTION_DAYS (30
here); a flow's top-level ``retention_days`` (the ``sales`` flow keeps 7 days) wins, taken
from the flow version the call ran, not from whatever is published later.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from recording_helpers import (
    DEFAULT_RETENTION_DAYS,
    SALES_FLOW,
    SALES_RETENTION_DAYS,
    T0,
    FrozenClock,
    add_transcript,
    count_rows,
    file_recording,
    insert_raw_recording,
    recording_service,
    start_call,
    wav_bytes,
)

from voice.compose import Services
from voice.flows.errors import FlowValidationError

SALES_CALL, SUPPORT_CALL = "sales-call@example.test", "support-call@example.test"


@pytest.fixture
def published(services: Services) -> Services:
    """``services`` with the ``sales`` and ``support`` flows published (version 1)."""
    services.flow_catalog.publish(published_by="test")
    return services


def test_a_recording_expires_after_the_default_retention(
        published: Services, clock: FrozenClock, tmp_path: Path) -> None:
    start_call(published, SUPPORT_CALL, flow_id="support", flow_version=1)
    clock.advance(minutes=5)  # the call's recording arrives when it ends

    info = file_recording(published, SUPPORT_CALL, wav_bytes(), tmp_path / "work")

    assert info.created_at == T0 + timedelta(minutes=5)
    assert info.expires_at == info.created_at + timedelta(days=DEFAULT_RETENTION_DAYS)
    assert info.flow_id == "support"  # taken from the call when the adapter names none


def test_a_flow_sets_its_own_retention(published: Services, tmp_path: Path) -> None:
    start_call(published, SALES_CALL, flow_id="sales", flow_version=1)

    info = file_recording(published, SALES_CALL, wav_bytes(), tmp_path / "work")

    assert info.expires_at == T0 + timedelta(days=SALES_RETENTION_DAYS)


def test_the_retention_of_the_version_the_call_ran_counts(
        published: Services, flows_dir: Path, tmp_path: Path) -> None:
    (flows_dir / "sales.yaml").write_text(SALES_FLOW.format(days=90))
    published.flow_catalog.publish(published_by="test")  # version 2 keeps 90 days
    start_call(published, SALES_CALL, flow_id="sales", flow_version=1)
    start_call(published, SUPPORT_CALL, flow_id="sales", flow_version=2)

    old = file_recording(published, SALES_CALL, wav_bytes(), tmp_path / "work")
    new = file_recording(published, SUPPORT_CALL, wav_bytes(), tmp_path / "work")

    assert old.expires_at == T0 + timedelta(days=SALES_RETENTION_DAYS)
    assert new.expires_at == T0 + timedelta(days=90)


def test_an_unpublished_flow_gets_the_default(services: Services, tmp_path: Path) -> None:
    start_call(services, SALES_CALL, flow_id="sales", flow_version=None)  # never published

    info = file_recording(services, SALES_CALL, wav_bytes(), tmp_path / "work")

    assert info.expires_at == T0 + timedelta(days=DEFAULT_RETENTION_DAYS)


def test_purge_removes_expired_files_rows_and_transcripts(
        published: Services, clock: FrozenClock, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="voice.recordings")
    start_call(published, SALES_CALL, flow_id="sales", flow_version=1)
    start_call(published, SUPPORT_CALL, flow_id="support", flow_version=1)
    sales = file_recording(published, SALES_CALL, wav_bytes(), tmp_path / "work")
    mail = file_recording(published, SALES_CALL, wav_bytes(channels=1), tmp_path / "work",
                          kind="voicemail")
    support = file_recording(published, SUPPORT_CALL, wav_bytes(), tmp_path / "work")
    add_transcript(published, sales)
    add_transcript(published, support)
    service = recording_service(published)
    files = {r.id: r.file_in(service.recordings_dir) for r in (sales, mail, support)}

    early = service.purge_expired(T0 + timedelta(days=SALES_RETENTION_DAYS, seconds=-1))
    removed = service.purge_expired(T0 + timedelta(days=SALES_RETENTION_DAYS))

    assert early == []
    assert sorted(r.id for r in removed) == [sales.id, mail.id]
    assert not files[sales.id].exists() and not files[mail.id].exists()
    assert count_rows(published, sales.id) == {
        "recordings": 0, "transcripts": 0, "segments": 0, "jobs": 0}
    assert files[support.id].exists()
    assert count_rows(published, support.id) == {
        "recordings": 1, "transcripts": 1, "segments": 2, "jobs": 1}
    assert service.open_audio(support) == wav_bytes()
    purged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("purged")]
    assert f"purged recording {sales.id} of call {SALES_CALL}: {sales.path}, 7.0 days old" \
        in purged
    assert len(purged) == 2
    assert service.purge_expired(T0 + timedelta(days=SALES_RETENTION_DAYS)) == []


def test_purge_removes_a_row_whose_file_is_already_gone(
        published: Services, tmp_path: Path) -> None:
    start_call(published, SALES_CALL, flow_id="sales", flow_version=1)
    info = file_recording(published, SALES_CALL, wav_bytes(), tmp_path / "work")
    service = recording_service(published)
    info.file_in(service.recordings_dir).unlink()

    removed = service.purge_expired(T0 + timedelta(days=365))

    assert [r.id for r in removed] == [info.id]
    assert service.repository.get(info.id) is None


@pytest.mark.parametrize("path", ["../../outside.wav", "ABSOLUTE"])
def test_purge_never_deletes_a_file_outside_the_recordings_folder(
        services: Services, tmp_path: Path, path: str) -> None:
    outside = tmp_path / "outside.wav"
    outside.write_bytes(b"not ours")
    service = recording_service(services)
    stored = str(outside) if path == "ABSOLUTE" else path  # ../../ from data/recordings
    start_call(services, SALES_CALL)
    row = insert_raw_recording(services, SALES_CALL, stored, expires_at=T0)

    removed = service.purge_expired(T0)

    assert [r.id for r in removed] == [row]
    assert outside.read_bytes() == b"not ours"


def test_recordings_without_expiry_are_kept(services: Services, tmp_path: Path) -> None:
    start_call(services, SALES_CALL)
    row = insert_raw_recording(services, SALES_CALL, "2026/11/24/kept.wav")

    assert recording_service(services).purge_expired(T0 + timedelta(days=10_000)) == []
    assert recording_service(services).repository.get(row) is not None


@pytest.mark.parametrize(("value", "message"), [
    ("0", "got '0'"), ("-5", "got '-5'"), ("2.5", "got '2.5'"), ("true", "got 'true'"),
    ("'30'", "got text '30' (write the number without quotes)"),
])
def test_a_flow_with_a_bad_retention_is_not_published(
        services: Services, flows_dir: Path, value: str, message: str) -> None:
    (flows_dir / "sales.yaml").write_text(SALES_FLOW.format(days=value))

    with pytest.raises(FlowValidationError) as caught:
        services.flow_catalog.publish(published_by="test")

    text = str(caught.value)
    assert "sales.yaml:4" in text and "retention_days" in text
    assert "a whole number of days, 1 or more" in text
    assert re.search(re.escape(message), text)
    assert services.flow_repository.current("sales") is None


HOLD_FLOW = """\
id: hold
name: Legal hold line
start: legal
retention_days: 7
nodes:
  legal: {type: queue, queue: legal, retention_days: 400, max_wait: 60, on_timeout: sales}
  sales: {type: queue, queue: sales, max_wait: 60, on_timeout: bye}
  bye: {type: hangup, text: "Goodbye."}
"""


def test_a_queue_the_call_waited_in_sets_the_retention(
        published: Services, flows_dir: Path, tmp_path: Path) -> None:
    (flows_dir / "hold.yaml").write_text(HOLD_FLOW)
    published.flow_catalog.publish(published_by="test")
    version = published.flow_repository.current("hold").version
    queued, passed_by = "queued@example.test", "passed-by@example.test"
    for call_id, node in ((queued, "legal"), (passed_by, "sales")):
        start_call(published, call_id, flow_id="hold", flow_version=version)
        published.call_repository.append_path(call_id, [{
            "seq": 1, "at": T0, "flow": "hold", "node": node, "type": "queue",
            "outcome": "timeout"}])

    held = file_recording(published, queued, wav_bytes(), tmp_path / "work")
    other = file_recording(published, passed_by, wav_bytes(), tmp_path / "work")

    assert held.expires_at == T0 + timedelta(days=400)  # the legal queue's own retention
    assert other.expires_at == T0 + timedelta(days=7)  # a queue without one: the flow's
