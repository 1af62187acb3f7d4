"""Agents over SIP: a caller authenticates, queues, and the chosen agent's phone rings.

Real parts only: SIPp callers and SIPp agent phones (answering with G.711 audio, or not
answering), a media worker process, the ACD in the SQLite database the worker uses.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_data import import_demo_customers
from sip_harness import FIXTURES, Caller, SipSite, free_port, open_site, sox_stat
from sqlalchemy import select
from webhook_receiver import running_receiver

from voice.acd.service import Acd
from voice.compose import Services
from voice.store.models import QueueEntry

PIN_STEPS = [("wait", 1500), ("info", "10001234#"), ("wait", 1500), ("info", "1234#")]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SipSite]:
    yield from open_site(tmp_path, ["queueline"], "sipp", "espeak-ng", "sox",
                         values={"callback": "true"})


def _services(site: SipSite) -> Services:
    assert site.services is not None
    import_demo_customers(site.services)
    return site.services


def _acd(site: SipSite) -> Acd:
    services = _services(site)
    assert services.acd is not None
    return services.acd


def _phone(scenario: str, folder: Path, calls: int = 1) -> tuple[subprocess.Popen[str], int]:
    """A SIPp agent phone on a free port (``uas_agent.xml`` answers, ``uas_noanswer.xml``
    does not)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        ["sipp", "-sf", str(FIXTURES / scenario), "-i", "127.0.0.1", "-p", str(port),
         "-mp", str(free_port()), "-m", str(calls), "-nostdin", "-timeout", "90s",
         "-trace_logs", "-log_file", str(folder / "phone.log")], cwd=folder,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, port


def _entries(services: Services) -> list[QueueEntry]:
    with services.session_factory() as session:
        return list(session.scalars(select(QueueEntry).order_by(QueueEntry.id)))


