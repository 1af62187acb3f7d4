"""In a real browser (Debian's Chromium, loopback only): each role is kept to its own pages,
and a change sent without the session's CSRF token — a form from elsewhere or a script
that leaves the token out — is refused and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from live_browser import loopback_page, screenshot, serve_app, sign_in_page
from live_browser import sync_api as playwright_api
from staff_login import PASSWORD

from voice.compose import Services


@pytest.fixture
def staff(services: Services) -> Services:
    """An admin ada, a QA quinn and an agent ann; a queue billing with a 30 s wrap-up."""
    assert services.user_service is not None and services.acd is not None
    services.user_service.add("ada", "admin", PASSWORD)
    services.user_service.add("quinn", "qa", PASSWORD)
    services.acd.agents.add("ann", PASSWORD, queues=["billing"])
    services.acd.queues.put("billing", {"wrap_up": 30})
    return services


def refused_page(page: Any) -> None:
    """The 403 page, and no admin content."""
    expect = playwright_api.expect
    expect(page.get_by_role("heading", name=re.compile("not allowed|Request refused",
                                                       re.I))).to_be_visible()


def test_roles_and_csrf_in_the_browser(staff: Services, browser: Any) -> None:
    expect = playwright_api.expect
    with serve_app(staff) as url:
        qa = loopback_page(browser)
        sign_in_page(qa.page, url, "quinn", PASSWORD, "/qa/recordings")
        expect(qa.page.get_by_role("navigation", name="Pages").get_by_role("link")) \
            .to_have_text(["Recordings", "Evaluations"])
        for path in ("/admin/flows", "/admin/queues", "/supervisor", "/agent"):
            answer = qa.page.goto(f"{url}{path}")
            assert answer is not None and answer.status == 403, path
        refused_page(qa.page)
        screenshot(qa.page, "access-qa-refused-admin")

        agent = loopback_page(browser)
        sign_in_page(agent.page, url, "ann", PASSWORD, "/agent")
        for path in ("/qa/recordings", "/qa/evaluations", "/admin/users", "/supervisor/reports"):
            answer = agent.page.goto(f"{url}{path}")
            assert answer is not None and answer.status == 403, path

        admin = loopback_page(browser)
        sign_in_page(admin.page, url, "ada", PASSWORD, "/admin/queues")
        page = admin.page
        expect(page.get_by_role("heading", name="Queues", exact=True)).to_be_visible()
        # a script on the page that leaves the token out
        status = page.evaluate("""() => fetch('/api/queues/billing', {method: 'PATCH',
            headers: {'Content-Type': 'application/json'}, body: JSON.stringify({wrap_up: 5})})
            .then(r => r.json().then(body => [r.status, body.error_id]))""")
        assert status == [403, "csrf-token-invalid"]
        # a form built without the token (what a forged cross-site form amounts to)
        page.evaluate("""() => { const form = document.createElement('form');
            form.method = 'post'; form.action = '/admin/users';
            for (const [name, value] of [['username', 'mallory'], ['role', 'admin'],
                                         ['password', 'a long enough password']]) {
                const input = document.createElement('input');
                input.name = name; input.value = value; form.append(input); }
            document.body.append(form); form.submit(); }""")
        expect(page.get_by_role("heading", name="Request refused")).to_be_visible()
        screenshot(page, "access-csrf-refused")
        assert staff.acd is not None and staff.user_service is not None
        assert staff.acd.queues.get("billing").wrap_up == 30
        assert "mallory" not in [user.username for user in staff.user_service.list()]
        assert staff.audit is not None and staff.audit.entries() == []
        for tab in (qa, agent, admin):
            assert tab.blocked == []
        page.context.close()
