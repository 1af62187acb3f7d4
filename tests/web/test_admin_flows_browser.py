"""The flow editor in a real browser (Debian's Chromium driven by Playwright, loopback only):
an admin opens a flow, breaks it and sees the error marked at its line, fixes it, saves a
draft, publishes, compares versions node by node, rolls back, and simulates a call with the
keypad and the speech box."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from live_browser import loopback_page, screenshot, serve_app, sync_api
from live_browser import sign_in_page as sign_in
from staff_login import FAST_HASHING, PASSWORD

from voice.compose import Services
from voice.flows.catalog import publish_flows
from voice.settings import PROJECT_ROOT, Settings

AT = "2026-11-24T10:00:00-05:00"  # a Tuesday morning: the support line is open
GREETING = "Thanks for calling Acme."


@pytest.fixture
def settings(db_url: str, tmp_path: Path, make_settings: Callable[..., Settings]) -> Settings:
    flows = tmp_path / "flows"
    shutil.copytree(PROJECT_ROOT / "ivr_flows", flows)
    return make_settings(db_url, tmp_path / "data", VOICE_FLOWS_DIR=str(flows), **FAST_HASHING)


@pytest.fixture
def staff(services: Services) -> Services:
    assert services.user_service is not None
    publish_flows(services, published_by="voice up")
    services.user_service.add("ada", "admin", PASSWORD)
    return services


def cursor_after(page: Any, needle: str) -> None:
    """Put the editor's cursor right after the first ``needle`` (then type with the keyboard)."""
    page.evaluate("""(needle) => {
        const cm = document.querySelector('.CodeMirror').CodeMirror;
        const text = cm.getValue(), at = text.indexOf(needle) + needle.length;
        cm.focus();
        cm.setCursor(cm.posFromIndex(at));
    }""", needle)


