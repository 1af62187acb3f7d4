"""``/admin/schedules``: the business-hours file edited from the page, checked like the flow
check does, written atomically with its comments kept, seen by flows at once, audited."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from staff_login import FAST_HASHING, PASSWORD, csrf_of, sign_in
from web_app import running_app
from werkzeug.test import TestResponse

from voice.compose import Services
from voice.settings import PROJECT_ROOT, Settings

PAGE = "/admin/schedules"
#: Wednesday 25 Nov 2026, 10:00 in New York, 09:00 in Chicago: both schedules open
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def schedules_file(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "schedules.yaml"
    path.parent.mkdir()
    shutil.copy(PROJECT_ROOT / "config" / "schedules.yaml", path)
    return path


@pytest.fixture
def settings(db_url: str, tmp_path: Path, make_settings: Callable[..., Settings],
             schedules_file: Path) -> Settings:
    return make_settings(db_url, tmp_path / "data", VOICE_SCHEDULES_FILE=str(schedules_file),
                         **FAST_HASHING)


@pytest.fixture
def app(services: Services) -> Iterator[Flask]:
    assert services.user_service is not None and services.acd is not None
    services.user_service.add("ada", "admin", PASSWORD)
    services.user_service.add("quinn", "qa", PASSWORD)
    services.acd.agents.add("ann", PASSWORD)
    with running_app(services.settings, lambda: NOW) as flask_app:
        yield flask_app


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(client, "ada")
    return client


def post(client: FlaskClient, path: str, **data: str) -> TestResponse:
    """POST a page's form as the browser would: with the CSRF token and the file version."""
    page = client.get(PAGE)
    version = page.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    return client.post(path, data={"csrf_token": csrf_of(page), "version": version, **data})


def entries(services: Services) -> list[tuple[str, str, str]]:
    assert services.audit is not None
    return [(e.action, e.entity_id, e.via) for e in services.audit.entries()]


def test_only_admins_open_the_page(app: Flask) -> None:
    visitor = app.test_client()
    answer = visitor.get(PAGE)
    assert answer.status_code == 303 and "/login?next=%2Fadmin%2Fschedules" in answer.location
    for name in ("quinn", "ann"):
        client = app.test_client()
        sign_in(client, name)
        assert client.get(PAGE).status_code == 403
        assert client.post(f"{PAGE}/support", data={
            "csrf_token": csrf_of(client.get(PAGE)), "timezone": "UTC",
            "hours": "mon: closed"}).status_code == 403


def test_page_shows_week_holidays_and_open_now(admin: FlaskClient) -> None:
    page = admin.get(PAGE)
    assert page.status_code == 200
    text = page.text
    assert "America/New_York" in text and "America/Chicago" in text
    assert text.count("Open now") == 2
    assert "<th scope=\"row\">Monday</th><td>08:00-20:00</td>" in text
    assert "<th scope=\"row\">Sunday</th><td>closed</td>" in text
    assert "09:00-12:00, 13:00-17:00" in text
    assert "2026-11-26" in text and "Thanksgiving" in text


def test_an_edit_keeps_comments_reaches_flows_and_is_audited(
        admin: FlaskClient, services: Services, schedules_file: Path) -> None:
    before = schedules_file.read_text()
    catalog = services.flow_catalog
    assert catalog.schedules()["support"].weekly[5] == ((time(9), time(13)),)

    answer = post(admin, f"{PAGE}/support", timezone="America/New_York",
                  hours="mon-fri: 08:00-20:00\nsat: 10:00-14:00\nsun: closed")

    assert answer.status_code == 303
    after = schedules_file.read_text()
    assert after != before
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in after.splitlines() for line in comments)
    assert 'sat: "10:00-14:00"' in after
    assert after.replace('"10:00-14:00"', '"09:00-13:00"') == before  # nothing else moved
    assert catalog.schedules()["support"].weekly[5] == ((time(10), time(14)),)
    assert entries(services) == [("schedule.update", "support", "web")]
    assert "Saved schedule support" in admin.get(PAGE).text


@pytest.mark.parametrize(("hours", "timezone", "message"), [
    ("mon: 25:00-26:00", "America/New_York", "is not &#39;closed&#39; or ranges like"),
    ("mon-fri 08:00-18:00", "America/New_York", "write DAYS: HOURS"),
    ("funday: 08:00-18:00", "America/New_York", "is not a day or day range"),
    ("mon: 08:00-18:00", "Mars/Olympus", "unknown time zone &#39;Mars/Olympus&#39;"),
])
def test_invalid_edits_are_refused_and_change_nothing(
        admin: FlaskClient, services: Services, schedules_file: Path, hours: str,
        timezone: str, message: str) -> None:
    before = schedules_file.read_bytes()

    answer = post(admin, f"{PAGE}/support", timezone=timezone, hours=hours)

    assert answer.status_code == 422
    assert message in answer.text and "Nothing was changed" in answer.text
    assert schedules_file.read_bytes() == before
    assert entries(services) == []
    assert not list(schedules_file.parent.glob(".*.tmp"))


