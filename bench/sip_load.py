"""SIP load: call setup rate, held conversations per machine, prompt latency (pjsua2 + Kamailio).

The SIP side as ``voice sip --kamailio --workers N`` runs it: a ``WorkerPool`` of N pjsua2 media
workers (``voice.sip.process --timing``) behind Kamailio on a free loopback UDP port, in a
temporary data directory (SQLite, published bench flow, prompts rendered by espeak-ng on
first use). Callers are SIPp UACs (scenarios written below) that follow Kamailio's
Record-Route for ACK, BYE and keys (RFC 2833 from SIPp's own pcaps). Every call is recorded
(two channels) by the worker that holds it.

1. Call setup rate (``--workers``, 30): short calls (INVITE, 200, ACK, 1 s, BYE) at stepped
   rates; per rate the calls attempted, answered and failed (a 503 is a failure here),
   INVITE->200 from SIPp's response-time trace (``rtd`` on the 200, ``-trace_rtt -rtt_freq
   1``), CPU of the workers, SIPp and the machine, and the highest rate with no failure.
2. Held conversations (a second pool, ``--hold-workers``, sized for the largest step): steps
   of ``--hold-calls`` callers ramped at ``--ramp``/s; each hears the greeting and the menu,
   presses 1, hears a prompt and waits in a queue with hold music until ``--hold-seconds``
   after its 200 (recording on), then hangs up. CPU % and RSS of every worker (from /proc)
   while all calls of the step are up, Kamailio's CPU and memory, SIPp, the machine. A call
   counts as held only if SIPp completed it and the call log shows it queued, ended and with
   a recording filed; a worker that dies fails the step. Stops at the first failed step.
3. Prompt latency from the workers' timing log (``voice.sip.timing``): answer -> first prompt
   audio, INVITE -> first prompt audio and key -> next prompt audio, at light load (4 calls at
   once) and under the largest step of figure 2.

No supervisor runs: a worker that dies stays dead (reported, and Kamailio fails over).

Run: ``.venv/bin/python bench/sip_load.py [--workers 30] [--rates 10,20,30,40] [--duration 10]
[--hold-calls 40,70,100] [--hold-workers 55] [--hold-seconds 30] [--ramp 10] [--skip-hold]
[--quick]`` (``SIP_BENCH_KEEP=1`` keeps the temporary folder with every log.)
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from common import percentile  # noqa: E402

NUMBER = "3000"
SIPP_PCAPS = Path("/usr/share/sip-tester")
TICK = os.sysconf("SC_CLK_TCK")
TARGET_RATE, TARGET_SETUP_P99 = 20, 200.0
TARGET_HELD = 100
TARGET_KEY_P95, TARGET_ANSWER_P95 = 300.0, 1000.0
KEY_AT_MS = 3500  # after the 200: greeting and menu prompt (~2.5 s together) are over
SHORT_CALL_MS = 1000
STOP_FAILURES: list[str] = []  # what WorkerPool.stop() left to clean up

FLOW = """\
# The SIP bench line (bench/sip_load.py): a greeting, a menu, a prompt, a queue with music.
id: sipbench
name: SIP bench line
start: hello
numbers: ["3000"]
record: true
defaults: {language: en-US, timeout: 8, retries: 1}
nodes:
  hello:
    type: say
    text: "Hello."
    next: menu
  menu:
    type: menu
    prompt: "Press 1 to wait for an agent."
    choices: {"1": thanks}
    no_input: "Nothing heard."
    no_match: "Not an option."
    retries: 1
    failure: hold
  thanks:
    type: say
    text: "Thank you. Please hold."
    next: hold
  hold:
    type: queue
    queue: general
    announce_position: false
    max_wait: 3600
    on_timeout: bye
  bye:
    type: hangup
    text: "Goodbye."