def _wait_for(check, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


def test_verified_caller_reaches_the_agent_who_is_recorded(site: SipSite,
                                                          tmp_path: Path) -> None:
    acd = _acd(site)
    services = _services(site)
    phone, port = _phone("uas_agent.xml", tmp_path / "ann")
    acd.agents.add("ann", "agent-password-1", queues=["support"],
                   contact=f"sip:ann@127.0.0.1:{port}", extension="201")
    acd.agents.set_state("ann", "available")
    with running_receiver() as crm:
        assert services.webhook_endpoints is not None
        _id, crm.secret = services.webhook_endpoints.add(crm.url)
        worker = site.start_worker()
        result = Caller([*PIN_STEPS, ("wait", 9000), ("bye",)], number="2200").call(
            worker.port, tmp_path / "caller")
        assert result.returncode == 0, result.stdout + worker.output()
        assert phone.wait(30) == 0, phone.stdout.read() if phone.stdout else ""
        hooks = crm.wait_for(4)
    call = services.call_repository.list_calls(channel="sip")[0]
    assert ("auth", "verified") in [(s.node, s.outcome) for s in call.path]
    line = next(s for s in call.path if s.node == "line")
    assert line.outcome == "agent" and (line.detail or {}).get("agent") == "ann"

    # the CRM got signed events, the screen pop before the answer
    assert all(h.verified for h in hooks), [h.problem for h in hooks]
    assert [h.json()["type"] for h in hooks] == ["call.started", "call.offered",
                                                 "call.answered", "call.ended"]
    assert len({h.webhook_id for h in hooks}) == 4
    pop = hooks[1].json()["data"]
    assert pop["call_id"] == call.id and pop["channel"] == "sip"
    assert pop["from"] == "+15550142" and pop["to"] == "2200"
    assert pop["authentication"] == {
        "verified": True, "outcome": "verified", "method": "account_pin", "level": "strong",
        "customer_id": "1", "customer_name": "Dana Smith", "account": "****1234"}
    assert [step["node"] for step in pop["ivr_path"]] == ["hello", "auth"]
    assert all(step["at"] for step in pop["ivr_path"])
    assert pop["queue"]["name"] == "support" and pop["queue"]["wait_seconds"] >= 0
    assert pop["agent"] == {"id": acd.agents.get("ann").id, "name": "ann", "extension": "201"}
    assert "1234" not in hooks[1].body.decode().replace("****1234", "")  # the PIN: nowhere
    assert hooks[3].json()["data"]["queue"]["outcome"] == "answered"

    [entry] = _entries(services)
    assert (entry.status, entry.outcome) == ("ended", "answered")
    assert entry.answered_at is not None and entry.agent_id == acd.agents.get("ann").id
    ann = acd.agents.get("ann")
    assert ann.state == "wrap_up" and ann.call_id is None  # the queue's 30 s wrap-up
    worker.stop()  # the recording is filed
    assert services.recording_service is not None
    [recording] = services.recording_service._repository.list_for_call(call.id)
    wav = services.recording_service.recordings_dir / recording.path
    talk = tmp_path / "talk.wav"
    # the last seconds: the agent talking (G.711 recording), the caller silent
    length = sox_stat(wav)["Length (seconds)"]
    subprocess.run(["sox", str(wav), str(talk), "trim", str(length - 4)], check=True)
    assert sox_stat(talk, 2)["RMS     amplitude"] > 0.01  # the agent's channel
    assert sox_stat(talk, 1)["RMS     amplitude"] < 0.005  # the caller's channel


def test_ring_no_answer_goes_to_the_next_agent(site: SipSite, tmp_path: Path) -> None:
    acd = _acd(site)
    acd.queues.put("support", {"ring_timeout": 5, "wrap_up": 0})
    silent, silent_port = _phone("uas_noanswer.xml", tmp_path / "ann")
    answering, port = _phone("uas_agent.xml", tmp_path / "bob")
    acd.agents.add("ann", "agent-password-1", queues=["support"],
                   contact=f"sip:ann@127.0.0.1:{silent_port}")
    acd.agents.add("bob", "agent-password-1", queues=["support"],
                   contact=f"sip:bob@127.0.0.1:{port}")
    acd.agents.set_state("ann", "available")  # idle the longest: rung first
    time.sleep(0.05)
    acd.agents.set_state("bob", "available")
    worker = site.start_worker()
    result = Caller([*PIN_STEPS, ("wait", 14000), ("bye",)], number="2200").call(
        worker.port, tmp_path / "caller")
    assert result.returncode == 0, result.stdout + worker.output()
    assert silent.wait(30) == 0
    assert answering.wait(30) == 0
    services = _services(site)
    [entry] = _entries(services)
    assert entry.tried == ["ann"] and entry.agent_id == acd.agents.get("bob").id
    assert entry.outcome == "answered"
    ann = acd.agents.get("ann")
    assert (ann.state, ann.state_reason) == ("away", "missed call")
    assert acd.agents.get("bob").state == "available"  # no wrap-up configured


def test_second_caller_waits_for_the_agent_to_finish(site: SipSite, tmp_path: Path) -> None:
    acd = _acd(site)
    acd.queues.put("support", {"wrap_up": 1})
    phone, port = _phone("uas_agent.xml", tmp_path / "ann", calls=2)
    acd.agents.add("ann", "agent-password-1", queues=["support"],
                   contact=f"sip:ann@127.0.0.1:{port}")
    acd.agents.set_state("ann", "available")
    worker = site.start_worker()
    first = Caller([*PIN_STEPS, ("wait", 6000), ("bye",)], number="2200",
                   caller="+15550101").start(worker.port, tmp_path / "first")
    assert _wait_for(lambda: acd.agents.get("ann").state == "on_call")
    second = Caller([("wait", 16000), ("bye",)], number="2200", caller="+15550102").call(
        worker.port, tmp_path / "second")
    assert first.wait().returncode == 0
    assert second.returncode == 0, second.stdout + worker.output()
    assert phone.wait(30) == 0
    services = _services(site)
    one, two = _entries(services)
    assert one.outcome == two.outcome == "answered"
    assert one.agent_id == two.agent_id == acd.agents.get("ann").id
    # the second caller was told an estimate (an agent staffs the queue) and waited for
    # the first call and its wrap-up
    assert two.estimated_wait is not None
    assert two.answered_at > one.ended_at


def test_caller_hanging_up_in_line_is_counted_abandoned(site: SipSite,
                                                        tmp_path: Path) -> None:
    worker = site.start_worker()
    result = Caller([*PIN_STEPS, ("wait", 4000), ("bye",)], number="2200").call(
        worker.port, tmp_path / "caller")
    assert result.returncode == 0, result.stdout + worker.output()
    services = _services(site)
    [entry] = _wait_for(lambda: [e for e in _entries(services) if e.status == "ended"])
    assert entry.outcome == "abandoned"
    assert (entry.ended_at - entry.enqueued_at).total_seconds() > 2


def test_agent_is_freed_when_the_worker_holding_the_call_dies(site: SipSite,
                                                              tmp_path: Path) -> None:
    import signal
    import threading

    from voice.sip.supervisor import WorkerPool

    acd = _acd(site)
    services = _services(site)
    phone, port = _phone("uas_agent.xml", tmp_path / "ann")
    acd.agents.add("ann", "agent-password-1", queues=["support"],
                   contact=f"sip:ann@127.0.0.1:{port}")
    acd.agents.set_state("ann", "available")
    sip_port = free_port()
    pool = WorkerPool(services.settings, services.call_repository, host="127.0.0.1",
                      port=sip_port, workers=1, kamailio=False, run_dir=tmp_path / "run",
                      grace=1, env=site.env, on_calls_ended=lambda _ids: acd.reconciler.run())
    pool.start()
    stop = threading.Event()
    watcher = threading.Thread(target=pool.supervise, args=(stop.is_set,), daemon=True)
    watcher.start()
    try:
        caller = Caller([*PIN_STEPS, ("wait", 30000), ("bye",)], number="2200").start(
            sip_port, tmp_path / "caller", timeout=60)
        assert _wait_for(lambda: acd.agents.get("ann").state == "on_call", timeout=30)
        process = pool.workers[0].process
        assert process is not None
        process.send_signal(signal.SIGKILL)  # the worker dies mid-conversation
        ann = _wait_for(lambda: (a := acd.agents.get("ann")).state == "available" and a,
                        timeout=30)
        assert ann and ann.state_reason == "reconciled" and ann.call_id is None
        call = services.call_repository.list_calls(channel="sip")[0]
        assert call.outcome == "worker-died"
        caller.process.kill()  # the caller's SIPp would wait out its pause for nothing
        caller.wait()
    finally:
        stop.set()
        watcher.join(10)
        pool.stop()
        phone.kill()


def test_callback_calls_the_agent_then_the_customer(site: SipSite, tmp_path: Path) -> None:
    customer, customer_port = _phone("uas_talk_bye.xml", tmp_path / "customer")
    site.extra_env["VOICE_SIP_CALLBACK_URI"] = f"sip:{{number}}@127.0.0.1:{customer_port}"
    acd = _acd(site)
    services = _services(site)
    worker = site.start_worker()
    # nobody staffs the queue: the caller presses 1 on hold, keeps the place, hangs up
    result = Caller([*PIN_STEPS, ("wait", 4000), ("keys", "1"), ("expect_bye", 20000)],
                    number="2200").call(worker.port, tmp_path / "caller")
    assert result.returncode == 0, result.stdout + worker.output()
    call = services.call_repository.list_calls(channel="sip")[0]
    assert [(s.node, s.outcome) for s in call.path][-1] == ("line", "callback")
    [entry] = _entries(services)
    assert (entry.status, entry.callback, entry.callback_number) == ("waiting", True,
                                                                    "+15550142")
    # an agent becomes available: the worker calls them, then the customer
    phone, port = _phone("uas_agent.xml", tmp_path / "ann")
    acd.agents.add("ann", "agent-password-1", queues=["support"],
                   contact=f"sip:ann@127.0.0.1:{port}")
    acd.agents.set_state("ann", "available")
    assert customer.wait(60) == 0, worker.output()
    assert phone.wait(30) == 0, worker.output()
    [entry] = _wait_for(lambda: [e for e in _entries(services) if e.status == "ended"])
    assert entry.outcome == "answered" and entry.holder == "w1"
    assert entry.agent_id == acd.agents.get("ann").id
    assert acd.agents.get("ann").state == "wrap_up"
