"""Kamailio in front of media workers: real Kamailio, SIPp workers and SIPp callers, loopback.

The workers are SIPp UAS instances (``tests/fixtures/sip/uas_answer.xml`` answers every call,
``uas_busy.xml`` refuses every INVITE with 503 like a full worker); both answer OPTIONS
keepalives. Each runs with ``-trace_msg`` so a test reads which calls reached it and with
which headers. Callers are SIPp UACs whose scenarios are written below (they follow the
Record-Route set, so ACK and BYE go through Kamailio). Under CI=true a missing kamailio or
sipp fails the tests; elsewhere they are skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from voice.sip.errors import KamailioError
from voice.sip.kamailio import KamailioProcess, render_config, sip_options_ping

HOST = "127.0.0.1"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sip"
SPOOFED_SOURCE = "203.0.113.66"

_INVITE = """
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: caller <sip:caller@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
      X-Voice-Source: SPOOFED_SOURCE
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
""".replace("SPOOFED_SOURCE", SPOOFED_SOURCE)

_IN_DIALOG = """
      {method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: caller <sip:caller@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Max-Forwards: 70
      Content-Length: 0
"""

# A caller that expects 200, sends ACK and (after -d ms) BYE along the Record-Route set.
CALLER_ANSWERED = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller expecting 200">
  <send retrans="500"><![CDATA[{_INVITE}
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[{_IN_DIALOG.format(method="ACK", cseq=1)}
  ]]></send>
  <pause/>
  <send retrans="500"><![CDATA[{_IN_DIALOG.format(method="BYE", cseq=2)}
  ]]></send>
  <recv response="200"/>
</scenario>
"""

# A caller that expects a final CODE and ACKs it (same branch as the INVITE: [branch-3]).
CALLER_REFUSED = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller expecting CODE">
  <send retrans="500"><![CDATA[INVITE_TEXT
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="CODE">RETRY_AFTER_CHECK</recv>
  <send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-3]
      From: caller <sip:caller@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  RETRY_AFTER_REFERENCE
</scenario>
""".replace("INVITE_TEXT", _INVITE)

RETRY_AFTER_CHECK = """
    <action><ereg regexp="[0-9]+" search_in="hdr" header="Retry-After:" check_it="true"
                  assign_to="retry_after"/></action>
"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _kamailio() -> str | None:
    return shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin")


@pytest.fixture(autouse=True)
def _tools() -> None:
    """Skip without kamailio/sipp; under CI=true fail instead."""
    missing = [name for name, path in (("kamailio", _kamailio()), ("sipp", shutil.which("sipp")))
               if path is None]
    if missing:
        message = f"{' and '.join(missing)} not installed (apt-get install kamailio sip-tester)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Worker:
    """A SIPp UAS standing in for a media worker; remembers the INVITEs it received."""

    def __init__(self, scenario: str, port: int, directory: Path) -> None:
        self.port = port
        self.messages = directory / f"worker-{port}.msg"
        self.process = subprocess.Popen(
            ["sipp", "-sf", str(FIXTURES / scenario), "-i", HOST, "-p", str(port), "-nostdin",
             "-trace_msg", "-message_file", str(self.messages)],
            cwd=directory, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 5
        try:
            while sip_options_ping(HOST, port, timeout=0.2) != 200:
                assert self.process.poll() is None, f"sipp worker on {port} exited"
                assert time.monotonic() < deadline, \
                    f"sipp worker on {port} does not answer OPTIONS"
        except AssertionError:
            self.stop()  # never leave a stand-in running behind a failed test
            raise

    def received(self) -> list[str]:
        """The SIP requests this worker received, oldest first (start line and headers)."""
        if not self.messages.exists():
            return []
        blocks = self.messages.read_text(errors="replace").split("message received")
        return [block.split(":", 1)[1].strip() for block in blocks[1:]]

    def invites(self) -> dict[str, list[str]]:
        """Call-ID -> the X-Voice-Source values of each distinct INVITE received."""
        calls: dict[str, list[str]] = {}
        for message in self.received():
            if message.startswith("INVITE "):
                call_id = re.search(r"^Call-ID:\s*(\S+)", message, re.M | re.I)
                sources = re.findall(r"^X-Voice-Source:\s*(\S+)", message, re.M | re.I)
                calls[call_id.group(1) if call_id else "?"] = sources
        return calls

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Factory: ``workers("uas_answer.xml")`` starts a worker stand-in on a free port."""
    started: list[Worker] = []

    def start(scenario: str, port: int | None = None) -> Worker:
        worker = Worker(scenario, port or free_udp_port(), tmp_path)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def kamailio(tmp_path: Path) -> Iterator[Callable[..., KamailioProcess]]:
    """Factory: render a config for the given worker ports and start Kamailio on a free port."""
    started: list[KamailioProcess] = []

    def start(ports: list[int], *, allow: tuple[str, ...] = ("127.0.0.0/8",),
              **options: int) -> KamailioProcess:
        port = free_udp_port()
        run_dir = tmp_path / f"kamailio-{port}"
        cfg = render_config(host=HOST, port=port, workers=[(HOST, p) for p in ports],
                            allow=list(allow), run_dir=run_dir, **options)
        process = KamailioProcess(cfg, host=HOST, port=port, run_dir=run_dir)
        started.append(process)
        process.start()
        return process

    yield start
    for process in started:
        process.stop()


def call(proxy: KamailioProcess, directory: Path, *, calls: int = 1, expect: int = 200,
         hold_ms: int = 0, rate: int = 10) -> None:
    """Place ``calls`` SIPp calls through ``proxy`` (up to all at once); each must get ``expect``.

    Answered calls are held ``hold_ms`` before the caller hangs up, so they overlap.
    """
    if expect == 200:
        text = CALLER_ANSWERED
    else:
        check = RETRY_AFTER_CHECK if expect == 503 else ""
        reference = '<Reference variables="retry_after"/>' if expect == 503 else ""
        text = (CALLER_REFUSED.replace("CODE", str(expect))
                .replace("RETRY_AFTER_CHECK", check).replace("RETRY_AFTER_REFERENCE", reference))
    scenario = directory / f"caller-{expect}.xml"
    scenario.write_text(text)
    errors = directory / f"caller-{expect}-errors.log"
    done = subprocess.run(
        ["sipp", "-sf", str(scenario), "-i", HOST, "-p", str(free_udp_port()),
         f"{proxy.host}:{proxy.port}", "-m", str(calls), "-l", str(calls), "-r", str(rate),
         "-d", str(hold_ms), "-nostdin", "-timeout", "12", "-timeout_error",
         "-trace_err", "-error_file", str(errors)],
        cwd=directory, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20,
        check=False,
    )
    if done.returncode != 0:
        detail = (errors.read_text(errors="replace") if errors.exists() else done.stdout)[-3000:]
        pytest.fail(f"caller expecting {expect} failed (sipp exit {done.returncode}):\n{detail}\n"
                    f"--- kamailio log ---\n{proxy.log_tail(40)}")


def call_in_background(proxy: KamailioProcess, directory: Path, *, hold_ms: int,
                       first_worker: Worker) -> Callable[[], None]:
    """Start one answered call held ``hold_ms``; wait until it reached ``first_worker``.

    Returns ``finish()``, which waits for the call to end and fails if it failed.
    """
    directory.mkdir()
    errors: list[BaseException] = []
    seen = len(first_worker.invites())

    def run() -> None:
        try:
            call(proxy, directory, hold_ms=hold_ms)
        except BaseException as exc:  # pytest.fail raises a BaseException subclass
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 5
    while len(first_worker.invites()) == seen:
        assert time.monotonic() < deadline, proxy.log_tail()
        time.sleep(0.05)

    def finish() -> None:
        thread.join(timeout=hold_ms / 1000 + 10)
        assert not errors, errors

    return finish


def test_calls_are_spread_over_workers_by_current_load(workers, kamailio, tmp_path: Path) -> None:
    one, two = workers("uas_answer.xml"), workers("uas_answer.xml")
    proxy = kamailio([one.port, two.port])

    call(proxy, tmp_path, calls=4, hold_ms=1500, rate=20)   # 4 calls up at the same time

    # Call load distribution: each new call goes to the worker holding fewer calls -> 2 + 2.
    assert len(one.invites()) == 2, proxy.log_tail()
    assert len(two.invites()) == 2, proxy.log_tail()


def test_new_calls_go_to_the_least_loaded_worker(workers, kamailio, tmp_path: Path) -> None:
    one, two = workers("uas_answer.xml"), workers("uas_answer.xml")
    proxy = kamailio([one.port, two.port])

    finish = call_in_background(proxy, tmp_path / "long", hold_ms=3000, first_worker=one)
    call(proxy, tmp_path, calls=3, rate=10)  # short calls, one after the other

    # Round-robin would alternate; by load, all three avoid the worker holding the long call.
    assert len(two.invites()) == 3, proxy.log_tail()
    assert len(one.invites()) == 1
    finish()


def test_worker_gets_x_voice_source_and_spoofed_one_is_dropped(
    workers, kamailio, tmp_path: Path
) -> None:
    worker = workers("uas_answer.xml")
    proxy = kamailio([worker.port])

    call(proxy, tmp_path)

    (sources,) = worker.invites().values()
    assert sources == [HOST]            # the caller's own X-Voice-Source (spoofed) is gone
    assert SPOOFED_SOURCE not in "\n".join(worker.received())


def test_full_worker_503_fails_over_to_the_other(workers, kamailio, tmp_path: Path) -> None:
    full, free = workers("uas_busy.xml"), workers("uas_answer.xml")
    proxy = kamailio([full.port, free.port])

    call(proxy, tmp_path, calls=3, rate=5)

    assert len(full.invites()) >= 1      # was tried first (listed first, equal load)...
    assert len(free.invites()) == 3      # ...and every call was answered by the other one


def wait_for_log(proxy: KamailioProcess, text: str, timeout: float = 6) -> None:
    """Wait until Kamailio's log contains ``text``."""
    deadline = time.monotonic() + timeout
    while text not in proxy.log_tail(100_000):
        assert time.monotonic() < deadline, f"no {text!r} in:\n{proxy.log_tail()}"
        time.sleep(0.05)


def test_dead_worker_fails_over_on_timeout(workers, kamailio, tmp_path: Path) -> None:
    dead_port = free_udp_port()  # nothing listens here
    alive = workers("uas_answer.xml")
    # Keepalives far apart: only the failure route can notice the dead worker here.
    proxy = kamailio([dead_port, alive.port], fr_timer_ms=1000, ping_interval=60)

    call(proxy, tmp_path)  # waits out fr_timer (1 s) on the dead worker, then fails over
    assert len(alive.invites()) == 1
    wait_for_log(proxy, f"media worker sip:{HOST}:{dead_port} is down")

    call(proxy, tmp_path)  # equal load again, but the dead worker is marked: not tried
    assert len(alive.invites()) == 2
    assert proxy.log_tail(100_000).count("did not answer") == 1


def test_dead_worker_is_taken_out_by_keepalives_and_put_back(
    workers, kamailio, tmp_path: Path
) -> None:
    dead_port = free_udp_port()  # nothing listens here
    alive = workers("uas_answer.xml")
    proxy = kamailio([dead_port, alive.port], fr_timer_ms=1000)  # OPTIONS every second

    wait_for_log(proxy, f"media worker sip:{HOST}:{dead_port} is down")
    call(proxy, tmp_path, calls=2, rate=5)
    assert len(alive.invites()) == 2
    assert "did not answer" not in proxy.log_tail(100_000)  # never tried

    revived = workers("uas_answer.xml", port=dead_port)
    wait_for_log(proxy, f"media worker sip:{HOST}:{dead_port} is up again")
    call(proxy, tmp_path, calls=2, hold_ms=1000, rate=20)  # two overlapping calls
    assert len(revived.invites()) == 1  # back in the rotation
    assert len(alive.invites()) == 3


def test_all_workers_full_caller_gets_503_with_retry_after(
    workers, kamailio, tmp_path: Path
) -> None:
    one, two = workers("uas_busy.xml"), workers("uas_busy.xml")
    proxy = kamailio([one.port, two.port], max_load=1)

    call(proxy, tmp_path, expect=503)       # the caller scenario also requires Retry-After
    assert len(one.invites()) == 1 and len(two.invites()) == 1

    # The failed call left no load behind (max_load=1 would refuse without asking them).
    call(proxy, tmp_path, expect=503)
    assert len(one.invites()) == 2 and len(two.invites()) == 2


def test_max_load_caps_calls_per_worker(workers, kamailio, tmp_path: Path) -> None:
    worker = workers("uas_answer.xml")
    proxy = kamailio([worker.port], max_load=1)

    finish = call_in_background(proxy, tmp_path / "held", hold_ms=2000, first_worker=worker)
    call(proxy, tmp_path, expect=503)       # worker at maxload: Kamailio refuses by itself
    assert len(worker.invites()) == 1
    finish()

    call(proxy, tmp_path)                   # the BYE took the held call off the worker's load
    assert len(worker.invites()) == 2


def test_caller_outside_allow_list_gets_403_and_no_worker_sees_it(
    workers, kamailio, tmp_path: Path
) -> None:
    worker = workers("uas_answer.xml")
    proxy = kamailio([worker.port], allow=("10.0.0.0/8",))

    call(proxy, tmp_path, expect=403)

    assert worker.invites() == {}
    assert sip_options_ping(HOST, proxy.port) == 200  # local health check still answered


def test_render_config_reports_kamailio_errors(tmp_path: Path) -> None:
    good = dict(host=HOST, port=free_udp_port(), workers=[(HOST, free_udp_port())],
                allow=["127.0.0.0/8"])
    broken = tmp_path / "broken.cfg.j2"
    broken.write_text('#!KAMAILIO\nlisten=udp:{{ listen }}\nloadmodule "no_such_module.so"\n')
    with pytest.raises(KamailioError, match="no_such_module"):
        render_config(**good, run_dir=tmp_path / "a", template=broken)

    with pytest.raises(KamailioError, match="could not resolve"):
        render_config(**{**good, "host": "no-such-host.invalid"}, run_dir=tmp_path / "b")

    undefined = tmp_path / "undefined.cfg.j2"
    undefined.write_text("listen=udp:{{ no_such_value }}\n")
    with pytest.raises(KamailioError, match="no_such_value"):
        render_config(**good, run_dir=tmp_path / "c", template=undefined)

    with pytest.raises(KamailioError, match="allow"):
        render_config(**{**good, "allow": ["10.0.0.0/33"]}, run_dir=tmp_path / "d")


def test_process_start_failure_and_lifecycle(tmp_path: Path) -> None:
    port = free_udp_port()
    cfg = render_config(host=HOST, port=port, workers=[(HOST, free_udp_port())],
                        allow=["127.0.0.0/8"], run_dir=tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((HOST, port))
        process = KamailioProcess(cfg, host=HOST, port=port, start_timeout=5)
        with pytest.raises(KamailioError, match="kamailio exited"):
            process.start()
        assert not process.alive()

    with KamailioProcess(cfg, host=HOST, port=port) as process:
        assert process.alive()
        assert sip_options_ping(HOST, port) == 200
    assert not process.alive()
    assert sip_options_ping(HOST, port, timeout=0.3) is None
