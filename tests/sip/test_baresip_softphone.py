"""A real softphone (baresip 1.0, driven over its ctrl_tcp socket) calls the SIP test line.

baresip's own SIP and RTP stack is the caller here, not a SIPp script: it negotiates
telephone-event and sends its keys as RFC 2833 events, advertises REFER in its INVITE (so the
worker transfers it with REFER) and follows the REFER by calling the target itself.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from baresip_harness import Softphone, module_dir
from sip_harness import FIXTURES, SipSite, ended_call, free_port, require_tools

from voice.calls.records import CallRecord

#: from the answer: "Hello." and the start of the menu prompt are over by then
MENU_OPEN_S = 4.0


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SipSite]:
    require_tools("sipp", "espeak-ng", "sox")
    module_dir()
    site = SipSite(tmp_path / "site", f"sqlite:///{tmp_path / 'site' / 'voice.db'}",
                   values={"transfer_port": str(free_port())})
    site.prepare(["sipline"])
    try:
        yield site
    finally:
        site.close()


@pytest.fixture
def phone(site: SipSite, tmp_path: Path) -> Iterator[Softphone]:
    phone = Softphone.start(tmp_path / "baresip")
    try:
        yield phone
    finally:
        phone.close()


def _call(site: SipSite) -> CallRecord:
    return ended_call(site)


def test_softphone_keys_reach_the_flow(site: SipSite, phone: Softphone) -> None:
    worker = site.start_worker()
    line = f"sip:2000@127.0.0.1:{worker.port}"
    phone.dial(line)
    established = phone.wait_event("CALL_ESTABLISHED", 10)
    assert established["peeruri"] == line
    time.sleep(MENU_OPEN_S)
    phone.keys("5")
    time.sleep(2.0)  # the ZIP prompt starts
    phone.keys("67890")
    # the flow thanks the caller and hangs up: the BYE comes from the worker
    closed = phone.wait_event("CALL_CLOSED", 15)
    assert closed["id"] == established["id"]
    call = _call(site)
    assert [(s.node, s.input) for s in call.path if s.input] == [("menu", "5"),
                                                                 ("zip", "67890")], \
        worker.output()
    assert [s.node for s in call.path] == ["hello", "menu", "zip", "thanks", "bye"]
    assert call.outcome == "flow" and call.from_number == "softphone"
    trace = phone.output()
    assert "telephone-event/8000" in trace  # negotiated, so the keys went as RFC 2833 events
    assert "INFO sip:" not in trace  # ... and not as SIP INFO


def test_softphone_follows_the_refer_to_the_target(site: SipSite, phone: Softphone,
                                                   tmp_path: Path) -> None:
    port = int(site.values["transfer_port"])
    messages = tmp_path / "target.msg"
    target = subprocess.Popen(
        ["sipp", "-sf", str(FIXTURES / "uas_desk.xml"), "-i", "127.0.0.1", "-p", str(port),
         "-mp", str(free_port()), "-m", "1", "-nostdin", "-timeout", "30s", "-trace_logs",
         "-log_file", str(tmp_path / "target.log"), "-trace_msg", "-message_file",
         str(messages)], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        worker = site.start_worker()
        phone.dial(f"sip:2000@127.0.0.1:{worker.port}")
        first = phone.wait_event("CALL_ESTABLISHED", 10)
        time.sleep(MENU_OPEN_S)
        phone.keys("3")
        desk = f"sip:desk@127.0.0.1:{port}"
        transfer = phone.wait_event("TRANSFER", 10)
        assert transfer["param"] == desk and transfer["id"] == first["id"]
        second = phone.wait_event("CALL_ESTABLISHED", 10, match=lambda e: e["id"] != first["id"])
        assert second["peeruri"] == desk
        # the worker's leg ends once the transfer is reported done
        phone.wait_event("CALL_CLOSED", 10, match=lambda e: e["id"] == first["id"])
        phone.hang_up()  # the softphone ends its call with the desk
        phone.wait_event("CALL_CLOSED", 10, match=lambda e: e["id"] == second["id"])
        out, _ = target.communicate(timeout=15)
    finally:
        if target.poll() is None:
            target.kill()
            target.communicate()
    assert target.returncode == 0, out  # called, answered, got the BYE
    invite = messages.read_text(errors="replace")
    assert f"INVITE {desk} SIP/2.0" in invite and "User-Agent: baresip" in invite
    call = _call(site)
    steps = [(s.node, s.outcome) for s in call.path]
    assert ("menu", "3") in steps and ("out", "connected") in steps, worker.output()
    assert "REFER sip:softphone" in phone.output()  # REFER, not a bridged call
