"""Supervisor reports and the IVR funnel (:mod:`voice.web.supervisor_reports`): who may open
them, the figures per queue / agent / hour and the funnel counts per node against the
hand-made data of ``tests/reports/crafted_calls.py``, the CSV downloads, the date-range
errors, and in a real browser (Debian's Chromium driven by Playwright, loopback only) the
report form, a CSV download and the funnel page."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live_browser import (
    loopback_page,
    screenshot,
    serve_app,
    sign_in_page,
    sync_api,
)
from reports.crafted_calls import NOW, add_funnel_calls, add_queue_data
from staff_login import PASSWORD, sign_in
from web_app import running_app

from voice.compose import Services
from voice.flows.catalog import publish_flows

DAY = "from=2026-11-24&to=2026-11-24"


@pytest.fixture
def staff(services: Services) -> Services:
    """Users of every role, the crafted queue entries and IVR paths."""
    assert services.user_service is not None
    for name, role in (("sue", "supervisor"), ("ada", "admin"), ("quinn", "qa")):
        services.user_service.add(name, role, PASSWORD)
    add_queue_data(services, PASSWORD)
    add_funnel_calls(services)
    return services


@pytest.fixture
def app(staff: Services) -> Iterator[Flask]:
    """The real app, its clock at the crafted day's 15:00 UTC."""
    with running_app(staff.settings, lambda: NOW) as flask_app:
        yield flask_app


def client_of(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username).status_code == 303
    return client


def cells(page: str, section: str, key: str) -> dict[str, str]:
    """``data-figure`` -> text of the row ``key`` in the section ``section``."""
    part = re.search(rf'<section[^>]* id="{section}".*?</section>', page, re.S)
    assert part, f"no section {section}"
    row = re.search(rf'<tr data-(?:key|node)="{re.escape(key)}"[^>]*>(.*?)</tr>',
                    part.group(0), re.S)
    assert row, f"no row {key} in {section}"
    return {name: html.unescape(text.strip()) for name, text in
            re.findall(r'data-figure="([a-z_]+)">([^<]*)<', row.group(1))}


PAGES = ("/supervisor/reports", "/supervisor/reports.csv?by=queue",
         "/supervisor/funnel", "/supervisor/funnel.csv?flow=main")


def test_roles(app: Flask) -> None:
    visitor = app.test_client()
    for path in PAGES:
        answer = visitor.get(path)
        assert answer.status_code == 303 and "/login?next=" in answer.headers["Location"]
    for name in ("ann", "quinn"):  # an agent, QA
        client = client_of(app, name)
        for path in PAGES:
            assert client.get(path).status_code == 403, (name, path)
    for name in ("sue", "ada"):
        client = client_of(app, name)
        for path in PAGES:
            assert client.get(path).status_code == 200, (name, path)


def test_report_figures_per_queue_agent_and_hour(app: Flask) -> None:
    page = client_of(app, "sue").get(f"/supervisor/reports?{DAY}").text
    assert cells(page, "report-queue", "support") == {
        "offered": "4", "answered": "2", "abandoned": "2", "handled": "2",
        "service_level": "33.3%", "asa": "0:20", "aht": "1:30", "abandonment": "50%"}
    assert cells(page, "report-queue", "billing") == {
        "offered": "2", "answered": "1", "abandoned": "0", "handled": "1",
        "service_level": "100%", "asa": "0:25", "aht": "1:55", "abandonment": "0%"}
    total = re.search(r'<tr data-key="total">(.*?)</tr>', page, re.S)
    assert total and re.findall(r'class="num">([^<]*)<', total.group(1)) == [
        "6", "3", "2", "3", "50%", "0:22", "1:38", "33.3%"]
    assert cells(page, "report-agent", "ann")["service_level"] == "50%"
    assert cells(page, "report-agent", "bob")["aht"] == "1:55"
    assert cells(page, "report-hour", "10:00") == {
        "offered": "3", "answered": "1", "abandoned": "2", "handled": "1",
        "service_level": "50%", "asa": "0:25", "aht": "1:55", "abandonment": "66.7%"}
    assert cells(page, "report-hour", "03:00")["asa"] == "\u2013"
    assert 'href="/supervisor/reports.csv?by=agent&amp;from=2026-11-24&amp;to=2026-11-24"' \
        in page

    one_queue = client_of(app, "ada").get(f"/supervisor/reports?{DAY}&queue=support").text
    assert cells(one_queue, "report-hour", "10:00")["offered"] == "2"  # b1 is billing
    assert 'data-key="billing"' not in one_queue.split('id="report-agent"')[0]


