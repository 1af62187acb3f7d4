"""The QA pages in a real browser (Debian's Chromium driven by Playwright, loopback only):
a QA user signs in, searches a word from a transcript, opens the call, plays its two-channel
recording, sees the highlighted transcript line follow the audio, seeks by clicking a line
and through the ``qa:seek`` event, and sees the paused (sensitive) span on the IVR path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from live_browser import launch_chromium, loopback_page, screenshot, serve_app, sync_api
from sqlalchemy import select, update
from staff_login import PASSWORD

from voice.compose import Services
from voice.demo.seed import SeedOptions, seed
from voice.store.models import CallEvent, Recording, Transcript, TranscriptSegment

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def archive(services: Services) -> dict[str, Any]:
    """60 demo calls, the newest answered one with a real WAV; its menu visit marked as a
    sensitive (paused) entry. Returns that recording's id, call id and transcript lines."""
    assert services.user_service is not None
    seed(services.session_factory, services.acd, services.settings.recordings_dir,
         SeedOptions(calls=60, days=3, seed=5, now=NOW, audio_calls=1))
    services.user_service.add("quinn", "qa", PASSWORD)
    with services.session_factory.begin() as session:
        recording = session.scalars(select(Recording).where(Recording.size_bytes > 0)).one()
        lines = session.execute(
            select(TranscriptSegment.speaker, TranscriptSegment.start_s, TranscriptSegment.text)
            .join(Transcript, Transcript.id == TranscriptSegment.transcript_id)
            .where(Transcript.recording_id == recording.id)
            .order_by(TranscriptSegment.start_s)).all()
        session.execute(update(CallEvent).where(
            CallEvent.call_id == recording.call_id, CallEvent.node == "main_menu")
            .values(detail={"sensitive": True}))
        return {"recording_id": recording.id, "call_id": recording.call_id,
                "lines": [tuple(line) for line in lines]}


@pytest.fixture
def live_url(services: Services) -> Iterator[str]:
    with serve_app(services) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    with launch_chromium(["--autoplay-policy=no-user-gesture-required"]) as chromium:
        yield chromium


def test_search_open_play_follow_and_seek(archive: dict[str, Any], live_url: str,
                                          browser: Any) -> None:
    expect = sync_api.expect
    tab = loopback_page(browser)
    page = tab.page
    page.set_viewport_size({"width": 1400, "height": 1000})

    page.goto(f"{live_url}/qa/recordings")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fqa%2Frecordings$"))
    page.get_by_label("Username").fill("quinn")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_url}/qa/recordings")

    lines = archive["lines"]
    question = next(i for i, line in enumerate(lines) if line[0] == "caller")
    word = max(re.findall(r"[a-z]+", lines[question][2].lower()), key=len)
    page.get_by_label("Words said").fill(word)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name=re.compile(f"where “{word}” was said"))).to_be_visible()
    row = page.locator(f'tr[data-recording-id="{archive["recording_id"]}"]')
    expect(row.locator("mark").first).to_have_text(re.compile(word, re.I))
    screenshot(page, "qa-recordings")
    row.get_by_role("link").first.click()

    expect(page).to_have_url(re.compile(rf"/qa/calls/{archive['call_id']}\?recording="))
    expect(page.locator("#qa-audio-state")).to_have_text("Ready to play.")
    page.evaluate("""() => { window.qaTimes = [];
        document.addEventListener("qa:time", (e) => window.qaTimes.push(e.detail.seconds)); }""")
    segments = page.locator(".qa-segment")
    expect(segments).to_have_count(len(lines))
    path = page.locator("#qa-path .qa-mark")
    expect(path.filter(has_text="greeting")).to_have_count(1)
    # the menu visit marked sensitive (and the PIN entry, if this caller went through it)
    paused = page.locator('#qa-path .qa-mark-sensitive[data-node="main_menu"]')
    expect(paused).to_have_text("paused (sensitive input)")
    menu_row = page.locator("#qa-ivr tbody tr").filter(
        has=page.get_by_role("rowheader", name="main_menu", exact=True))
    expect(menu_row.locator(".qa-paused")).to_have_text("paused (sensitive input)")
    expect(page.locator("#qa-ivr .qa-paused")).to_have_count(
        page.locator("#qa-path .qa-mark-sensitive").count())

    # clicking a line seeks there and plays; the highlight then follows the audio
    segments.nth(question).click()
    expect(segments.nth(question)).to_have_attribute("aria-current", "true")
    expect(page.locator("#qa-play")).to_have_text("Pause")
    expect(segments.nth(question + 1)).to_have_attribute("aria-current", "true")
    expect(segments.nth(question)).not_to_have_attribute("aria-current", "true")
    times = page.evaluate("window.qaTimes")
    assert times and max(times) > lines[question + 1][1], times
    page.locator("#qa-play").click()
    expect(page.locator("#qa-play")).to_have_text("Play")

    # the evaluation panel's way in: qa:seek moves the player (and the highlight)
    page.evaluate("""() => document.dispatchEvent(
        new CustomEvent("qa:seek", {detail: {seconds: 1.0}}))""")
    expect(segments.nth(0)).to_have_attribute("aria-current", "true")
    expect(page.locator("#qa-time")).to_have_text("0:01")
    last = len(lines) - 1
    segments.nth(last).click()
    expect(segments.nth(last)).to_have_attribute("aria-current", "true")
    minutes, seconds = divmod(int(lines[last][1]), 60)
    expect(page.locator("#qa-time")).to_have_text(re.compile(rf"^{minutes}:{seconds:02d}$|"
                                                             rf"^{minutes}:{seconds + 1:02d}$"))
    page.locator("#qa-play").click()
    screenshot(page, "qa-call")
    assert tab.errors == [] and tab.blocked == []


def test_a_call_without_audio_in_the_browser(archive: dict[str, Any], services: Services,
                                             live_url: str, browser: Any) -> None:
    expect = sync_api.expect
    with services.session_factory() as session:
        call_id = session.scalars(select(Recording.call_id).where(
            Recording.kind == "call", Recording.size_bytes == 0)
            .order_by(Recording.id.desc())).first()
    tab = loopback_page(browser)
    page = tab.page
    page.goto(f"{live_url}/qa/calls/{call_id}")
    page.get_by_label("Username").fill("quinn")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#qa-audio-state")).to_contain_text("Audio not available")
    expect(page.locator("#qa-play")).to_be_disabled()
    expect(page.locator("#qa-path .qa-mark").first).to_be_visible()
    segments = page.locator(".qa-segment")
    segments.nth(1).click()  # no audio: the line is still marked as the current one
    expect(segments.nth(1)).to_have_attribute("aria-current", "true")
    screenshot(page, "qa-call-no-audio")
    assert tab.errors == [] and tab.blocked == []