"""


# -- SIPp scenarios ---------------------------------------------------------------------------
_SDP = """v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
"""


def _request(method: str, cseq: int, caller: str, *, initial: bool = False,
             body: str = "") -> str:
    """A request of the dialog; in-dialog ones follow the Record-Route set (Kamailio).

    The INVITE and the ACK of a refusal share one branch (the ACK belongs to its transaction).
    """
    target = "sip:[service]@[remote_ip]:[remote_port]" if initial else "[next_url]"
    text = (f"{method} {target} SIP/2.0\n"
            f"Via: SIP/2.0/[transport] [local_ip]:[local_port];branch="
            f"{'z9hG4bK-inv-[pid]-[call_number]' if initial else '[branch]'}\n"
            + ("" if initial else "[routes]\n")
            + f"From: caller <sip:{caller}@[local_ip]:[local_port]>"
            + ";tag=[pid]SIPpTag00[call_number]\n"
            + "To: <sip:[service]@[remote_ip]:[remote_port]>"
            + ("" if method == "INVITE" else "[peer_tag_param]") + "\n"
            + f"Call-ID: [call_id]\nContact: <sip:{caller}@[local_ip]:[local_port]>\n"
            + f"Max-Forwards: 70\nCSeq: {cseq} {method}\n")
    if body:
        return text + f"Content-Type: application/sdp\nContent-Length: [len]\n\n{body}"
    return text + "Content-Length: 0\n\n"


def scenario(caller: str, middle: str) -> str:
    """INVITE; a 503 is ACKed and logged 'refused'; on 200: ACK, ``middle``, BYE, 'ok'."""
    send, end = "<send retrans=\"500\"><![CDATA[\n", "]]></send>\n"
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="sip bench caller">\n'
        + send + _request("INVITE", 1, caller, initial=True, body=_SDP) + end
        + '<recv response="100" optional="true"/>\n<recv response="180" optional="true"/>\n'
        '<recv response="183" optional="true"/>\n'
        '<recv response="503" optional="true" next="refused"/>\n'
        '<recv response="200" rtd="true" rrs="true"/>\n'
        + "<send><![CDATA[\n" + _request("ACK", 1, caller) + end + middle
        + send + _request("BYE", 2, caller) + end + '<recv response="200"/>\n'
        '<nop><action><log message="ok [call_id]"/></action></nop>\n<nop next="done"/>\n'
        '<label id="refused"/>\n<send><![CDATA[\n'
        + _request("ACK", 1, caller, initial=True) + end
        + '<nop><action><log message="refused [call_id]"/></action></nop>\n'
        '<label id="done"/>\n</scenario>\n')


def short_call() -> str:
    return scenario("+15550101", f'<pause milliseconds="{SHORT_CALL_MS}"/>\n')


def menu_call(hold_ms: int) -> str:
    """Wait for the menu, press 1 (RFC 2833), hold until ``hold_ms`` after the 200."""
    key = SIPP_PCAPS / "dtmf_2833_1.pcap"
    return scenario("+15550102", (
        f'<pause milliseconds="{KEY_AT_MS}"/>\n'
        f'<nop><action><exec play_pcap_audio="{key}"/></action></nop>\n'
        f'<pause milliseconds="{max(500, hold_ms - KEY_AT_MS)}"/>\n'))


# -- processes ----------------------------------------------------------------------------------
def free_udp_port() -> int:
    """A port free for UDP (and TCP) on 127.0.0.1 right now."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as other:
            try:
                other.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def free_udp_block(count: int) -> int:
    """A port P such that P..P+count are free for UDP (Kamailio + the workers after it).

    Taken below the kernel's ephemeral range (32768+), where any process's bind(0) could take
    a port of the block before its worker starts, and above the workers' RTP port blocks
    (10000-29999, see ``voice.sip.worker``) when it fits.
    """
    rng = random.Random()
    low = 30000 if count < 2000 else 20000
    for _ in range(200):
        base = rng.randrange(low, 32700 - count)
        socks = []
        try:
            for port in range(base, base + count + 1):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise SystemExit(f"no block of {count + 1} free UDP ports on 127.0.0.1")


def proc_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of one process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, ValueError, IndexError):
        return None


def proc_rss_mb(pid: int, key: str = "VmRSS") -> float | None:
    """VmRSS of a process in MB (or Pss with key='Pss', from smaps_rollup)."""
    name = "smaps_rollup" if key == "Pss" else "status"
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def descendants(pid: int) -> list[int]:
    """pid and every process below it."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                with suppress(OSError):
                    todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def machine_busy() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine, wall clock) now."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / TICK, time.monotonic()


@dataclass
class Site:
    """Temporary data directory, database with the bench flow published, worker environment."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    def prepare(self):  # -> voice.compose.Services
        from voice.compose import build_services
        from voice.flows.catalog import publish_flows
        from voice.settings import load_settings
        from voice.store.migrate import upgrade

        flows = self.root / "flows"
        flows.mkdir(parents=True)
        (flows / "sipbench.yaml").write_text(FLOW)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_")}
        self.env.update({
            "VOICE_DATA_DIR": str(self.root / "data"),
            "VOICE_DATABASE_URL": f"sqlite:///{self.root / 'data' / 'voice.db'}",
            "VOICE_FLOWS_DIR": str(flows),
            "VOICE_SCHEDULES_FILE": str(ROOT / "config" / "schedules.yaml"),
            "VOICE_PROMPTS_DIR": str(self.root / "prompts"),
            "VOICE_LOG_LEVEL": "INFO",
            "VOICE_SIP_GRACE": "3",
        })
        (self.root / "data").mkdir()
        settings = load_settings(self.env)
        upgrade(settings.database_url)
        services = build_services(settings)
        publish_flows(services, paths=None, published_by="bench")
        return services


