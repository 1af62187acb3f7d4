"""Spoken menu choices on SIP calls: a real media worker with the Vosk Korean model, and a
SIPp caller that streams Korean words spoken by espeak-ng.

The flow (``tests/fixtures/sip/flows/speechline.yaml``, number 3000, ko-KR) greets, then asks
a menu with ``speech: {예약: "1", 확인: "2"}``; each choice says something else and hangs up.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sip_harness import Caller, SipSite, ended_call, open_site
from tooling import korean_model

from voice.calls.records import CallRecord

NUMBER = "3000"
#: the greeting ("안녕하세요.", about 1.3 s) is over and the menu prompt has started by then
PROMPT_STARTED_MS = 2200


def korean_wav(text: str, folder: Path, pad: float = 0.3) -> Path:
    """``text`` spoken by espeak-ng's Korean voice with ``pad`` seconds of silence before and
    after, as the 8 kHz A-law WAV SIPp streams."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / f"ko-{abs(hash(text))}.wav"
    alaw = raw.with_suffix(".alaw.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), "--", text], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-e", "a-law", str(alaw),
                    "pad", str(pad), str(pad)], check=True)
    return alaw


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SipSite]:
    yield from open_site(tmp_path, ["speechline"], "sipp", "espeak-ng", "sox")


def _call(site: SipSite) -> CallRecord:
    return ended_call(site)


def _menu(call: CallRecord) -> tuple[str | None, str | None]:
    step = next(s for s in call.path if s.node == "menu")
    return step.outcome, step.input


@pytest.mark.parametrize(("word", "choice", "branch"),
                         [("확인", "2", "status"), ("예약", "1", "booking")])
def test_a_spoken_keyword_picks_the_choice(site: SipSite, tmp_path: Path, word: str,
                                           choice: str, branch: str) -> None:
    site.extra_env["VOICE_VOSK_MODEL"] = str(korean_model())
    worker = site.start_worker()
    speech = korean_wav(word, tmp_path / "audio")
    result = Caller([("wait", PROMPT_STARTED_MS), ("audio", speech), ("expect_bye", 20000)],
                    number=NUMBER).call(worker.port, tmp_path, timeout=30)
    assert result.returncode == 0, result.stdout + worker.output()
    call = _call(site)
    assert _menu(call) == (choice, word), worker.output()
    assert [s.node for s in call.path] == ["hello", "menu", branch, "bye"]
    assert call.outcome == "flow"


def test_keys_still_work_in_a_speech_menu(site: SipSite, tmp_path: Path) -> None:
    site.extra_env["VOICE_VOSK_MODEL"] = str(korean_model())
    worker = site.start_worker()
    result = Caller([("wait", PROMPT_STARTED_MS), ("keys", "1"), ("expect_bye", 20000)],
                    number=NUMBER).call(worker.port, tmp_path, timeout=30)
    assert result.returncode == 0, result.stdout + worker.output()
    call = _call(site)
    assert _menu(call) == ("1", "1")
    assert [s.node for s in call.path] == ["hello", "menu", "booking", "bye"]


def test_without_a_model_a_speech_menu_takes_keys_only(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()  # no VOICE_VOSK_MODEL
    speech = korean_wav("확인", tmp_path / "audio")
    # the spoken word is not heard; the key pressed after it is
    result = Caller([("wait", PROMPT_STARTED_MS), ("audio", speech), ("wait", 1500),
                     ("keys", "2"), ("expect_bye", 20000)],
                    number=NUMBER).call(worker.port, tmp_path, timeout=30)
    assert result.returncode == 0, result.stdout + worker.output()
    call = _call(site)
    assert _menu(call) == ("2", "2")
    assert [s.node for s in call.path] == ["hello", "menu", "status", "bye"]
    assert "no speech model; the menu takes keys only" in worker.output()
