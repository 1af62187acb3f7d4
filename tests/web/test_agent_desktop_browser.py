"""The agent desktop in a real browser (Debian's Chromium driven by Playwright), on SQLite and
PostgreSQL: sign in, go available, a call offered through the real ACD pops up live with the
caller's verification, the call ends into wrap-up, the disposition is stored; a page POST
without the CSRF token is refused. A screenshot of the screen pop is written under the
test's tmp folder (``screenshots/agent-screen-pop.png``) for review."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from demo_data import import_demo_customers
from live_browser import serve_app, sync_api
from staff_login import PASSWORD

from voice.compose import Services
from voice.store.models import CallDisposition, Customer

CALLER = "+15551230001"  # Dana Smith's phone in the demo customers
CALL_ID = "browser-call-2"


@pytest.fixture
def live_url(services: Services) -> Iterator[str]:
    """The real app served on a loopback port by a threaded server (SSE needs threads)."""
    with serve_app(services) as url:
        yield url


def offer_call(services: Services, customer_id: int) -> None:
    """A verified caller who went through the IVR, queued for support (offered to ann)."""
    assert services.acd is not None
    start = datetime.now(UTC) - timedelta(seconds=40)
    services.call_repository.start_call(
        call_id=CALL_ID, channel="sip", flow_id="main", flow_version=1, flow_sha256=None,
        from_number=CALLER, to_number="1000", started_at=start, simulated=False, worker="w1")
    steps = [("greeting", "say", None, None, None),
             ("main_menu", "menu", "1", "1", None),
             ("auth", "authenticate", "verified", "****1234",
              {"method": "account_pin", "level": 2, "customer_id": customer_id}),
             ("zip", "gather", "collected", "10001", None),
             ("billing", "queue", None, None, None)]
    services.call_repository.append_path(CALL_ID, [
        {"seq": i, "at": start + timedelta(seconds=5 * i), "flow": "main", "node": node,
         "type": kind, "outcome": outcome, "input": value, "detail": detail}
        for i, (node, kind, outcome, value, detail) in enumerate(steps)])
    services.acd.distributor.enqueue(CALL_ID, "support", channel="sip", from_number=CALLER)
    assert services.acd.distributor.activate(CALL_ID), "the call was not offered to ann"


def earlier_call(services: Services, customer_id: int) -> None:
    """Dana's call of last week, with a note another agent wrote."""
    started = datetime.now(UTC) - timedelta(days=7)
    services.call_repository.start_call(
        call_id="browser-call-1", channel="twilio", flow_id="main", flow_version=1,
        flow_sha256=None, from_number=CALLER, to_number="1000", started_at=started,
        simulated=False)
    services.call_repository.end_call("browser-call-1", ended_at=started + timedelta(minutes=4),
                                      outcome="queued")
    with services.session_factory.begin() as session:
        session.add(CallDisposition(call_id="browser-call-1", agent_id=None,
                                    customer_id=customer_id, disposition="follow-up",
                                    note="Card replacement ordered", created_at=started))


def test_agent_desktop_end_to_end(services: Services, live_url: str, browser: Any,
                                  tmp_path: Path) -> None:
    expect = sync_api.expect
    assert services.acd is not None
    import_demo_customers(services)
    with services.session_factory() as session:
        dana = session.query(Customer).filter_by(first_name="Dana").one().id
    services.acd.agents.add("ann", PASSWORD, queues=["support"],
                            contact="sip:ann@127.0.0.1:5999")
    ann = services.acd.agents.get("ann").id
    earlier_call(services, dana)
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # sign in: the desktop sends the visitor to the login and back
    page.goto(f"{live_url}/agent")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fagent$"))
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_url}/agent")
    state = page.locator("#agent-state")
    expect(state).to_have_text("Offline")
    expect(page.locator("#connection")).to_have_text("connected")

    page.get_by_label("reason").select_option("lunch")
    page.get_by_role("button", name="Away").click()
    expect(state).to_have_text("Away")
    expect(page.locator("#state-reason")).to_have_text("(lunch)")
    assert services.acd.agents.get("ann").state_reason == "lunch"
    page.get_by_role("button", name="Available").click()
    expect(state).to_have_text("Available")
    expect(page.get_by_role("button", name="Available")).to_have_attribute("aria-pressed",
                                                                           "true")
    assert services.acd.agents.get("ann").state == "available"

    # a call through the real ACD pops up without a reload
    offer_call(services, dana)
    expect(page.locator("#pop-title")).to_have_text("Incoming call")
    expect(state).to_have_text("Ringing")
    expect(page.locator("#pop-from")).to_have_text(CALLER)
    expect(page.locator("#pop-auth")).to_have_text("VERIFIED")
    expect(page.locator("#pop-auth-detail")).to_have_text("by account number + PIN, level 2")
    expect(page.locator("#pop-customer")).to_have_text("Dana Smith")
    expect(page.locator("#pop-account")).to_have_text("****1234")
    expect(page.locator("#pop-queue")).to_have_text("support")
    expect(page.locator("#pop-path li")).to_have_count(5)
    expect(page.locator("#pop-path li").nth(2)).to_contain_text("auth (authenticate) → verified")
    expect(page.locator("#pop-inputs")).to_contain_text("10001")
    expect(page.locator("#history")).to_contain_text("follow-up: Card replacement ordered")
    expect(page.locator("#pop-summary")).to_have_attribute("aria-live", "polite")
    (tmp_path / "screenshots").mkdir()
    page.screenshot(path=str(tmp_path / "screenshots" / "agent-screen-pop.png"),
                    full_page=True)

    # answered, then hung up: on call, then wrap-up with a countdown
    assert services.acd.handoff.answered(CALL_ID, ann)
    expect(state).to_have_text("On call")
    expect(page.locator("#pop-title")).to_have_text("Current call")
    services.acd.handoff.finished(CALL_ID)
    expect(state).to_have_text("Wrap-up")
    expect(page.locator("#wrap-up")).to_be_visible()
    expect(page.locator("#pop-title")).to_have_text("Call ended: wrap-up")

    page.get_by_label("Disposition", exact=True).select_option("resolved")
    page.get_by_label("Note").fill("Updated the billing address.")
    page.get_by_role("button", name="Save disposition").click()
    expect(page.locator("#disposition-status")).to_have_text(
        f"Saved: Resolved for the call from {CALLER}.")
    with services.session_factory() as session:
        rows = session.query(CallDisposition).filter_by(call_id=CALL_ID).all()
    assert [(r.disposition, r.note, r.agent_id, r.customer_id) for r in rows] == [
        ("resolved", "Updated the billing address.", ann, dana)]
    page.screenshot(path=str(tmp_path / "screenshots" / "agent-wrap-up.png"), full_page=True)
    assert errors == []

    # the page's own origin, without the token: refused, nothing changed
    status = page.evaluate("""() => fetch('/api/agents/me/state', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({state: 'offline'})})
        .then(r => r.json().then(body => [r.status, body.error_id]))""")
    assert status == [403, "csrf-token-invalid"]
    page.evaluate("""() => { const form = document.createElement('form');
        form.method = 'post'; form.action = '/logout'; document.body.append(form);
        form.submit(); }""")
    expect(page.get_by_role("heading", name="Request refused")).to_be_visible()
    assert services.acd.agents.get("ann").state == "wrap_up"
    page.goto(f"{live_url}/agent")  # still signed in; the last call is still there
    expect(page.locator("#pop-title")).to_have_text("Call ended: wrap-up")
    expect(page.locator("#disposition-status")).to_have_text("Saved earlier: resolved.")
    page.close()
