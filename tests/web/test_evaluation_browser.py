"""QA evaluations in a real browser (Debian's Chromium driven by Playwright, loopback only):
an admin defines a scorecard with the form; QA opens a demo call on the call page, plays it,
scores it with that scorecard, comments at the playback second, and finds the evaluation on
/qa/evaluations, in its rollups and in the CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from live_browser import (
    launch_chromium,
    loopback_page,
    screenshot,
    serve_app,
    sign_in_page,
    sync_api,
)
from sqlalchemy import select
from staff_login import PASSWORD

from voice.compose import Services
from voice.demo.seed import SeedOptions, seed
from voice.store.models import Recording

CARD = "Browser quality check"


@pytest.fixture
def call_with_audio(services: Services) -> tuple[str, str, str]:
    """Demo calls (one answered call with a real WAV); its id, agent and queue."""
    seed(services.session_factory, services.acd, services.settings.recordings_dir,
         SeedOptions(calls=40, seed=5, audio_calls=1))
    users = services.user_service
    assert users is not None
    users.add("ada", "admin", PASSWORD)
    users.add("quinn", "qa", PASSWORD)
    with services.session_factory() as session:
        recording = session.scalars(select(Recording).where(Recording.size_bytes > 0)).one()
        assert recording.agent and recording.queue
        return recording.call_id, recording.agent, recording.queue


def define_scorecard(page: object, base: str) -> int:
    """The admin fills in the new-scorecard form: two sections, three questions."""
    expect = sync_api.expect
    page.goto(f"{base}/admin/scorecards")
    screenshot(page, "evaluations-scorecards-empty-list")
    page.get_by_role("link", name="New scorecard").click()
    page.get_by_label("Name", exact=True).fill(CARD)
    page.get_by_label("Description").fill("Made in the browser test.")
    page.locator("#s0-title").fill("Opening")
    page.locator("#s0-q0-text").fill("Greeted the caller")
    page.locator("#s0-q1-text").fill("Verified the caller")
    page.locator("#s0-q1-weight").fill("3")
    page.locator("#s0-q1-na").check()
    page.get_by_role("button", name="Add a section").click()
    expect(page.locator("#s1-title")).to_be_visible()
    page.locator("#s1-title").fill("Manner")
    page.locator("#s1-q0-text").fill("Courtesy")
    page.locator("#s1-q0-kind").select_option("scale")
    page.locator("#s1-q0-min").fill("1")
    page.locator("#s1-q0-max").fill("5")
    page.locator("#s1-q0-weight").fill("2")
    screenshot(page, "evaluations-scorecard-form")
    page.get_by_role("button", name="Save scorecard").last.click()
    expect(page.get_by_role("status").first).to_contain_text(f"Scorecard '{CARD}' created.")
    expect(page.locator("#s0-q1-na")).to_be_checked()
    expect(page.locator("#s1-q0-kind")).to_have_value("scale")
    screenshot(page, "evaluations-scorecard-saved")
    found = re.search(r"/admin/scorecards/(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_define_score_and_report_in_a_browser(services: Services,
                                              call_with_audio: tuple[str, str, str]) -> None:
    call_id, agent, queue = call_with_audio
    with serve_app(services) as base, launch_chromium() as chromium:
        expect = sync_api.expect
        admin = loopback_page(chromium)
        sign_in_page(admin.page, base, "ada", PASSWORD, "/admin/scorecards")
        card_id = define_scorecard(admin.page, base)
        admin.page.goto(f"{base}/admin/scorecards")
        expect(admin.page.locator("#scorecards")).to_contain_text(CARD)
        screenshot(admin.page, "evaluations-scorecards-list")

        qa = loopback_page(chromium)
        page = qa.page
        sign_in_page(page, base, "quinn", PASSWORD, f"/qa/calls/{call_id}")
        status = page.locator("#eval-status")
        expect(status).to_have_text("Choose a scorecard to score this call.")
        expect(page.locator("#qa-audio-state")).not_to_contain_text("Loading")
        page.get_by_label("Scorecard").select_option(label=CARD)
        expect(page.locator("#eval-questions")).to_contain_text("Greeted the caller")

        # play, then pause: the panel follows the player's second
        page.locator("#qa-play").click()
        expect(page.locator("#qa-time")).not_to_have_text("0:00")
        page.locator("#qa-play").click()
        expect(page.locator("#qa-play")).to_have_attribute("aria-pressed", "false")
        played = page.locator("#qa-time").inner_text()
        add = page.locator("#eval-add-comment")
        expect(add).to_have_text(f"Add comment at {played}")
        page.get_by_label("Comment", exact=True).fill("Greeting was warm")
        add.click()
        seek_button = page.get_by_role("button", name=f"Play from {played}")
        expect(seek_button).to_be_visible()
        expect(page.locator("#eval-comments")).to_contain_text("Greeting was warm")

        # a half-answered form is refused in the page, nothing is sent
        page.locator("#answer-q1-yes").check()
        page.get_by_role("button", name="Save evaluation").click()
        expect(page.locator("#eval-problems")).to_contain_text("Not answered: Verified the caller")
        expect(page.locator("#eval-problems")).to_contain_text("Not answered: Courtesy")
        page.locator("#answer-q2-na").check()
        page.locator("#answer-q3-4").check()
        expect(page.locator("#eval-score")).to_have_text("83.3%")  # (1*1 + 2*0.75) / 3
        page.get_by_role("button", name="Save evaluation").click()
        expect(status).to_have_text(f"Saved: 83.3% ({CARD} version 1).")
        expect(page.locator("#eval-existing-list")).to_contain_text("by quinn")
        expect(page.get_by_role("button", name="Update evaluation")).to_be_visible()
        screenshot(page, "evaluations-call-page-scored")

        # the comment's time seeks the player
        page.evaluate("document.dispatchEvent(new CustomEvent('qa:seek', "
                      "{detail: {seconds: 100}}))")
        expect(page.locator("#qa-time")).to_have_text("1:40")
        expect(add).to_have_text("Add comment at 1:40")
        seek_button.click()
        expect(page.locator("#qa-time")).to_have_text(played)

        # the evaluations page: recent list and rollups of this scorecard; the CSV
        page.goto(f"{base}/qa/evaluations")
        page.get_by_label("Scorecard").select_option(label=CARD)
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#recent")).to_contain_text(call_id)
        expect(page.locator("#recent")).to_contain_text("83.3%")
        agent_row = page.locator("#by-agent tbody tr").filter(has_text=agent)
        expect(agent_row.locator("td").first).to_have_text("1")  # evaluations counted
        expect(agent_row).to_contain_text("83.3%")
        expect(page.locator("#by-queue tbody tr").filter(has_text=queue)).to_contain_text(
            "83.3%")
        screenshot(page, "evaluations-report")
        href = page.locator("#csv-link").get_attribute("href")
        assert href and f"scorecard={card_id}" in href
        download = page.request.get(f"{base}{href}")
        assert download.ok and download.headers["content-type"].startswith("text/csv")
        [row] = list(csv.DictReader(io.StringIO(download.text())))
        assert (row["call_id"], row["agent"], row["queue"], row["score"]) == (
            call_id, agent, queue, "83.33")
        assert row["comments"] == f"{played} Greeting was warm"
        assert row[f"{CARD} q2: Verified the caller"] == "na"
        assert row[f"{CARD} q3: Courtesy"] == "4"

        for tab in (admin, qa):
            assert tab.errors == [] and tab.blocked == []