@contextmanager
def worker_pool(services, site: Site, workers: int, port: int,
                log_path: Path) -> Iterator[object]:
    """A WorkerPool (N workers + Kamailio on ``port``); its workers log to ``log_path``."""
    import voice.sip.supervisor as supervisor
    from voice.sip.supervisor import WorkerPool

    # start() launches every worker at once and gives each 30 s from when it starts waiting;
    # on 2 cores N workers need ~3 s of CPU each to import and start, so allow for that.
    supervisor.START_TIMEOUT = max(supervisor.START_TIMEOUT, 30.0 + 3.0 * workers)
    pool = WorkerPool(services.settings, services.call_repository, host="127.0.0.1",
                      port=port, workers=workers, kamailio=True, run_dir=site.root / "run",
                      grace=3, env=site.env, worker_args=["--timing"])
    saved = os.dup(2)
    try:
        # The workers' output goes to the supervisor's stderr: point fd 2 at the log while
        # they are launched (they keep it), then give it back.
        with log_path.open("ab") as log:
            os.dup2(log.fileno(), 2)
            try:
                pool.start()
            finally:
                os.dup2(saved, 2)
        yield pool
    finally:
        os.close(saved)
        try:
            pool.stop()
        except Exception as exc:  # see bench/README.md: stop() can give up half way
            STOP_FAILURES.append(f"WorkerPool.stop() raised {exc!r}")
        # whatever stop() left behind: workers still running, Kamailio
        for worker in pool.workers:
            if worker.process is not None and worker.process.poll() is None:
                STOP_FAILURES.append(f"worker {worker.name} still running after stop()")
                worker.process.kill()
                with suppress(subprocess.TimeoutExpired):
                    worker.process.wait(30)
        for worker in pool.workers:
            process = worker.process
            if process is not None and process.returncode not in (0, None) \
                    and process.pid not in DIED:
                STOP_FAILURES.append(f"worker {worker.name} exited with {process.returncode}")
        if pool.proxy is not None and pool.proxy.alive():
            STOP_FAILURES.append("Kamailio still running after stop()")
        if pool.proxy is not None:
            pool.proxy.stop()


