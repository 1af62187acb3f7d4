"""The flow catalog on SQLite and PostgreSQL: publish, refuse, roll back, pin versions.

What an admin and a caller notice: an invalid flow is refused and the live version keeps
serving; a call keeps the version it started with while new calls get the newest one, with
no restart; rollback brings old behaviour back as a new version.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from voice.compose import Services, build_services
from voice.flows.catalog import FlowCatalog
from voice.flows.errors import FlowNotFoundError, FlowValidationError, VersionNotFoundError
from voice.ivr import Session
from voice.ivr import events as ev
from voice.ivr.actions import Say
from voice.settings import Settings

REPO = Path(__file__).resolve().parents[2]
AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)




@pytest.fixture
def catalog(services: Services, flows_dir: Path, settings: Settings) -> FlowCatalog:
    return FlowCatalog(flows_dir=flows_dir, schedules_file=settings.schedules_file,
                       repository=services.flow_repository)


def _greeting(catalog: FlowCatalog, pinned_versions: dict[str, int] | None = None) -> str:
    pinned = catalog.published("main", pinned_versions)
    session = Session(pinned.flows, flow_id="main", schedules=catalog.schedules())
    actions = session.handle(ev.CallStarted(at=AT, call_id="c", channel="sim",
                                            from_number="+1555", to_number="+15550100"))
    return next(a.text for a in actions if isinstance(a, Say))


def _edit_greeting(flows_dir: Path, text: str) -> None:
    path = flows_dir / "main.yaml"
    path.write_text(path.read_text().replace(
        "Thanks for calling Acme. Calls are recorded for quality and training.", text))


def test_publish_stores_versions_and_skips_unchanged(catalog: FlowCatalog) -> None:
    first = catalog.publish(published_by="alice")
    assert [v.flow_id for v in first.published] == ["main", "payments"]
    assert all(v.version == 1 and v.published_by == "alice" for v in first.published)
    assert first.published[0].numbers == ["+15550100", "1000"]
    again = catalog.publish(published_by="alice")
    assert again.published == [] and again.unchanged == ["main", "payments"]


def test_new_calls_get_the_newest_version_running_calls_keep_theirs(
        catalog: FlowCatalog, flows_dir: Path, settings: Settings) -> None:
    catalog.publish(published_by="alice")
    running = catalog.published("main")
    assert running.versions == {"main": 1, "payments": 1}
    _edit_greeting(flows_dir, "Welcome to the new Acme.")
    report = catalog.publish([flows_dir / "main.yaml"], published_by="bob")
    assert [(v.flow_id, v.version) for v in report.published] == [("main", 2)]
    # another process (a fresh composition root) sees version 2 without any restart
    other = build_services(settings)
    try:
        other_catalog = FlowCatalog(flows_dir=flows_dir, schedules_file=settings.schedules_file,
                                    repository=other.flow_repository)
        assert _greeting(other_catalog) == "Welcome to the new Acme."
        # ... while a call pinned to version 1 (resumed anywhere) keeps the old greeting
        assert _greeting(other_catalog, running.versions).startswith("Thanks for calling Acme")
    finally:
        other.close()


def test_invalid_flow_is_refused_and_the_live_version_keeps_serving(
        catalog: FlowCatalog, flows_dir: Path) -> None:
    catalog.publish(published_by="alice")
    path = flows_dir / "main.yaml"
    path.write_text(path.read_text().replace("next: hours", "next: hourz"))
    with pytest.raises(FlowValidationError) as caught:
        catalog.publish(published_by="mallory")
    assert any("main.yaml" in p and "node 'greeting': field 'next': 'hourz' names no node"
               in p for p in caught.value.problems)
    assert [v.version for v in catalog.repository.versions("main")] == [1]
    assert _greeting(catalog).startswith("Thanks for calling Acme")


def test_rollback_republishes_an_old_version(catalog: FlowCatalog, flows_dir: Path) -> None:
    catalog.publish(published_by="alice")
    _edit_greeting(flows_dir, "Version two.")
    catalog.publish(published_by="alice")
    info = catalog.rollback("main", 1, published_by="carol")
    assert (info.version, info.note, info.published_by) == (3, "rollback to version 1", "carol")
    assert _greeting(catalog).startswith("Thanks for calling Acme")
    with pytest.raises(VersionNotFoundError, match="no version 9 \\(versions: 1, 2, 3\\)"):
        catalog.rollback("main", 9, published_by="carol")
    with pytest.raises(FlowNotFoundError):
        catalog.rollback("nope", 1, published_by="carol")


def test_numbers_route_to_published_flows(catalog: FlowCatalog) -> None:
    assert catalog.flow_for_number("1000") is None
    catalog.publish(published_by="alice")
    assert catalog.flow_for_number("1000").flow_id == "main"
    assert catalog.flow_for_number("1003").flow_id == "payments"
    assert catalog.flow_for_number("9999") is None


def test_a_subflow_must_exist_as_a_file_or_a_published_flow(
        catalog: FlowCatalog, flows_dir: Path) -> None:
    (flows_dir / "payments.yaml").rename(flows_dir.parent / "payments.yaml")
    with pytest.raises(FlowValidationError, match="node 'payments': field 'flow': 'payments' "
                                                  "names no flow"):
        catalog.publish(published_by="alice")
    catalog.publish([flows_dir.parent / "payments.yaml"], published_by="alice")
    report = catalog.publish(published_by="alice")  # payments is live now: main may use it
    assert [v.flow_id for v in report.published] == ["main"]
    assert set(catalog.published("main").flows) == {"main", "payments"}


def test_an_edited_schedules_file_takes_effect_without_a_restart(
        catalog: FlowCatalog, tmp_path: Path) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text("schedules:\n  support:\n    timezone: UTC\n    hours: {mon-sun: closed}\n")
    catalog.schedules_file = path
    assert catalog.schedules()["support"].status_at(AT) == "closed"
    path.write_text("schedules:\n  support:\n    timezone: UTC\n"
                    "    hours: {mon-sun: \"00:00-24:00\"}\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert catalog.schedules()["support"].status_at(AT) == "open"