def test_default_range_is_the_last_seven_days(app: Flask) -> None:
    page = client_of(app, "sue").get("/supervisor/reports").text
    assert 'name="from" value="2026-11-18"' in page and 'name="to" value="2026-11-24"' in page
    assert cells(page, "report-queue", "support")["offered"] == "5"  # y1 of the 23rd too


def test_csv_downloads(app: Flask) -> None:
    client = client_of(app, "sue")
    answer = client.get(f"/supervisor/reports.csv?by=queue&{DAY}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == \
        'attachment; filename="report-by-queue-2026-11-24-to-2026-11-24.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["queue"] for row in rows] == ["billing", "support"]
    assert rows[1] == {
        "queue": "support", "service_level_threshold_s": "20", "offered": "4",
        "answered": "2", "abandoned": "2", "handled": "2", "answered_within_threshold": "1",
        "abandoned_after_threshold": "1", "service_level_pct": "33.3", "asa_seconds": "20.0",
        "aht_seconds": "90.0", "abandonment_rate_pct": "50.0"}
    agents = list(csv.DictReader(io.StringIO(
        client.get(f"/supervisor/reports.csv?by=agent&{DAY}").text)))
    assert [(r["agent"], r["offered"], r["aht_seconds"]) for r in agents] == [
        ("ann", "2", "90.0"), ("bob", "1", "115.0")]
    hours = list(csv.DictReader(io.StringIO(
        client.get(f"/supervisor/reports.csv?by=hour&{DAY}&queue=support").text)))
    assert len(hours) == 24
    assert [(r["hour"], r["offered"]) for r in hours if r["offered"] != "0"] == [
        ("09:00", "2"), ("10:00", "2")]
    funnel = client.get(f"/supervisor/funnel.csv?flow=main&{DAY}")
    assert funnel.headers["Content-Disposition"] == \
        'attachment; filename="funnel-main-2026-11-24-to-2026-11-24.csv"'
    lines = funnel.text.splitlines()
    assert lines[0] == "node,type,reached,left,contained,queued,went_on"
    assert "main_menu,menu,6,2,0,0,4" in lines and "goodbye,hangup,2,0,1,0,1" in lines


@pytest.mark.parametrize(("query", "words"), [
    ("from=2026-11-31&to=2026-12-01", "'from': '2026-11-31' is not a date"),
    ("from=2026-11-24&to=2026-11-01",
     "the range ends (2026-11-01) before it starts (2026-11-24)"),
    ("from=2024-01-01&to=2026-11-24", "one report covers at most 366 days"),
    ("to=9999-12-31", "'to': 9999-12-31 is outside the years 1900-9998"),
])
def test_range_errors(app: Flask, query: str, words: str) -> None:
    client = client_of(app, "sue")
    for path in ("/supervisor/reports", "/supervisor/funnel"):
        page = client.get(f"{path}?{query}")
        assert page.status_code == 400
        alert = re.search(r'<p class="error" role="alert">([^<]*)</p>', page.text)
        assert alert and words in html.unescape(alert.group(1))
        assert "<table" not in page.text
    for path in ("/supervisor/reports.csv?by=queue&", "/supervisor/funnel.csv?flow=main&"):
        answer = client.get(path + query)
        assert answer.status_code == 400 and words in answer.text
    bad_by = client.get(f"/supervisor/reports.csv?by=day&{DAY}")
    assert bad_by.status_code == 400
    assert "'by': 'day' is not a breakdown; use one of queue, agent, hour" in bad_by.text
    no_flow = client.get(f"/supervisor/funnel.csv?{DAY}")
    assert no_flow.status_code == 400 and "'flow': name the flow" in no_flow.text


