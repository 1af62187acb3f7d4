"""Capacity and robustness of the SIP side: 503 instead of crashes, Kamailio spreading load,
bursts, malformed SIP, a worker dying under the supervisor, graceful shutdown."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sip_harness import (
    Caller,
    SipSite,
    free_port,
    free_port_block,
    open_site,
)

from voice.sip.errors import SipError
from voice.sip.kamailio import sip_options_ping
from voice.sip.supervisor import WorkerPool

HOLD_CALL = [("wait", 3000), ("bye",)]


def _start_pool(site: SipSite, tmp_path: Path, *, workers: int, kamailio: bool,
                grace: float) -> tuple[WorkerPool, int]:
    """A started WorkerPool on free ports (a port taken meanwhile: try other ports)."""
    for attempt in range(3):
        port = free_port_block(workers + 1) if kamailio else free_port()
        pool = WorkerPool(site.services.settings, site.services.call_repository,  # type: ignore
                          host="127.0.0.1", port=port, workers=workers, kamailio=kamailio,
                          run_dir=tmp_path / f"run{attempt}", grace=grace, env=site.env)
        try:
            pool.start()
        except SipError as exc:
            if "exited with status 3" not in str(exc) and "Address already" not in str(exc):
                raise
            continue
        return pool, port
    raise AssertionError("no free ports for a worker pool after 3 tries")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SipSite]:
    yield from open_site(tmp_path, ["sipline"], "sipp", "espeak-ng", "sox", "kamailio",
                         values={"transfer_port": str(free_port())})


def _sip_calls(site: SipSite) -> int:
    assert site.services is not None
    return len(site.services.call_repository.list_calls(limit=1000, channel="sip"))


def test_a_single_worker_refuses_what_it_cannot_hold(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    run = Caller(HOLD_CALL, may_refuse=True).start(worker.port, tmp_path, calls=6, rate=100)
    result = run.wait()
    assert result.returncode == 0, result.stdout + worker.output()
    outcomes = run.outcomes()
    assert outcomes["answered"] + outcomes["refused"] == 6
    assert 1 <= outcomes["answered"] <= 4 and outcomes["refused"] >= 2
    assert worker.process.poll() is None  # still running
    assert _sip_calls(site) == outcomes["answered"]
    again = Caller(HOLD_CALL).call(worker.port, tmp_path)  # and still answers
    assert again.returncode == 0, again.stdout + worker.output()


def test_kamailio_spreads_the_same_load_over_workers(site: SipSite, tmp_path: Path) -> None:
    pool, port = _start_pool(site, tmp_path, workers=3, kamailio=True, grace=2)
    try:
        run = Caller(HOLD_CALL, may_refuse=True).start(port, tmp_path, calls=6, rate=100)
        result = run.wait()
        assert result.returncode == 0, result.stdout
        assert run.outcomes() == {"answered": 6, "refused": 0}
        calls = site.services.call_repository.list_calls(channel="sip")  # type: ignore
        assert len(calls) == 6
        assert len({c.worker for c in calls}) == 3  # two per worker
    finally:
        pool.stop()


def test_a_burst_is_refused_in_part_and_never_kills_the_worker(site: SipSite,
                                                               tmp_path: Path) -> None:
    worker = site.start_worker()
    # 80 new calls per second for 2 seconds: a worker without the gate aborts after ~30.
    run = Caller([("wait", 500), ("bye",)], may_refuse=True).start(
        worker.port, tmp_path, calls=160, rate=80, timeout=60)
    result = run.wait()
    outcomes = run.outcomes()
    assert worker.process.poll() is None, worker.output()
    assert outcomes["refused"] > 0 and outcomes["answered"] > 0, result.stdout
    assert outcomes["answered"] + outcomes["refused"] == 160, result.stdout
    assert sip_options_ping("127.0.0.1", worker.port) == 200


TORTURE = [
    # RFC 4475 3.1.2.2 (content length larger than the message), 3.1.2.4 (request scalar
    # fields with overlarge values), 3.1.2.1 (extraneous header separators), garbage.
    b"INVITE sip:2000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKkdjuw\r\n"
    b"Max-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:2000@127.0.0.1>\r\nCall-ID: t1\r\n"
    b"CSeq: 1 INVITE\r\nContent-Length: 9999\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n",
    b"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP host129.example.com;"
    b"branch=z9hG4bKzzxdiwo34sw;received=255.255.255.255\r\nMax-Forwards: 300\r\n"
    b"From: <sip:2000@127.0.0.1>;tag=239232jh3\r\nTo: <sip:2000@127.0.0.1>\r\n"
    b"Call-ID: t2\r\nCSeq: 36893488147419103232 REGISTER\r\nContent-Length: 0\r\n\r\n",
    b"INVITE sip:2000@127.0.0.1 SIP/2.0\r\nTo: sip:2000@127.0.0.1\r\nFrom: sip:a@b;tag=3\r\n"
    b"Max-Forwards: 7\r\nCall-ID: t3\r\nCSeq: 8 INVITE\r\nVia: SIP/2.0/UDP 127.0.0.1;;,;,,\r\n"
    b"Contact: \"Joe\" <sip:joe@127.0.0.1>;;;;\r\nContent-Length: 0\r\n\r\n",
    b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n"
    b"Call-ID: \r\nCSeq: x\r\n\r\n",
    b"\x00\xff" * 700,
    b"INVITE \r\n\r\n",
]


def test_malformed_sip_crashes_nothing(site: SipSite, tmp_path: Path) -> None:
    worker = site.start_worker()
    pool, proxy_port = _start_pool(site, tmp_path, workers=1, kamailio=True, grace=1)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for message in TORTURE * 3:
                sock.sendto(message, ("127.0.0.1", worker.port))
                sock.sendto(message, ("127.0.0.1", proxy_port))
        time.sleep(1)
        assert worker.process.poll() is None, worker.output()
        assert sip_options_ping("127.0.0.1", worker.port) == 200
        assert sip_options_ping("127.0.0.1", proxy_port) == 200
        result = Caller(HOLD_CALL).call(worker.port, tmp_path)
        assert result.returncode == 0, result.stdout + worker.output()
    finally:
        pool.stop()


def test_a_dead_worker_is_restarted_and_its_calls_marked_ended(site: SipSite,
                                                               tmp_path: Path) -> None:
    pool, port = _start_pool(site, tmp_path, workers=1, kamailio=False, grace=1)
    stop = threading.Event()
    watcher = threading.Thread(target=pool.supervise, args=(stop.is_set,), daemon=True)
    watcher.start()
    try:
        run = Caller([("wait", 20000), ("bye",)]).start(port, tmp_path, timeout=30)
        repo = site.services.call_repository  # type: ignore[union-attr]
        deadline = time.monotonic() + 10
        while not repo.list_calls(channel="sip") and time.monotonic() < deadline:
            time.sleep(0.1)
        [live] = repo.list_calls(channel="sip")
        assert live.ended_at is None
        first = pool.workers[0].process
        assert first is not None
        os.kill(first.pid, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            call = repo.get(live.id)
            if call is not None and call.ended_at and pool.workers[0].process is not first \
                    and sip_options_ping("127.0.0.1", port) == 200:
                break
            time.sleep(0.2)
        call = repo.get(live.id)
        assert call is not None and call.outcome == "worker-died" and call.ended_at
        assert pool.workers[0].process is not first
        assert sip_options_ping("127.0.0.1", port) == 200  # the new worker answers
        run.process.kill()
    finally:
        stop.set()
        watcher.join(5)
        pool.stop()


def test_sigterm_refuses_new_calls_and_lets_live_ones_finish(site: SipSite,
                                                             tmp_path: Path) -> None:
    site.extra_env["VOICE_SIP_GRACE"] = "20"
    worker = site.start_worker()
    live = Caller([("wait", 4500), ("keys", "2"), ("expect_bye", 20000)]).start(
        worker.port, tmp_path)
    time.sleep(3)
    worker.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    late = Caller([], expect=503).call(worker.port, tmp_path)
    assert late.returncode == 0, late.stdout + worker.output()
    result = live.wait()
    assert result.returncode == 0, result.stdout + worker.output()
    assert worker.process.wait(15) == 0
    [call] = site.services.call_repository.list_calls(channel="sip")  # type: ignore
    assert ("hold", "timeout") in [(s.node, s.outcome) for s in call.path]
    assert call.ended_at is not None
