"""The supervisor wallboard (:mod:`voice.web.supervisor_page`): who may see it, its JSON and
SSE, and in a real browser (Debian's Chromium driven by Playwright, loopback only) the agent
counts by state changing live when an agent changes state through the ACD."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from live_browser import loopback_page, screenshot, serve_app, sign_in_page, sync_api
from staff_login import FAST_HASHING, PASSWORD, sign_in
from web_app import running_app

from voice.compose import Services
from voice.settings import Settings
from voice.web import supervisor_page


@pytest.fixture
def staff(services: Services) -> Services:
    """A supervisor sue, an agent ann (available) and bob (offline) in queue support."""
    assert services.acd is not None and services.user_service is not None
    services.user_service.add("sue", "supervisor", PASSWORD)
    services.acd.queues.put("support", {"service_level": 30})
    services.acd.agents.add("ann", PASSWORD, queues=["support"],
                            contact="sip:ann@127.0.0.1:5999")
    services.acd.agents.add("bob", PASSWORD, queues=["support"])
    services.acd.agents.set_state("ann", "available")
    return services


def test_roles_and_json(staff: Services) -> None:
    with running_app(staff.settings) as app:
        assert supervisor_page.bp.name in app.blueprints  # registered by register_blueprints
        client = app.test_client()
        assert client.get("/supervisor").status_code == 303
        assert client.get("/api/supervisor/wallboard").status_code == 401
        sign_in(client, "ann")
        assert client.get("/supervisor").status_code == 403
        assert client.get("/api/supervisor/wallboard").status_code == 403

        client = app.test_client()
        sign_in(client, "sue")
        page = client.get("/supervisor")
        assert page.status_code == 200
        assert "Queue wallboard" in page.text and 'id="wallboard-data"' in page.text
        board = client.get("/api/supervisor/wallboard").get_json()
        [queue] = board["queues"]
        assert queue["name"] == "support"
        assert queue["live"]["agents"] == {"available": 1, "offline": 1}
        assert queue["today"]["service_level_threshold"] == 30
        assert queue["today"]["offered"] == 0
        assert [(a["name"], a["state"]) for a in queue["agents"]] == [
            ("ann", "available"), ("bob", "offline")]

        events = client.get("/api/supervisor/events?once=1")
        assert events.mimetype == "text/event-stream"
        [data] = re.findall(r"event: wallboard\ndata: (.*)\n\n", events.text)
        assert json.loads(data)["queues"][0]["live"]["agents"] == {"available": 1,
                                                                    "offline": 1}


def test_a_handled_call_counts_today(staff: Services) -> None:
    """A call through the real ACD (queued, offered to ann, answered, ended) is in today's
    figures; only counts are checked, the times come from the wall clock."""
    assert staff.acd is not None
    staff.call_repository.start_call(
        call_id="wb-1", channel="sip", flow_id="main", flow_version=1, flow_sha256=None,
        from_number="+15550100", to_number="1000", started_at=staff.clock(),
        simulated=False, worker="w1")
    staff.acd.distributor.enqueue("wb-1", "support", channel="sip", from_number="+15550100")
    assert staff.acd.distributor.activate("wb-1")
    ann = staff.acd.agents.get("ann").id
    assert staff.acd.handoff.answered("wb-1", ann)
    staff.acd.handoff.finished("wb-1")
    with running_app(staff.settings) as app:
        client = app.test_client()
        sign_in(client, "sue")
        [queue] = client.get("/api/supervisor/wallboard").get_json()["queues"]
        today = queue["today"]
        assert (today["offered"], today["answered"], today["handled"],
                today["abandoned"]) == (1, 1, 1, 0)
        assert today["asa_seconds"] is not None and today["aht_seconds"] is not None
        assert queue["live"]["agents"] == {"offline": 1, "wrap_up": 1}


@pytest.fixture
def live_url(services: Services) -> Iterator[str]:
    """The real app served on a loopback port by a threaded server (SSE needs threads)."""
    with serve_app(services) as url:
        yield url


def test_wallboard_updates_live(staff: Services, live_url: str, browser: Any) -> None:
    expect = sync_api.expect
    assert staff.acd is not None
    tab = loopback_page(browser)
    page = tab.page

    page.goto(f"{live_url}/supervisor")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsupervisor$"))
    page.get_by_label("Username").fill("sue")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_url}/supervisor")
    expect(page.get_by_role("heading", name="Queue wallboard")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("connected")
    queue = page.get_by_role("region", name="support")
    available = queue.locator('[data-count="available"]')
    away = queue.locator('[data-count="away"]')
    expect(available).to_have_text("1")
    expect(away).to_have_text("0")
    expect(queue.locator("#q-support-handled")).to_have_text("0")
    expect(queue.locator("#q-support-sl")).to_have_text("\u2013")  # nothing offered yet
    marker = page.evaluate("() => (window.__marker = 'same page')")

    staff.acd.agents.set_state("ann", "away", reason="break")
    expect(available).to_have_text("0")
    expect(away).to_have_text("1")
    expect(queue.locator('tr[data-agent="ann"]')).to_contain_text("Away (break)")
    staff.acd.agents.set_state("bob", "available")
    expect(available).to_have_text("1")
    expect(queue.locator('[data-count="offline"]')).to_have_text("0")
    assert page.evaluate("() => window.__marker") == marker  # no reload happened

    # a caller waits in a queue nobody answers: one event shows them, then the longest wait
    # counts up in the page with no further event (nothing else happens)
    staff.acd.queues.put("billing", {})
    staff.call_repository.start_call(
        call_id="wb-wait", channel="sip", flow_id="main", flow_version=1, flow_sha256=None,
        from_number="+15550100", to_number="1000", started_at=staff.clock(),
        simulated=False, worker="w1")
    staff.acd.distributor.enqueue("wb-wait", "billing", channel="sip", from_number="+15550100")
    staff.acd.distributor.activate("wb-wait")
    billing = page.get_by_role("region", name="billing")
    expect(billing.locator("#q-billing-waiting")).to_have_text("1")
    expect(billing.locator("#q-billing-longest")).to_have_text(re.compile(r"^0:0[3-9]$"),
                                                               timeout=15_000)
    screenshot(page, "supervisor-wallboard")
    assert tab.errors == [] and tab.blocked == []
    page.context.close()


def test_a_stream_the_server_refuses_is_opened_again(staff: Services, live_url: str,
                                                      browser: Any) -> None:
    """A 503 on the stream (a restart, a proxy) is not a sign-out: the wallboard stays on
    the page and connects again; it shows changes made meanwhile."""
    expect = sync_api.expect
    assert staff.acd is not None
    tab = loopback_page(browser)
    page = tab.page
    refused: list[str] = []
    visited: list[str] = []

    def unavailable_once(route: Any) -> None:
        if refused:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.fulfill(status=503, body="restarting")

    page.route("**/api/supervisor/events", unavailable_once)
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    sign_in_page(page, live_url, "sue", PASSWORD, "/supervisor")
    expect(page.locator("#connection")).to_have_text("connected", timeout=20_000)
    assert refused  # the first stream got the 503 ...
    staff.acd.agents.set_state("ann", "away", reason="lunch")
    expect(page.get_by_role("region", name="support").locator('tr[data-agent="ann"]')) \
        .to_contain_text("Away (lunch)")  # ... and the one opened again follows the board
    # the sign-in form, then the wallboard once: no trip to the login page and back
    assert visited == [f"{live_url}/login?next=%2Fsupervisor", f"{live_url}/supervisor"]
    page.context.close()


def test_stream_ignores_figures_that_move_with_time_alone() -> None:
    """Seconds in state, the longest wait, today's AHT while a wrap-up is open and ``now``
    change every poll; no event for them."""
    def board(now: str, seconds: int, state: str) -> dict[str, Any]:
        return {"now": now, "queues": [{
            "name": "support", "live": {"waiting": 1, "longest_wait_seconds": seconds,
                                        "agents": {state: 1}},
            "today": {"offered": 1, "aht_seconds": 60 + seconds},  # an open wrap-up
            "agents": [{"name": "ann", "state": state, "reason": None, "since": "t0",
                        "seconds_in_state": seconds}]}]}

    changes = supervisor_page._changes
    assert changes(board("t1", 5, "away")) == changes(board("t2", 6, "away"))
    assert changes(board("t1", 5, "away")) != changes(board("t1", 5, "available"))


def test_board_is_computed_once_per_interval_for_every_reader() -> None:
    """Readers arriving while the board is being computed wait for that computation; within
    the interval everyone gets the same board (no wall-clock assertion: the interval is an
    hour, or zero)."""
    computed: list[int] = []
    entered, release = threading.Event(), threading.Event()

    def compute() -> dict[str, Any]:
        entered.set()
        release.wait(10)
        computed.append(1)
        return {"n": len(computed)}

    cache = supervisor_page.BoardCache(ttl=3600)
    boards: list[dict[str, Any]] = []
    readers = [threading.Thread(target=lambda: boards.append(cache.get(compute)))
               for _ in range(5)]
    readers[0].start()
    assert entered.wait(10)  # the first reader is computing ...
    for reader in readers[1:]:  # ... when the others arrive
        reader.start()
    time.sleep(0.3)  # time for them to reach the cache (they must wait, not compute)
    release.set()
    for reader in readers:
        reader.join(10)
    assert len(computed) == 1 and boards == [{"n": 1}] * 5
    assert len(cache.compute_seconds) == 1
    fresh = supervisor_page.BoardCache(ttl=0)
    assert [fresh.get(compute)["n"] for _ in range(2)] == [2, 3]


def test_today_is_the_day_of_the_wallboard_time_zone(
        db_url: str, tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    """VOICE_WALLBOARD_TIMEZONE sets where "today" begins: at 03:00 UTC it is still the
    23rd in New York, so a caller queued at 20:00 UTC on the 23rd counts today there (in
    UTC it would be yesterday's)."""
    from datetime import UTC, datetime

    from voice.store.migrate import upgrade
    from voice.store.models import QueueEntry

    settings = make_settings(db_url, tmp_path / "ny", **FAST_HASHING,
                             VOICE_WALLBOARD_TIMEZONE="America/New_York")
    upgrade(settings.database_url)
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    with running_app(settings, lambda: now) as app:
        built = app.extensions["voice"]
        built.user_service.add("sue", "supervisor", PASSWORD)
        built.acd.queues.put("support", {"service_level": 30})
        with built.session_factory.begin() as session:
            session.add(QueueEntry(
                call_id="ny-1", queue="support", channel="sip", from_number="+15550100",
                priority=0, skills=[], status="ended", outcome="abandoned",
                enqueued_at=datetime(2026, 11, 23, 20, 0, tzinfo=UTC),
                ended_at=datetime(2026, 11, 23, 20, 1, tzinfo=UTC), callback=False, tried=[]))
        client = app.test_client()
        sign_in(client, "sue")
        board = client.get("/api/supervisor/wallboard").get_json()
        assert board["timezone"] == "America/New_York"
        [queue] = board["queues"]
        assert queue["today"]["start"] == "2026-11-23T05:00:00+00:00"
        assert (queue["today"]["offered"], queue["today"]["abandoned"]) == (1, 1)
        assert "Today (America/New_York)" in client.get("/supervisor").text