class Sipp:
    """SIPp runs of one benchmark; any still running are killed by ``close``."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.running: list[subprocess.Popen[str]] = []
        self.count = 0

    def run(self, xml: str, *, calls: int, rate: float, limit: int | None,
            timeout: float) -> SippResult:
        self.count += 1
        name = f"run{self.count}"
        folder = self.folder / name
        folder.mkdir(parents=True)
        script = folder / f"{name}.xml"
        script.write_text(xml)
        command = ["sipp", "-sf", str(script), f"127.0.0.1:{self.port}", "-s", NUMBER,
                   "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mp", str(free_udp_port()),
                   "-m", str(calls), "-r", str(rate), "-rp", "1000", "-nostdin",
                   "-timeout", f"{int(timeout)}s", "-timeout_error",
                   "-trace_logs", "-log_file", str(folder / "calls.log"),
                   "-trace_err", "-error_file", str(folder / "errors.log"),
                   "-trace_stat", "-stf", str(folder / "stat.csv"), "-fd", "1",
                   "-trace_rtt", "-rtt_freq", "1"]
        if limit:
            command += ["-l", str(limit)]
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        self.running.append(process)
        started, usage = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            out, _ = process.communicate(timeout=timeout + 20)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
        self.running.remove(process)
        done = resource.getrusage(resource.RUSAGE_CHILDREN)  # only SIPp is reaped meanwhile
        result = SippResult.read(folder, process.pid, process.returncode, out,
                                 time.monotonic() - started)
        result.cpu = (done.ru_utime + done.ru_stime) - (usage.ru_utime + usage.ru_stime)
        return result

    def start(self, xml: str, **kwargs: object) -> tuple[threading.Thread, list[SippResult]]:
        """``run`` in a thread; the result list gets the one result when it is done."""
        results: list[SippResult] = []
        thread = threading.Thread(target=lambda: results.append(self.run(xml, **kwargs)),
                                  daemon=True)
        thread.start()
        return thread, results

    def close(self) -> None:
        for process in list(self.running):
            with suppress(ProcessLookupError):
                process.kill()
            with suppress(subprocess.TimeoutExpired):
                process.wait(5)


@dataclass
class SippResult:
    pid: int
    returncode: int
    created: int
    ok: int
    refused: int
    setup_ms: list[float]
    wall: float
    output: str
    errors: str
    cpu: float = 0.0  # SIPp's CPU seconds

    @property
    def failed(self) -> int:
        return self.created - self.ok

    @classmethod
    def read(cls, folder: Path, pid: int, returncode: int, output: str,
             wall: float) -> SippResult:
        log = (folder / "calls.log").read_text(errors="replace") \
            if (folder / "calls.log").exists() else ""
        created = 0
        stat = folder / "stat.csv"
        if stat.exists():
            rows = [line.split(";") for line in stat.read_text().splitlines() if line.strip()]
            if len(rows) >= 2:
                created = int(rows[-1][rows[0].index("TotalCallCreated")])
        setup = []
        for rtt in folder.glob("*_rtt.csv"):
            for line in rtt.read_text().splitlines()[1:]:
                parts = line.split(";")
                with suppress(ValueError, IndexError):
                    setup.append(float(parts[1]))
        errors = (folder / "errors.log").read_text(errors="replace") \
            if (folder / "errors.log").exists() else ""
        return cls(pid, returncode, created, log.count("ok "), log.count("refused "), setup,
                   wall, output, errors)


# -- the worker log -----------------------------------------------------------------------------
_TIMING = re.compile(r"call (\S+) ((?:\w+_to_audio_ms=[\d.]+ ?)+)")


def timings(log_path: Path, pid: int) -> dict[str, list[float]]:
    """answer->audio, INVITE->audio and key->audio ms of the calls of the SIPp run ``pid``
    (SIPp's Call-IDs are N-PID@host), from the workers' voice.sip.timing lines."""
    found: dict[str, list[float]] = {"answer_to_audio_ms": [], "invite_to_audio_ms": [],
                                     "key_to_audio_ms": []}
    for match in _TIMING.finditer(log_path.read_text(errors="replace")):
        call_id, pairs = match.groups()
        if call_id.split("@")[0].rsplit("-", 1)[-1] != str(pid):
            continue
        for pair in pairs.split():
            name, _, value = pair.partition("=")
            found.setdefault(name, []).append(float(value))
    return found


def log_problems(log_path: Path) -> list[str]:
    """Worker log lines that report an error."""
    return [line for line in log_path.read_text(errors="replace").splitlines()
            if " ERROR " in line or "Traceback" in line or " CRITICAL " in line]


# -- figures ------------------------------------------------------------------------------------
def stats(values: list[float]) -> str:
    """'p50 / p95 / p99' in ms, or '-'."""
    if not values:
        return "-"
    return (f"{statistics.median(values):.0f} / {percentile(values, 95):.0f} / "
            f"{percentile(values, 99):.0f}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def table(head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *rows]:
        print("  " + "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True))))


IDLE = {"total": 0.0}  # CPU % (of one core) of all workers together while no call is up


def workers_cpu(pool) -> float:
    return sum(proc_cpu(w.process.pid) or 0.0 for w in pool.workers)


def measure_idle(pool, seconds: float = 3.0) -> float:
    """CPU % of one core the idle workers use together (pjsua event loop, media clock)."""
    before, start = workers_cpu(pool), time.monotonic()
    time.sleep(seconds)
    IDLE["total"] = 100 * (workers_cpu(pool) - before) / (time.monotonic() - start)
    return IDLE["total"]


def settle(pool, seconds: float = 20.0) -> None:
    """Wait (at most ``seconds``) until the workers are about idle again (recordings filed)."""
    deadline = time.monotonic() + seconds
    before = workers_cpu(pool)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = workers_cpu(pool)
        if (now - before) * 100 <= IDLE["total"] * 1.25 + 10:
            return
        before = now


DIED: dict[int, str] = {}  # worker pid -> what was reported about its death


def deaths(pool, during: str) -> int:
    """Report workers that exited since the last check (the bench runs no supervisor, so a
    dead worker stays dead and Kamailio fails over); return how many are new."""
    new = 0
    for worker in pool.workers:
        process = worker.process
        if process is None or process.pid in DIED or process.poll() is None:
            continue
        status = process.returncode
        name = signal.Signals(-status).name if status < 0 else f"status {status}"
        DIED[process.pid] = f"{worker.name} (pid {process.pid}) died during {during}: {name}"
        print(f"  WORKER DIED: {DIED[process.pid]}", flush=True)
        new += 1
    return new


def machine_pct(before: tuple[float, float], after: tuple[float, float]) -> float:
    """Busy % of the whole machine (all cores) between two machine_busy() readings."""
    return 100 * (after[0] - before[0]) / max(after[1] - before[1], 1e-9) / (os.cpu_count() or 1)


def others_pct(pool, seconds: float = 2.0) -> float:
    """Busy % of the machine not spent by the workers or Kamailio (another test run...)."""
    kamailio = Sampler(pool)
    first, machine = workers_cpu(pool) + kamailio.cpu()[1], machine_busy()
    time.sleep(seconds)
    ours = workers_cpu(pool) + kamailio.cpu()[1] - first
    total = machine_pct(machine, machine_busy())
    return max(0.0, total - 100 * ours / seconds / (os.cpu_count() or 1))


def figure_rates(sipp: Sipp, pool, log_path: Path, rates: list[int],
                 duration: float) -> None:
    workers = len(pool.workers)
    print(f"\nFigure 1: new calls per second through Kamailio, {workers} workers ({2 * workers} "
          f"callers); short calls (200, ACK, {SHORT_CALL_MS / 1000:g} s, BYE), {duration:g} s "
          f"per rate; a 503 counts as failed; other processes used {others_pct(pool):.0f}% "
          "of the machine just before")
    rows, best = [], None
    for rate in rates:
        calls = max(1, round(rate * duration))
        concurrent = rate * (SHORT_CALL_MS / 1000 + 0.1)
        if concurrent > 2 * workers:
            print(f"  note: {rate}/s keeps ~{concurrent:.0f} calls up, more than the "
                  f"{2 * workers} the workers hold")
        before, cpu_before = machine_busy(), workers_cpu(pool)
        result = sipp.run(short_call(), calls=calls, rate=rate, limit=None,
                          timeout=duration + 40)
        after, cpu_after = machine_busy(), workers_cpu(pool)
        answer = timings(log_path, result.pid)["answer_to_audio_ms"]
        wall = after[1] - before[1]
        died = deaths(pool, f"figure 1 at {rate}/s")
        rows.append([f"{rate}/s", str(result.created), str(result.ok), str(result.failed),
                     str(result.refused), str(died), stats(result.setup_ms), stats(answer),
                     f"{100 * (cpu_after - cpu_before) / wall:.0f}%",
                     f"{100 * result.cpu / wall:.0f}%", f"{machine_pct(before, after):.0f}%"])
        if result.created == calls and result.failed == 0 and not died and result.setup_ms \
                and (best is None or rate > best[0]):
            best = (rate, percentile(result.setup_ms, 99))
        if result.failed and result.errors:
            events = [line for line in result.errors.splitlines()
                      if re.match(r"\d{4}-\d\d-\d\d", line)]
            print(f"  {rate}/s SIPp events: {len(events)}, e.g."
                  + "".join(f"\n    {line.split(': ', 1)[-1][:150]}" for line in events[:3]))
        settle(pool)
    table(["rate", "attempted", "answered", "failed", "of them 503", "workers died",
           "INVITE->200 ms p50/p95/p99", "answer->audio ms p50/p95/p99", "workers CPU",
           "SIPp CPU", "machine"], rows)
    print("  (CPU: % of one core over the run of the rate; machine: % of all cores, "
          "everything included)")
    if best is None:
        print(f"RESULT figure 1: no rate without failures  target >= {TARGET_RATE}/s with "
              f"p99 <= {TARGET_SETUP_P99:g} ms: MISS")
        return
    ok = best[0] >= TARGET_RATE and best[1] <= TARGET_SETUP_P99
    print(f"RESULT figure 1: highest rate with 0 failures {best[0]}/s, INVITE->200 p99 "
          f"{best[1]:.0f} ms  target >= {TARGET_RATE}/s with p99 <= {TARGET_SETUP_P99:g} ms: "
          f"{verdict(ok)}")


class Sampler:
    """CPU and RSS of the workers and Kamailio, sampled every second in a thread."""

    def __init__(self, pool) -> None:
        self.workers = {w.name: w.process.pid for w in pool.workers}
        pid_file = pool.run_dir / "kamailio.pid"
        self.kamailio = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
        self.rss: dict[str, list[float]] = {name: [] for name in self.workers}
        self.kamailio_pss: list[float] = []
        self.kamailio_rss: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def kamailio_pids(self) -> list[int]:
        return descendants(self.kamailio) if self.kamailio else []

    def cpu(self) -> tuple[dict[str, float], float, tuple[float, float]]:
        return ({n: proc_cpu(p) or 0.0 for n, p in self.workers.items()},
                sum(proc_cpu(p) or 0.0 for p in self.kamailio_pids()), machine_busy())

    def _loop(self) -> None:
        while not self.stop.wait(1.0):
            for name, pid in self.workers.items():
                value = proc_rss_mb(pid)
                if value is not None:
                    self.rss[name].append(value)
            pids = self.kamailio_pids()
            self.kamailio_pss.append(sum(proc_rss_mb(p, "Pss") or 0 for p in pids))
            self.kamailio_rss.append(sum(proc_rss_mb(p) or 0 for p in pids))

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(5)


@dataclass
class HoldStep:
    calls: int
    result: SippResult
    logged: int = 0
    queued: int = 0
    ended: int = 0
    recorded: int = 0
    complete: int = 0  # calls in the log that reached the queue, ended and have a recording
    died: int = 0
    per_worker: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    rss: dict[str, list[float]] = field(default_factory=dict)
    kamailio_cpu: float = 0.0
    kamailio_pss: float = 0.0
    kamailio_rss: float = 0.0
    sipp_cpu: float = 0.0
    machine: float = 0.0
    others: float = 0.0
    load: str = ""
    window: float = 0.0
    timings: dict[str, list[float]] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """Calls that failed for SIPp or are incomplete in the call log."""
        return max(self.result.failed, self.calls - min(self.result.ok, self.complete))

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.died == 0


def hold_step(sipp: Sipp, pool, services, log_path: Path, calls: int, hold: float,
              ramp: float) -> HoldStep:
    """``calls`` callers ramped at ``ramp``/s, each held ``hold`` s; measured while all are up."""
    ramp_s = calls / ramp
    others = others_pct(pool)
    thread, results = sipp.start(menu_call(int(hold * 1000)), calls=calls, rate=ramp,
                                 limit=calls, timeout=ramp_s + hold + 60)
    with Sampler(pool) as sampler:
        # the window: every call is up (ramp over, key pressed) and none has hung up yet
        time.sleep(ramp_s + KEY_AT_MS / 1000 + 1.5)
        window_start, first = time.monotonic(), sampler.cpu()
        sipp_start = proc_cpu(sipp.running[0].pid) if sipp.running else None
        marks = {n: len(v) for n, v in sampler.rss.items()}
        time.sleep(max(2.0, hold - ramp_s - KEY_AT_MS / 1000 - 3.0))
        last, window = sampler.cpu(), time.monotonic() - window_start
        sipp_end = proc_cpu(sipp.running[0].pid) if sipp.running else None
        load = Path("/proc/loadavg").read_text().split()[0]
        thread.join(ramp_s + hold + 90)
    if not results:
        raise SystemExit("SIPp did not finish the held calls")
    step = HoldStep(calls, results[0], window=window, load=load, others=others)
    step.cpu = {n: 100 * (last[0][n] - first[0][n]) / window for n in first[0]}
    step.rss = {n: v[marks[n]:] or v[-1:] for n, v in sampler.rss.items()}
    step.kamailio_cpu = 100 * (last[1] - first[1]) / window
    step.kamailio_pss = max(sampler.kamailio_pss, default=0.0)
    step.kamailio_rss = max(sampler.kamailio_rss, default=0.0)
    step.machine = machine_pct(first[2], last[2])
    if sipp_start is not None and sipp_end is not None:
        step.sipp_cpu = 100 * (sipp_end - sipp_start) / window
    settle(pool, 30)

    # the call log: which worker held which call, did it reach the queue, was it filed
    from voice.recordings.repository import RecordingRepository

    repo = RecordingRepository(services.session_factory)
    pid = str(step.result.pid)
    deadline = time.monotonic() + 60  # recordings are merged and filed after the BYE
    while True:
        mine = [c for c in services.call_repository.list_calls(limit=20 * calls + 500,
                                                               channel="sip")
                if c.id.split("@")[0].rsplit("-", 1)[-1] == pid]
        step.logged = len(mine)
        step.queued = sum(1 for c in mine if any(s.node == "hold" for s in c.path))
        step.ended = sum(1 for c in mine if c.ended_at is not None)
        recorded = {c.id for c in mine if repo.list_for_call(c.id)}
        step.recorded = len(recorded)
        step.complete = sum(1 for c in mine if c.id in recorded and c.ended_at is not None
                            and any(s.node == "hold" for s in c.path))
        if (step.recorded >= len(mine) and step.ended >= len(mine)) \
                or time.monotonic() > deadline:
            break
        time.sleep(2)
    for c in mine:
        if c.worker:
            step.per_worker[c.worker] = step.per_worker.get(c.worker, 0) + 1
    step.timings = timings(log_path, step.result.pid)
    step.died = deaths(pool, f"figure 2 with {calls} callers")
    return step


def figure_hold(sipp: Sipp, pool, services, log_path: Path, steps: list[int], hold: float,
                ramp: float) -> HoldStep | None:
    workers = len(pool.workers)
    print(f"\nFigure 2: callers held {hold:g} s each across {workers} workers ({2 * workers} "
          f"callers), ramped at {ramp:g}/s: greeting, menu, key 1, prompt, queue with hold "
          "music, two-channel recording; steps " + ", ".join(map(str, steps))
          + " (stops at the first step with a failure)")
    done: list[HoldStep] = []
    for calls in steps:
        if calls > 2 * workers:
            print(f"  note: {calls} callers need {calls / 2:.0f} workers; only {workers} run")
        step = hold_step(sipp, pool, services, log_path, calls, hold, ramp)
        done.append(step)
        print(f"  {calls} callers: held to the end {step.result.ok}, failed {step.failed} "
              f"(SIPp {step.result.failed}, 503: {step.result.refused}; complete in the call "
              f"log {step.complete}), workers died {step.died}", flush=True)
        if not step.ok:
            break
        settle(pool, 30)

    def med_max(values: list[float], fmt: str = "{:.1f}") -> str:
        if not values:
            return "-"
        return f"{fmt.format(statistics.median(values))} / {fmt.format(max(values))}"

    def held_by(step: HoldStep, count: int) -> list[float]:
        return [v for n, v in step.cpu.items() if step.per_worker.get(n, 0) == count]

    def rss_avg(step: HoldStep) -> list[float]:
        return [statistics.fmean(v) for v in step.rss.values() if v]

    rows = [
        ["callers attempted", *(str(s.result.created) for s in done)],
        ["SIPp: held to the end / failed (503)",
         *(f"{s.result.ok} / {s.result.failed} ({s.result.refused})" for s in done)],
        ["failed (SIPp or incomplete in the call log)", *(str(s.failed) for s in done)],
        ["workers died", *(str(s.died) for s in done)],
        ["INVITE->200 ms p50/p95/p99", *(stats(s.result.setup_ms) for s in done)],
        ["call log: calls / queued / ended / recorded / all three",
         *(f"{s.logged} / {s.queued} / {s.ended} / {s.recorded} / {s.complete}"
           for s in done)],
        ["workers that held calls (max calls each)",
         *(f"{len(s.per_worker)} ({max(s.per_worker.values(), default=0)})" for s in done)],
        ["seconds measured (all calls up)", *(f"{s.window:.1f}" for s in done)],
        ["CPU % per worker with 2 calls (median / max)", *(med_max(held_by(s, 2)) for s in done)],
        ["CPU % per worker with 1 call (median / max)", *(med_max(held_by(s, 1)) for s in done)],
        ["CPU % per idle worker (median / max)", *(med_max(held_by(s, 0)) for s in done)],
        ["CPU % all workers together", *(f"{sum(s.cpu.values()):.0f}" for s in done)],
        ["RSS MB per worker (median / max)", *(med_max(rss_avg(s), "{:.0f}") for s in done)],
        ["RSS MB all workers", *(f"{sum(rss_avg(s)):.0f}" for s in done)],
        ["Kamailio CPU % / PSS MB (RSS sum)",
         *(f"{s.kamailio_cpu:.1f} / {s.kamailio_pss:.0f} ({s.kamailio_rss:.0f})" for s in done)],
        ["SIPp CPU %", *(f"{s.sipp_cpu:.0f}" for s in done)],
        ["machine busy % (all cores) / load avg 1 min",
         *(f"{s.machine:.0f} / {s.load}" for s in done)],
        ["other processes before the step, % of machine", *(f"{s.others:.0f}" for s in done)],
    ]
    table(["figure (CPU in % of one core)", *(f"{s.calls} callers" for s in done)], rows)
    held = [s.calls for s in done if s.ok]
    best = max(held, default=0)
    print(f"RESULT figure 2: largest number of callers held {hold:g} s with no failed call: "
          f"{best}  target >= {TARGET_HELD}: {verdict(best >= TARGET_HELD)}")
    return done[-1] if done else None


def latency_run(sipp: Sipp, log_path: Path, calls: int,
                concurrent: int) -> tuple[SippResult, dict[str, list[float]]]:
    """``calls`` menu calls, about ``concurrent`` at once (light load)."""
    call_ms = KEY_AT_MS + 2000
    rate = max(0.2, concurrent / (call_ms / 1000 + 0.5))
    result = sipp.run(menu_call(call_ms), calls=calls, rate=round(rate, 2), limit=concurrent,
                      timeout=calls / rate + 60)
    return result, timings(log_path, result.pid)


def figure_latency(light: tuple[SippResult, dict[str, list[float]]], concurrent: int,
                   loaded: HoldStep | None) -> None:
    result, data = light
    print(f"\nFigure 3: prompt latency from the workers' timing log (light load: "
          f"{result.created} calls, {concurrent} at once: greeting, menu, key 1 "
          f"{KEY_AT_MS / 1000:g} s after the 200; completed {result.ok}, failed "
          f"{result.failed})")
    rows = []
    runs = [("light load", data)]
    if loaded is not None:
        runs.append((f"{loaded.calls} callers held (figure 2)", loaded.timings))
    for label, got in runs:
        answer, key = got["answer_to_audio_ms"], got["key_to_audio_ms"]
        invite = got["invite_to_audio_ms"]
        rows.append([f"answer -> first prompt, {label}", str(len(answer)), stats(answer),
                     f"p95 <= {TARGET_ANSWER_P95:g}",
                     verdict(bool(answer) and percentile(answer, 95) <= TARGET_ANSWER_P95)])
        rows.append([f"INVITE at worker -> first prompt, {label}", str(len(invite)),
                     stats(invite), "", ""])
        rows.append([f"key -> next prompt, {label}", str(len(key)), stats(key),
                     f"p95 <= {TARGET_KEY_P95:g}",
                     verdict(bool(key) and percentile(key, 95) <= TARGET_KEY_P95)])
    table(["figure", "calls", "ms p50/p95/p99", "target ms", ""], rows)
    answer, key = data["answer_to_audio_ms"], data["key_to_audio_ms"]
    if answer and key:
        ok = percentile(key, 95) <= TARGET_KEY_P95 and percentile(answer, 95) <= TARGET_ANSWER_P95
        print(f"RESULT figure 3: key->prompt p95 {percentile(key, 95):.0f} ms, answer->prompt "
              f"p95 {percentile(answer, 95):.0f} ms  target <= {TARGET_KEY_P95:g} / "
              f"{TARGET_ANSWER_P95:g} ms: {verdict(ok)}")
    else:
        print("RESULT figure 3: no timing lines in the worker log: MISS")


def start_pool(stack: ExitStack, services, site: Site, workers: int, log_path: Path):
    """Start a pool (cleaned up by ``stack``); print how long it took and what idle costs."""
    port = free_udp_block(workers)
    started = time.monotonic()
    print(f"starting {workers} media workers and Kamailio on udp:127.0.0.1:{port}", flush=True)
    pool = stack.enter_context(worker_pool(services, site, workers, port, log_path))
    rss = statistics.median(proc_rss_mb(w.process.pid) or 0 for w in pool.workers)
    print(f"pool up in {time.monotonic() - started:.0f} s; idle workers: RSS {rss:.0f} MB each "
          f"(median), CPU {measure_idle(pool) / workers:.1f}% of a core each (pjsua event loop "
          "and media clock)", flush=True)
    return pool, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=30,
                        help="figures 1 and 3: media workers behind Kamailio [30]")
    parser.add_argument("--rates", default="10,20,30,40",
                        help="figure 1: new calls per second, comma-separated [10,20,30,40]")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="figure 1: seconds per rate [10]")
    parser.add_argument("--hold-calls", default="40,70,100",
                        help="figure 2: callers held at once, steps (comma-separated) "
                             "[40,70,100]")
    parser.add_argument("--hold-workers", type=int, default=None,
                        help="figure 2: workers [the largest step / 2 + 5]")
    parser.add_argument("--hold-seconds", type=float, default=30.0,
                        help="figure 2: how long each caller holds [30]")
    parser.add_argument("--ramp", type=float, default=10.0,
                        help="figure 2: new callers per second [10]")
    parser.add_argument("--latency-calls", type=int, default=30, help="figure 3: calls [30]")
    parser.add_argument("--skip-hold", action="store_true", help="leave out figure 2")
    parser.add_argument("--quick", action="store_true",
                        help="tiny run for the smoke test: 2 workers, a few calls and seconds")
    args = parser.parse_args()
    if args.quick:
        args.workers, args.hold_workers, args.rates, args.duration = 2, 2, "2", 2.0
        args.hold_calls, args.hold_seconds, args.ramp, args.latency_calls = "3", 6.0, 3.0, 3
    try:
        rates = [int(r) for r in args.rates.split(",") if r.strip()]
        steps = sorted(int(n) for n in args.hold_calls.split(",") if n.strip())
    except ValueError:
        parser.error("--rates and --hold-calls take comma-separated whole numbers")
    if not rates or min(rates) <= 0 or not steps or min(steps) <= 0:
        parser.error("rates and hold calls must be positive")
    if args.workers < 1 or args.duration <= 0 or args.hold_seconds <= 0 or args.ramp <= 0:
        parser.error("workers, duration, hold seconds and ramp must be positive")
    hold_workers = args.hold_workers or (max(steps) + 1) // 2 + 5
    missing = [t for t in ("sipp", "espeak-ng") if shutil.which(t) is None]
    if not (shutil.which("kamailio") or Path("/usr/sbin/kamailio").exists()):
        missing.append("kamailio")
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: apt-get install sip-tester "
                         "espeak-ng kamailio")

    # SIGTERM (a CI timeout, kill) unwinds like Ctrl-C: SIPp killed, pools stopped, temp removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="bench-sip-"))
    site = Site(tmp)
    services = None
    log_path = tmp / "workers.log"
    sipps: list[Sipp] = []
    try:
        services = site.prepare()
        before = machine_busy()
        time.sleep(2.0)
        print(f"{os.cpu_count()} cores shared with SIPp (and whatever else runs: "
              f"{machine_pct(before, machine_busy()):.0f}% busy just before); Python "
              f"{sys.version.split()[0]}; SQLite; prompts by espeak-ng, cached on first use",
              flush=True)
        concurrent = 2 if args.quick else 4
        loaded = None
        with ExitStack() as stack:
            pool, port = start_pool(stack, services, site, args.workers, log_path)
            sipp = Sipp(tmp / "sipp-a", port)
            sipps.append(sipp)
            # prompts: rendered by the first call that needs them (shared cache); not timed
            warm = None if args.quick else sipp.run(
                menu_call(KEY_AT_MS + 2000), calls=1, rate=1, limit=1, timeout=40)
            if warm is not None and warm.ok != 1:
                raise SystemExit(f"warm-up call failed:\n{warm.output[-3000:]}\n{warm.errors}"
                                 f"\n{log_path.read_text(errors='replace')[-3000:]}")
            settle(pool)
            light = latency_run(sipp, log_path, args.latency_calls, concurrent)
            deaths(pool, "figure 3 (light load)")
            settle(pool)
            figure_rates(sipp, pool, log_path, rates, args.duration)
            if args.skip_hold:
                print("\nFigure 2: skipped (--skip-hold)")
            else:
                if hold_workers != args.workers:
                    deaths(pool, "figure 1")
                    stack.close()
                    print(f"\nstopped the pool: {'; '.join(STOP_FAILURES) or 'clean'}")
                    pool, port = start_pool(stack, services, site, hold_workers, log_path)
                    sipp = Sipp(tmp / "sipp-b", port)
                    sipps.append(sipp)
                    settle(pool)
                loaded = figure_hold(sipp, pool, services, log_path, steps,
                                     args.hold_seconds, args.ramp)
                deaths(pool, "the run")
        figure_latency(light, concurrent, loaded)
        print(f"\nworkers died: {len(DIED)}" + "".join(f"\n  {d}" for d in DIED.values()))
        problems = log_problems(log_path)
        print(f"\nworker log: {len(problems)} error lines")
        for line in problems[:12]:
            print(f"  {line[:200]}")
        print(f"pool stop: {'; '.join(STOP_FAILURES) if STOP_FAILURES else 'clean'}")
    finally:
        for sipp in sipps:
            sipp.close()
        if services is not None:
            services.close()
        if os.environ.get("SIP_BENCH_KEEP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