def test_edit_check_publish_diff_rollback_and_simulate(staff: Services, browser: Any) -> None:
    expect = sync_api.expect
    main_file = staff.settings.flows_dir / "main.yaml"
    original = main_file.read_text()
    with serve_app(staff) as base:
        tab = loopback_page(browser)
        page = tab.page
        sign_in(page, base, "ada", PASSWORD, "/admin/flows")
        expect(page).to_have_url(f"{base}/admin/flows")
        table = page.get_by_role("table", name="Flows, their live version and their last "
                                               "change")
        row = table.locator('tr[data-flow="main"]')
        expect(row).to_contain_text("Acme support line")
        expect(row).to_contain_text("v1")
        expect(row).to_contain_text("voice up")
        screenshot(page, "admin-flows-list")

        row.get_by_role("link", name="main").click()
        expect(page).to_have_url(f"{base}/admin/flows/main")
        expect(page.locator(".CodeMirror")).to_be_visible()
        expect(page.locator("#problems-summary")).to_have_text("No problems")
        expect(page.locator('#flow-graph g.node.start[data-node="greeting"]')).to_be_visible()

        # break it: greeting's next names a node that does not exist (line 11)
        cursor_after(page, "next: hours")
        for _ in "hours":
            page.keyboard.press("Backspace")
        page.keyboard.type("nowhere")
        marked = page.locator(".CodeMirror-code > div:has(.CodeMirror-lint-marker-error)")
        expect(marked).to_have_count(1)
        expect(marked.locator(".CodeMirror-linenumber")).to_have_text("11")
        expect(page.locator("#problems li")).to_have_count(1)
        expect(page.locator("#problems li")).to_contain_text(
            "main.yaml:11: node 'greeting': field 'next': 'nowhere' names no node")
        expect(page.locator('#flow-graph g.node.missing[data-node="nowhere"]')).to_be_visible()
        screenshot(page, "admin-flow-editor-error")

        page.get_by_role("button", name="Publish", exact=True).click()
        expect(page.locator("#action-error")).to_contain_text(
            "Not published: 1 problem(s); the live version keeps serving")
        assert staff.flow_repository.current("main").version == 1  # type: ignore[union-attr]
        assert main_file.read_text() == original

        # fix it, and change the greeting
        cursor_after(page, "next: nowhere")
        for _ in "nowhere":
            page.keyboard.press("Backspace")
        page.keyboard.type("hours")
        cursor_after(page, "Thanks for calling Acme")
        page.keyboard.type(" Corporation")
        expect(page.locator("#problems-summary")).to_have_text("No problems")
        expect(page.locator(".CodeMirror-lint-marker-error")).to_have_count(0)

        page.get_by_role("button", name="Save draft").click()
        expect(page.locator("#action-result")).to_have_text("Draft saved (revision 1).")
        page.get_by_role("button", name="Publish", exact=True).click()
        expect(page.locator("#action-result")).to_contain_text("Published version 2")
        live_row = page.locator('#versions-body tr[data-version="2"]')
        expect(live_row).to_contain_text("live")
        expect(live_row).to_contain_text("ada")
        assert "Thanks for calling Acme Corporation." in main_file.read_text()

        page.get_by_role("button", name="Compare").click()
        expect(page.locator("#diff-status")).to_have_text(
            "v1 → v2: 0 node(s) added, 0 removed, 1 changed")
        change = page.locator('.diff-node[data-node="greeting"] tr[data-field="text"]')
        expect(change.locator("td.old")).to_contain_text(GREETING)
        expect(change.locator("td.new")).to_contain_text("Thanks for calling Acme Corporation.")
        screenshot(page, "admin-flow-diff")

        rollback = page.get_by_role("button", name="Roll back to v1")
        rollback.click()
        page.get_by_role("button", name="Confirm roll back to v1").click()
        expect(page.locator("#action-result")).to_contain_text("Rolled back: version 3 has the "
                                                               "text of version 1")
        expect(page.locator('#versions-body tr[data-version="3"]')).to_contain_text("live")
        assert main_file.read_text() == original
        assert staff.flow_repository.current("main").content == original  # type: ignore[union-attr]

        # simulate the text in the editor: a standard customer asks for billing
        panel = page.get_by_role("region", name="Simulate")
        panel.get_by_label("Time of the call (ISO 8601)").fill(AT)
        panel.get_by_label("Caller", exact=True).select_option("20005678")
        dialogue = panel.locator("#sim-dialogue")
        expect(dialogue).to_contain_text(GREETING)
        waiting = panel.locator("#sim-waiting")
        expect(waiting).to_have_text("keys or speech at main_menu (menu)")
        panel.get_by_role("button", name="Key 1").click()
        expect(waiting).to_contain_text("at auth (authenticate)")
        for key in "20005678#":
            panel.get_by_role("button", name=f"Key {key}").click()
        expect(waiting).to_contain_text("sensitive: keys are masked")
        expect(dialogue).to_contain_text("presses 20005678#")
        for key in "864":
            panel.get_by_role("button", name=f"Key {key}").click()
        expect(panel.locator("#sim-entry")).to_have_text("•••")
        panel.get_by_role("button", name="Key 2").click()
        panel.get_by_role("button", name="Key #").click()
        expect(waiting).to_contain_text("an agent")
        expect(dialogue).to_contain_text("presses ****")
        expect(dialogue).not_to_contain_text("did not match")
        expect(dialogue).not_to_contain_text("8642")
        path = panel.locator("#sim-path")
        expect(path.locator("li")).to_have_text([
            re.compile(r"^greeting"), re.compile(r"^hours.*open"),
            re.compile(r"^main_menu.*→ 1"), re.compile(r"^auth.*verified"),
            re.compile(r"^crm"), re.compile(r"^vip.*else"), re.compile(r"^billing ")])
        screenshot(page, "admin-flow-simulate")

        panel.get_by_role("button", name="Restart call").click()
        expect(waiting).to_have_text("keys or speech at main_menu (menu)")
        panel.get_by_label("Caller says").fill("support")
        panel.get_by_role("button", name="Say", exact=True).click()
        expect(dialogue).to_contain_text('"support"')
        expect(waiting).to_contain_text("at support_zip (gather)")

        # the refused publish answered 422, which Chromium may log as a failed resource load
        refused = "the server responded with a status of 422"
        assert [error for error in tab.errors if refused not in error] == []
        assert tab.blocked == []
        page.context.close()