def test_holidays_are_added_and_removed(admin: FlaskClient, services: Services,
                                        schedules_file: Path) -> None:
    assert post(admin, f"{PAGE}/billing/holidays", date="2026-07-03",
                label="Independence Day (observed)").status_code == 303
    assert "- {date: 2026-07-03, name: Independence Day (observed)}" in \
        schedules_file.read_text()
    holidays = services.flow_catalog.schedules()["billing"].holidays
    assert holidays[date(2026, 7, 3)] == "Independence Day (observed)"

    again = post(admin, f"{PAGE}/billing/holidays", date="2026-07-03", label="again")
    assert again.status_code == 422 and "already has a holiday on 2026-07-03" in again.text
    bad = post(admin, f"{PAGE}/billing/holidays", date="July 3rd", label="x")
    assert bad.status_code == 422 and "is not a date; use YYYY-MM-DD" in bad.text

    assert post(admin, f"{PAGE}/billing/holidays/2026-07-03/delete").status_code == 303
    assert date(2026, 7, 3) not in services.flow_catalog.schedules()["billing"].holidays
    assert [a for a, _, _ in entries(services)] == ["schedule.holiday_remove",
                                                    "schedule.holiday_add"]


def test_add_and_remove_a_schedule_but_not_one_a_flow_uses(
        admin: FlaskClient, services: Services, schedules_file: Path) -> None:
    before = schedules_file.read_bytes()
    used = post(admin, f"{PAGE}/support/delete")
    assert used.status_code == 422 and "is used by flow" in used.text
    assert schedules_file.read_bytes() == before

    added = post(admin, PAGE, name="weekend", timezone="Europe/Paris",
                 hours="sat-sun: 10:00-16:00")
    assert added.status_code == 303
    assert services.flow_catalog.schedules()["weekend"].timezone == "Europe/Paris"
    twice = post(admin, PAGE, name="weekend", timezone="UTC", hours="mon: closed")
    assert twice.status_code == 422 and "exists already" in twice.text

    assert post(admin, f"{PAGE}/weekend/delete").status_code == 303
    assert "weekend" not in services.flow_catalog.schedules()
    assert schedules_file.read_bytes() == before
    assert [a for a, _, _ in entries(services)] == ["schedule.remove", "schedule.add"]


def test_a_stale_form_and_a_missing_token_are_refused(
        admin: FlaskClient, services: Services, schedules_file: Path) -> None:
    page = admin.get(PAGE)
    token = csrf_of(page)
    before = schedules_file.read_bytes()
    no_token = admin.post(f"{PAGE}/support", data={"timezone": "UTC", "hours": "mon: closed"})
    assert no_token.status_code == 403
    for path in (PAGE, f"{PAGE}/support/delete", f"{PAGE}/support/holidays",
                 f"{PAGE}/support/holidays/2026-12-25/delete"):
        assert admin.post(path, data={"csrf_token": "forged"}).status_code == 403
    assert schedules_file.read_bytes() == before

    stale = admin.post(f"{PAGE}/support", data={
        "csrf_token": token, "version": "0" * 64, "timezone": "UTC", "hours": "mon: closed"})
    assert stale.status_code == 409 and "changed since this page was loaded" in stale.text
    assert schedules_file.read_bytes() == before
    assert entries(services) == []


def test_an_edit_waits_for_another_process_editing_the_file(
        admin: FlaskClient, services: Services, schedules_file: Path) -> None:
    """Two web processes saving at once: the second reads the file only after the first has
    written it, so it sees the change and is refused instead of overwriting it."""
    page = admin.get(PAGE)
    token = csrf_of(page)
    version = page.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS_EDIT, str(schedules_file)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "locked"
        saved = admin.post(f"{PAGE}/support", data={
            "csrf_token": token, "version": version, "timezone": "UTC",
            "hours": "mon: closed"})
    finally:
        assert other.wait(timeout=30) == 0
    assert saved.status_code == 409 and "changed since this page was loaded" in saved.text
    assert schedules_file.read_text(encoding="utf-8").endswith("# edited by the other process\n")
    assert entries(services) == []


#: another web process's edit: it takes the folder lock, lets the test start its own save,
#: then (a moment later) changes the file and lets go
OTHER_PROCESS_EDIT = """
import sys, time
from pathlib import Path
from voice.flows.sources import folder_lock
path = Path(sys.argv[1])
with folder_lock(path.parent, RuntimeError):
    print("locked", flush=True)
    time.sleep(1.0)
    path.write_text(path.read_text(encoding="utf-8") + "# edited by the other process\\n",
                    encoding="utf-8")
"""
