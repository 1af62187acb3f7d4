"""``voice softphone`` against the real web app and real SIP (SIPp), over loopback only.

The softphone is a subprocess (``--null-audio --no-keys`` unless a test types keys through
its stdin); the tests read its status lines and the agent's row in the database. Waits are
generous polls, never timings.
"""

from __future__ import annotations

import os
import pty
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from demo_data import import_demo_customers
from sip_harness import Caller, free_port, require_tools
from softphone_harness import AGENT, PASSWORD, QUEUE, PhoneProcess, Site, wait_until

StartPhone = Callable[..., PhoneProcess]


def _contact(phone: PhoneProcess) -> str:
    return phone.wait_for("READY ").split("contact=", 1)[1]


def _port(contact: str) -> int:
    return int(contact.rsplit(":", 1)[1])


def test_reports_its_contact_and_goes_available(site: Site, start_phone: StartPhone) -> None:
    phone = start_phone("--available")
    contact = _contact(phone)
    assert contact.startswith(f"sip:{AGENT}@127.0.0.1:") and _port(contact) > 0
    phone.wait_for("STATE available")
    wait_until(lambda: site.agent()["state"] == "available", what="agent available")
    agent = site.agent()
    assert agent["registered_contact"] == contact
    assert agent["contact"] == contact


def test_answers_a_sip_call_and_hangs_up_after_the_given_time(
        site: Site, start_phone: StartPhone, tmp_path: Path) -> None:
    require_tools("sipp")
    phone = start_phone("--auto-answer", "--hangup-after", "1")
    port = _port(_contact(phone))
    caller = Caller(steps=[("expect_bye", 30000)], number=AGENT, caller="+15550142")
    result = caller.call(port, tmp_path / "sipp", timeout=60)
    assert result.returncode == 0, result.stdout + "\n".join(phone.drain())
    ringing = phone.wait_for("RINGING ")
    assert ringing.startswith("RINGING from=sip:+15550142@127.0.0.1")
    phone.wait_for("CONNECTED")
    assert phone.wait_for("ENDED ") == "ENDED reason=hangup status=200"


def test_a_call_offered_by_the_service_pops_the_screen(site: Site,
                                                        start_phone: StartPhone) -> None:
    services = site.services
    import_demo_customers(services)
    phone = start_phone("--available")
    _contact(phone)
    wait_until(lambda: site.agent()["state"] == "available", what="agent available")
    now = datetime.now(UTC)
    call_id = "softphone-offer-1"
    services.call_repository.start_call(
        call_id=call_id, channel="sip", flow_id="demo", flow_version=1, flow_sha256=None,
        from_number="+15551230001", to_number="1000", started_at=now, simulated=False,
        worker="w1")
    services.call_repository.append_path(call_id, [
        {"seq": 1, "at": now, "flow": "demo", "node": "menu", "type": "menu", "outcome": "1",
         "input": "1"},
        {"seq": 2, "at": now, "flow": "demo", "node": "auth", "type": "authenticate",
         "outcome": "verified", "input": "10001234",
         "detail": {"method": "account_pin", "level": "high", "customer_id": 1}},
    ])
    acd = services.acd
    assert acd is not None
    acd.distributor.enqueue(call_id, QUEUE, channel="sip", from_number="+15551230001")
    offers = acd.distributor.activate(call_id)
    assert [o.call_id for o in offers] == [call_id]
    offered = phone.wait_for("OFFERED ")
    assert offered == (f"OFFERED call={call_id} from=+15551230001 verified=true "
                       "customer=Dana Smith")
    phone.wait_for("STATE reserved")
    phone.wait_for("  Call id ")  # the screen pop's last line but its rule
    block = "\n".join(phone.drain())
    assert "VERIFIED by account_pin, high: Dana Smith, account ****1234" in block
    assert "menu: 1 -> auth: verified" in block
    assert f"Queue     {QUEUE}, waited" in block


def test_sigterm_clears_the_contact_and_goes_offline(site: Site,
                                                      start_phone: StartPhone) -> None:
    phone = start_phone("--available")
    _contact(phone)
    wait_until(lambda: site.agent()["state"] == "available", what="agent available")
    assert phone.terminate() == 0, phone.stderr()
    assert "STOPPED" in phone.drain()
    agent = site.agent()
    assert agent["registered_contact"] is None
    assert agent["state"] == "offline"