def test_funnel_page(app: Flask, staff: Services) -> None:
    client = client_of(app, "sue")
    page = client.get(f"/supervisor/funnel?{DAY}").text
    assert '<option value="main" selected>' in page and '<option value="payments"' in page
    assert cells(page, "funnel", "main_menu") == {
        "reached": "6", "left": "2", "contained": "0", "queued": "0", "went_on": "4"}
    assert cells(page, "funnel", "support")["queued"] == "2"
    assert cells(page, "funnel", "goodbye")["contained"] == "1"
    summary = re.sub(r"\s+", " ", re.search(r'<p id="funnel-summary">(.*?)</p>', page,
                                            re.S).group(1))
    assert "8 calls entered this flow" in summary
    assert "<strong>1</strong> contained (12.5%)" in summary
    assert "<strong>2</strong> hung up in the IVR (25.0%)" in summary
    assert "<strong>3</strong> went to a queue (37.5%)" in summary
    # bars: SVG rectangles sized by attributes (the CSP allows no inline styles)
    assert 'style="' not in page
    menu_row = re.search(r'<tr data-node="main_menu".*?</tr>', page, re.S).group(0)
    assert 'class="queued"' not in menu_row and '<rect class="left" x="0.00" y="0" ' \
        'width="25.00"' in menu_row  # 2 of the widest 8

    publish_flows(staff, published_by="test")
    published = client.get(f"/supervisor/funnel?flow=main&{DAY}").text
    nodes = re.findall(r'<tr data-node="([^"]+)"', published)
    assert nodes[:3] == ["greeting", "hours", "main_menu"]
    assert "payments" in nodes  # a node nobody reached is listed too
    assert cells(published, "funnel", "payments")["reached"] == "0"
    payments = client.get(f"/supervisor/funnel?flow=payments&{DAY}").text
    assert "1 calls entered this flow" in re.sub(r"\s+", " ", payments)


@pytest.fixture
def live_url(staff: Services) -> Iterator[str]:
    with serve_app(staff) as url:
        yield url


def test_reports_and_funnel_in_a_browser(staff: Services, live_url: str, browser: Any,
                                         tmp_path: Path) -> None:
    expect = sync_api.expect
    tab = loopback_page(browser)
    page = tab.page
    page.goto(f"{live_url}/supervisor/reports?{DAY}")
    page.get_by_label("Username").fill("sue")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    per_queue = page.get_by_role("region", name="Per queue")
    support = per_queue.locator('tr[data-key="support"]')
    expect(support.locator('[data-figure="offered"]')).to_have_text("4")
    expect(support.locator('[data-figure="service_level"]')).to_have_text("33.3%")
    expect(page.get_by_role("region", name="Per agent").locator(
        'tr[data-key="bob"] [data-figure="aht"]')).to_have_text("1:55")
    screenshot(page, "supervisor-reports")

    page.get_by_label("From").fill("2026-11-23")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"from=2026-11-23&to=2026-11-24"))
    expect(support.locator('[data-figure="offered"]')).to_have_text("5")

    with page.expect_download() as info:
        per_queue.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == "report-by-queue-2026-11-23-to-2026-11-24.csv"
    saved = tmp_path / "queue.csv"
    download.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert [(r["queue"], r["offered"]) for r in rows] == [("billing", "2"), ("support", "5")]

    page.get_by_role("navigation", name="Pages").get_by_role("link", name="IVR funnel").click()
    expect(page.get_by_role("heading", name="IVR funnel")).to_be_visible()
    page.get_by_label("From").fill("2026-11-24")
    page.get_by_label("To").fill("2026-11-24")
    page.get_by_label("Flow", exact=True).select_option("main")
    page.get_by_role("button", name="Show").click()
    table = page.get_by_role("table", name=re.compile("Funnel of flow main"))
    expect(table.locator('tr[data-node="main_menu"] [data-figure="left"]')).to_have_text("2")
    expect(table.locator('tr[data-node="support"] [data-figure="queued"]')).to_have_text("2")
    expect(table.locator('tr[data-node="goodbye"] [data-figure="contained"]')).to_have_text(
        "1")
    bar = table.locator('tr[data-node="main_menu"] svg.bar rect.left')
    assert bar.bounding_box()["width"] > 0
    screenshot(page, "supervisor-funnel")
    assert tab.errors == [] and tab.blocked == []
    page.context.close()

    # a range that ends before it starts: the form comes back (status 400) saying so
    other = loopback_page(browser)
    sign_in_page(other.page, live_url, "sue", PASSWORD, f"/supervisor/reports?{DAY}")
    other.page.get_by_label("To").fill("2026-11-01")
    other.page.get_by_role("button", name="Show").click()
    expect(other.page.get_by_role("alert")).to_contain_text(
        "the range ends (2026-11-01) before it starts (2026-11-24)")
    expect(other.page.get_by_label("From")).to_have_value("2026-11-24")
    screenshot(other.page, "supervisor-reports-error")
    # the only console line: Chromium reporting the page's own 400
    assert [e for e in other.errors if "status of 400" not in e] == [] and other.blocked == []
    other.page.context.close()
