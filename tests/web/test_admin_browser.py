"""The admin pages in a real browser (Debian's Chromium driven by Playwright, loopback only):
an admin signs in, opens every admin page (a screenshot of each), adds a queue with the
form, replays a dead webhook delivery to a real local receiver, and finds both changes in
the audit log. No page may log a script error or reach off loopback."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dead_deliveries import dead_delivery
from live_browser import (
    loopback_page,
    screenshot,
    serve_app,
    sign_in_page,
    sync_api,
)
from staff_login import FAST_HASHING, PASSWORD
from webhook_receiver import WebhookReceiver, running_receiver

from voice.compose import Services
from voice.customers.records import CustomerInput
from voice.settings import PROJECT_ROOT, Settings

PAGES = {"schedules": "Schedules", "queues": "Queues", "agents": "Agents", "users": "Users",
         "webhooks": "Webhooks", "customers": "Customers", "audit": "Audit log"}


@pytest.fixture
def settings(db_url: str, tmp_path: Path, make_settings: Callable[..., Settings]) -> Settings:
    schedules = tmp_path / "schedules.yaml"
    shutil.copy(PROJECT_ROOT / "config" / "schedules.yaml", schedules)
    return make_settings(db_url, tmp_path / "data", VOICE_SCHEDULES_FILE=str(schedules),
                         **FAST_HASHING)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with running_receiver() as started:
        yield started


def seed(services: Services, receiver: WebhookReceiver) -> int:
    """An admin, an agent, a customer, and a webhook delivery that died; its id."""
    assert services.user_service is not None and services.acd is not None
    assert services.webhook_endpoints is not None and services.outbox is not None
    assert services.customer_service is not None
    services.user_service.add("ada", "admin", PASSWORD)
    services.acd.agents.add("ann", PASSWORD, queues=["support"], skills=["billing:3"])
    services.customer_service.save(CustomerInput("10001234", "Ada", "Lovelace",
                                                 ("+15550100",), pin="4321"))
    endpoint_id, receiver.secret = services.webhook_endpoints.add(receiver.url,
                                                                  description="CRM")
    return dead_delivery(services, endpoint_id)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_admin_pages_in_a_browser(services: Services, receiver: WebhookReceiver,
                                  browser: Any) -> None:
    expect = sync_api.expect
    delivery_id = seed(services, receiver)
    with serve_app(services) as base:
        tab = loopback_page(browser)
        page = tab.page
        sign_in_page(page, base, "ada", PASSWORD, "/admin/queues")
        expect(page).to_have_url(f"{base}/admin/queues")

        for path, title in PAGES.items():
            page.goto(f"{base}/admin/{path}")
            expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
            expect(page.get_by_role("navigation", name="Pages")
                   .get_by_role("link", name=title)).to_have_attribute("aria-current", "page")
            screenshot(page, f"admin-{path}")

        page.goto(f"{base}/admin/queues")
        form = page.locator("section", has=page.get_by_role("heading", name="Add a queue"))
        form.get_by_label("Queue name").fill("billing")
        form.get_by_label("Strategy").select_option("round_robin")
        form.get_by_label("Ring timeout (s, 5-300)").fill("15")
        form.get_by_label("Max wait (s, empty: none)").fill("600")
        form.get_by_label("Overflow queue (after max wait)").fill("support")
        form.get_by_label("Skills callers need (comma-separated, name or name:level)"
                          ).fill("billing")
        form.get_by_role("button", name="Add queue").click()
        expect(page.get_by_role("status").filter(has_text="Added queue billing.")
               ).to_be_visible()
        row = page.locator('tr[data-queue="billing"]')
        expect(row).to_contain_text("round_robin")
        expect(row).to_contain_text("600 s → support")
        screenshot(page, "admin-queues-added")

        page.goto(f"{base}/admin/webhooks")
        delivery = page.locator(f'tr[data-delivery="{delivery_id}"]')
        expect(delivery).to_contain_text("dead")
        delivery.get_by_role("button", name=f"Replay delivery {delivery_id}").click()
        expect(page.get_by_role("status").filter(
            has_text=f"Replayed delivery {delivery_id}: delivered (HTTP 200).")).to_be_visible()
        expect(delivery).to_contain_text("delivered")
        [received] = receiver.wait_for(1)
        assert received.verified
        screenshot(page, "admin-webhooks-replayed")

        page.goto(f"{base}/admin/audit")
        log = page.locator("#audit-log tbody tr")
        expect(log.nth(0)).to_contain_text("webhook.replay")
        expect(log.nth(0)).to_contain_text(f"Replayed delivery {delivery_id}")
        expect(log.nth(1)).to_contain_text("queue.add")
        expect(log.nth(1)).to_contain_text("ada")
        page.get_by_label("What").select_option("queue")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"entity_type=queue"))
        expect(log).to_have_count(1)
        screenshot(page, "admin-audit-after")
        assert tab.errors == [] and tab.blocked == []
        page.context.close()
