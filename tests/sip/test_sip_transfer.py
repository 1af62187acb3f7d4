"""Transfers on SIP calls: REFER to a caller that accepts it, a bridged call otherwise, and
the flow's failure path when neither connects."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sip_harness import (
    FIXTURES,
    SIPP_PCAPS,
    Caller,
    SipSite,
    ended_call,
    free_port,
    open_site,
)

from voice.calls.records import CallRecord

# the key without a pause after it: the REFER may come while SIPp would still be pausing
KEY_3 = ("pcap", str(SIPP_PCAPS / "dtmf_2833_3.pcap"))
REFER_ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SipSite]:
    yield from open_site(tmp_path, ["sipline"], "sipp", "espeak-ng", "sox",
                         values={"transfer_port": str(free_port())})


def _call(site: SipSite) -> CallRecord:
    return ended_call(site)


def _steps(call: CallRecord) -> list[tuple[str, str | None]]:
    return [(s.node, s.outcome) for s in call.path]


def _target(site: SipSite, folder: Path) -> subprocess.Popen[str]:
    """The desk phone the flow transfers to: a SIPp UAS that answers and waits for BYE."""
    port = int(site.values["transfer_port"])
    log = folder / "target.log"
    return subprocess.Popen(
        ["sipp", "-sf", str(FIXTURES / "uas_desk.xml"), "-i", "127.0.0.1", "-p", str(port),
         "-mp", str(free_port()), "-m", "1", "-nostdin", "-timeout", "40s", "-trace_logs",
         "-log_file", str(log)], cwd=folder, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)


def test_refer_to_a_caller_that_accepts_it(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    result = Caller([("wait", 5000), KEY_3, ("refer", 200), ("expect_bye", 10000)],
                    allow=REFER_ALLOW).call(worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    call = _call(site)
    assert ("out", "connected") in _steps(call)


def test_a_refer_that_fails_returns_to_the_flow(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    result = Caller([("wait", 5000), KEY_3, ("refer", 486), ("expect_bye", 15000)],
                    allow=REFER_ALLOW).call(worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    call = _call(site)
    steps = _steps(call)
    assert ("out", "failed") in steps and ("sorry", "said") in steps
    out = next(s for s in call.path if s.node == "out")
    assert out.detail == {"reason": "busy"}


def test_without_refer_the_worker_bridges_the_call(site: SipSite, tmp_path: Path) -> None:
    target = _target(site, tmp_path)
    worker = site.start_worker()
    result = Caller([("wait", 5000), ("keys", "3"), ("wait", 4000), ("bye",)]).call(
        worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    out, _ = target.communicate(timeout=20)
    assert target.returncode == 0, out  # it was called, answered and got the BYE
    assert "answered" in (tmp_path / "target.log").read_text()
    call = _call(site)
    assert ("out", "connected") in _steps(call)


def test_a_bridged_transfer_nobody_answers_fails_over(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()  # nothing listens on the transfer port
    result = Caller([("wait", 5000), ("keys", "3"), ("expect_bye", 25000)]).call(
        worker.port, tmp_path)
    assert result.returncode == 0, result.stdout + worker.output()
    steps = _steps(_call(site))
    assert ("out", "failed") in steps and [n for n, _ in steps][-1] == "bye"
