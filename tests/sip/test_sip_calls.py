"""Whole SIP calls against a real media worker, made by SIPp: keys, recording, hold, limits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sip_harness import (
    SIPP_PCAPS,
    Caller,
    SipSite,
    free_port,
    open_site,
    sox_stat,
    speech_wav,
)

from voice.calls.records import CallRecord
from voice.cli import main
from voice.flows.catalog import publish_flows


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SipSite]:
    yield from open_site(tmp_path, ["sipline"], "sipp", "espeak-ng", "sox",
                         values={"transfer_port": str(free_port())})


def _calls(site: SipSite, wait_ended: bool = True) -> list[CallRecord]:
    assert site.services is not None
    deadline = time.monotonic() + 10
    while True:
        calls = site.services.call_repository.list_calls(channel="sip")
        if not wait_ended or (calls and all(c.ended_at for c in calls)) \
                or time.monotonic() > deadline:
            return calls
        time.sleep(0.1)


def _recordings(site: SipSite, call_id: str, count: int = 1) -> list:
    assert site.services is not None and site.services.recording_service is not None
    repo = site.services.recording_service._repository
    deadline = time.monotonic() + 10
    while len(found := repo.list_for_call(call_id)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def _steps(call: CallRecord) -> list[tuple[str, str | None]]:
    return [(s.node, s.outcome) for s in call.path]


def test_keys_by_rfc2833_and_recording_of_both_sides(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    voice = speech_wav("my zip code is six seven eight nine zero", tmp_path / "audio")
    result = Caller([("audio", voice), ("wait", 5500), ("keys", "5"), ("wait", 2000),
                     ("keys", "67890"), ("expect_bye", 15000)]).call(worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    [call] = _calls(site)
    assert call.worker == "w1" and call.from_number == "+15550142" and call.to_number == "2000"
    steps = _steps(call)
    assert ("menu", "5") in [(s.node, s.input) for s in call.path]
    assert ("zip", "67890") in [(s.node, s.input) for s in call.path]
    assert [n for n, _ in steps] == ["hello", "menu", "zip", "thanks", "bye"]
    assert call.outcome == "flow"
    [recording] = _recordings(site, call.id)
    assert recording.channels == 2 and recording.kind == "call"
    path = site.services.recording_service.recordings_dir / recording.path
    assert path.exists() and recording.size_bytes == path.stat().st_size
    assert 8 < recording.duration_s < 25
    # the caller spoke on the left channel; the IVR's prompts are on the right
    assert sox_stat(path, 1)["RMS     amplitude"] > 0.005
    assert sox_stat(path, 2)["RMS     amplitude"] > 0.005


def test_keys_by_sip_info(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    result = Caller([("wait", 5000), ("info", "5"), ("wait", 2500), ("info", "12345"),
                     ("expect_bye", 15000)]).call(worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    [call] = _calls(site)
    assert ("zip", "12345") in [(s.node, s.input) for s in call.path]
    listed = CliRunner().invoke(main, ["calls", "list", "--channel", "sip"], env=site.env)
    assert listed.exit_code == 0, listed.output
    row = listed.output.splitlines()[1]
    assert row.startswith(call.id) and "sip (w1)" in row
    assert "hello > menu > zip > thanks > bye" in row


def test_sensitive_digits_are_masked_and_not_recorded(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    result = Caller([("wait", 5000), ("keys", "1"), ("wait", 2000), ("keys", "2345#"),
                     ("expect_bye", 15000)]).call(worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    [call] = _calls(site)
    pin = next(s for s in call.path if s.node == "pin")
    assert pin.outcome == "collected" and pin.input == "****"
    # the recording paused around the PIN but kept time: it is not shorter than the call
    # (a recorder left without a source stops counting time and loses the paused seconds)
    [recording] = _recordings(site, call.id)
    assert call.ended_at is not None
    length = (call.ended_at - call.started_at).total_seconds()
    assert recording.duration_s > length - 1.5, (recording.duration_s, length)
    assert "2345" not in worker.output()
    with site.services.engine.connect() as db:  # type: ignore[union-attr]
        from sqlalchemy import text
        dump = " ".join(str(row) for table in ("calls", "call_events", "ivr_sessions")
                        for row in db.execute(text(f"SELECT * FROM {table}")))
    assert "2345" not in dump


def test_caller_hangs_up_mid_prompt(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    # G.711 audio from SIPp's own capture while the greeting plays, then the caller is gone
    result = Caller([("pcap", str(SIPP_PCAPS / "g711a.pcap")), ("wait", 1800), ("bye",)]).call(
        worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    [call] = _calls(site)
    assert call.outcome == "caller-hangup"
    assert [s.node for s in call.path][-1] in ("hello", "menu")
    [recording] = _recordings(site, call.id)
    assert 1.0 < recording.duration_s < 4.0


def test_no_input_retries_then_goodbye(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    result = Caller([("expect_bye", 40000)]).call(worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    [call] = _calls(site)
    assert ("menu", "failure") in _steps(call) or ("menu", "no-input") in _steps(call)
    assert [s.node for s in call.path][-1] == "bye"


def test_hold_until_max_wait(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    result = Caller([("wait", 5000), ("keys", "2"), ("expect_bye", 20000)]).call(
        worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    [call] = _calls(site)
    assert ("hold", "timeout") in _steps(call)


def test_voicemail_is_stored(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    voice = speech_wav("hello this is a message for you", tmp_path / "audio")
    result = Caller([("wait", 5000), ("keys", "4"), ("wait", 2200), ("audio", voice),
                     ("expect_bye", 20000)]).call(worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    [call] = _calls(site)
    assert ("message", "recorded") in _steps(call)
    recordings = _recordings(site, call.id, count=2)
    kinds = sorted(r.kind for r in recordings)
    assert kinds == ["call", "voicemail"]
    message = next(r for r in recordings if r.kind == "voicemail")
    assert 2.0 < message.duration_s < 6.0 and message.channels == 1


def test_unknown_number_gets_404(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    result = Caller([], number="9999", expect=404).call(worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    assert _calls(site, wait_ended=False) == []


def test_a_number_published_while_the_worker_runs_is_answered_at_once(
        site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()  # its copy of the served numbers has only 2000
    assert site.services is not None
    late = site.root / "flows" / "late.yaml"
    late.write_text("id: late\nname: Late line\nstart: hi\nnumbers: [\"3000\"]\n"
                    "nodes:\n  hi: {type: say, text: \"Hi.\", next: bye}\n"
                    "  bye: {type: hangup}\n")
    publish_flows(site.services, paths=[late], published_by="test")
    result = Caller([("expect_bye", 15000)], number="3000").call(worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    [call] = _calls(site)
    assert call.flow_id == "late" and [s.node for s in call.path] == ["hi", "bye"]


def test_caller_outside_the_allow_list_gets_403(site: SipSite, tmp_path: Path) -> None:
    site.extra_env["VOICE_SIP_ALLOW"] = "10.0.0.0/8"
    worker = site.start_worker()
    result = Caller([], expect=403).call(worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    assert _calls(site, wait_ended=False) == []