def test_a_wrong_password_exits_1_saying_what_to_fix(site: Site,
                                                       start_phone: StartPhone) -> None:
    phone = start_phone(password="not-the-password")
    assert phone.process.wait(30) == 1
    message = phone.stderr()
    assert f"rejected the login of '{AGENT}'" in message
    assert "--password" in message and "VOICE_AGENT_PASSWORD" in message
    assert "Traceback" not in message
    assert site.agent()["registered_contact"] is None


def test_a_user_who_is_not_an_agent_exits_1(site: Site, start_phone: StartPhone) -> None:
    assert site.services.user_service is not None
    site.services.user_service.add("boss", "admin", PASSWORD)
    phone = start_phone(user="boss")
    assert phone.process.wait(30) == 1
    message = phone.stderr()
    assert "user 'boss' may not use the softphone" in message
    assert "voice agents add" in message and "Traceback" not in message


def test_an_unreachable_server_exits_1_naming_the_address(start_phone: StartPhone) -> None:
    server = f"http://127.0.0.1:{free_port()}"
    phone = start_phone(server=server)
    assert phone.process.wait(30) == 1
    message = phone.stderr()
    assert f"cannot reach the voice service at {server}" in message
    assert "--server" in message and "Traceback" not in message


_REINVITE_ANSWER = """<recv request="INVITE" timeout="20000"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:+15550142@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 {version} IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
{direction}
]]></send>
<recv request="ACK"/>
"""


class HoldingCaller(Caller):
    """A SIPp caller that accepts the agent's hold and resume re-INVITEs, then the BYE."""

    def scenario(self) -> str:
        hold = (_REINVITE_ANSWER.format(version=2353687638, direction="a=recvonly")
                + _REINVITE_ANSWER.format(version=2353687639, direction="a=sendrecv"))
        return super().scenario().replace('<recv request="BYE"', hold + '<recv request="BYE"',
                                          1)


def test_the_agents_keys_answer_mute_send_digits_hold_and_hang_up(
        site: Site, start_phone: StartPhone, tmp_path: Path) -> None:
    require_tools("sipp")
    phone = start_phone("--available", keys=True)  # stdin is a pipe: one command a line
    port = _port(_contact(phone))
    caller = HoldingCaller(steps=[("expect_bye", 30000)], number=AGENT, caller="+15550142")
    run = caller.start(port, tmp_path / "sipp", timeout=60)
    try:
        phone.wait_for("RINGING ")
        phone.send("a")
        phone.wait_for("CONNECTED")
        for command, line in (("m", "MUTED"), ("m", "UNMUTED"), ("d 12#", "DTMF 12#"),
                              ("o", "HELD"), ("o", "RESUMED")):
            phone.send(command)
            phone.wait_for(line)
        phone.send("h")
        assert phone.wait_for("ENDED ") == "ENDED reason=hangup status=200"
    finally:
        result = run.wait()
    assert result.returncode == 0, result.stdout
    phone.send("q")
    assert phone.process.wait(30) == 0
    wait_until(lambda: site.agent()["state"] == "offline", what="agent offline")


def test_hanging_up_while_it_rings_declines_the_call(site: Site, start_phone: StartPhone,
                                                     tmp_path: Path) -> None:
    require_tools("sipp")
    phone = start_phone(keys=True)
    port = _port(_contact(phone))
    run = Caller(steps=[], number=AGENT, expect=603).start(port, tmp_path / "sipp", timeout=60)
    try:
        phone.wait_for("RINGING ")
        phone.send("h")
        assert phone.wait_for("ENDED ") == "ENDED reason=rejected status=603"
    finally:
        result = run.wait()
    assert result.returncode == 0, result.stdout


def test_single_keys_on_a_terminal(site: Site, start_phone: StartPhone) -> None:
    controller, terminal = pty.openpty()
    try:
        phone = start_phone("--available", keys=True, stdin=terminal)
        _contact(phone)
        phone.wait_for("STATE available")
        os.write(controller, b"wlunch\r")  # w asks for a reason, Enter ends it
        phone.wait_for("STATE away reason=lunch")
        os.write(controller, b"v")
        wait_until(lambda: phone.drain().count("STATE available") == 2, what="available again")
        os.write(controller, b"q")
        assert phone.process.wait(30) == 0, phone.stderr()
    finally:
        os.close(controller)
        os.close(terminal)
    agent = site.agent()
    assert agent["state"] == "offline" and agent["registered_contact"] is None
