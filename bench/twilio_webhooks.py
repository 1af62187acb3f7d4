"""Twilio webhook latency under load: gunicorn (2 workers), signed posts, a DB write each.

The service runs as ``voice up`` runs it: ``voice db upgrade``, ``voice flows publish``, then
``python -m gunicorn -c config/gunicorn.conf.py`` (sync workers), in a temporary data
directory (SQLite unless ``--database-url``). The demo flows are copied with their CRM and
payment URLs pointed at a closed loopback port, and the schedules made open around the clock so
every call takes the same path whatever the time of day; nothing leaves the machine.

Load: each call follows a real script with Twilio-shaped form posts signed with the twilio
package's RequestValidator (signatures computed before the timed run): POST /twilio/voice ->
the menu's Gather action with Digits=2 -> the ZIP Gather's action with Digits=10001 (the
caller is queued) -> the status callback CallStatus=completed. Every request loads the call's
session, runs the engine and saves the session in the database. The action URLs are read from
one probe call's TwiML first, and every reply of the run is checked against them (200 with the
next action URL; 204 for the status callback). The generator (``loadgen.py``) runs in its own
process, open loop: a fixed schedule at the given rate, calls interleaved (each call's requests
~0.5 s apart, in order), latency from the scheduled send time. gunicorn's sync workers answer
every request with ``Connection: close``, so each request opens a new loopback connection
(keep-alive is offered and would be reused; the opened/reused counts are printed). Baseline in
the same run: GET /healthz at the same rates (no signature, no session write: a ``SELECT 1``
and the schema revision read).

Run: ``.venv/bin/python bench/twilio_webhooks.py [--rates 100,400] [--seconds 10]
[--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_twilio --create-db]``
"""

from __future__ import annotations

import argparse
import ctypes
import math
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape

import yaml
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile, summary
from loadgen import FAILED, NOT_SENT, OK, WRONG, Plan, Report, Step, run_plan

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT = "AC" + "0" * 32
NUMBER = "+15550100"
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, lookups fail at once
STEPS = ("voice", "gather menu (2)", "gather zip (10001)", "status completed")
TARGET_MS = 50.0
PR_SET_PDEATHSIG = 1


# -- the service ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_files(tmp: Path) -> tuple[Path, Path]:
    """A copy of the flows without internet URLs, and schedules open around the clock."""
    flows = tmp / "flows"
    shutil.copytree(ROOT / "ivr_flows", flows)
    for path in flows.rglob("*.yaml"):
        path.write_text(path.read_text()
                        .replace("https://crm.acme.example", UNREACHABLE)
                        .replace("https://payments.acme.example", UNREACHABLE))
    data = yaml.safe_load((ROOT / "config" / "schedules.yaml").read_text())
    for schedule in data["schedules"].values():
        schedule["hours"] = {"mon-sun": "00:00-24:00"}
        schedule["holidays"] = []
    schedules = tmp / "schedules.yaml"
    schedules.write_text(yaml.safe_dump(data))
    return flows, schedules


def service_env(tmp: Path, port: int, database_url: str | None) -> dict[str, str]:
    flows, schedules = prepare_files(tmp)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VOICE_", "TWILIO_"))}
    env.update({
        "VOICE_DATA_DIR": str(tmp / "data"),
        "VOICE_DATABASE_URL": database_url or f"sqlite:///{tmp / 'data' / 'voice.db'}",
        "VOICE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "VOICE_WEB_HOST": "127.0.0.1",
        "VOICE_WEB_PORT": str(port),
        "VOICE_WEB_WORKERS": "2",
        "VOICE_FLOWS_DIR": str(flows),
        "VOICE_SCHEDULES_FILE": str(schedules),
        "VOICE_TWILIO_API_URL": UNREACHABLE,
        "TWILIO_AUTH_TOKEN": TOKEN,
    })
    return env


def voice_cli(env: dict[str, str], *args: str) -> None:
    exe = Path(sys.executable).with_name("voice")
    argv = [str(exe), *args] if exe.exists() else [sys.executable, "-m", "voice.cli", *args]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"voice {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it if this benchmark dies (Linux; best effort)."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """gunicorn as ``voice up`` starts it; SIGTERM (then SIGKILL after 20 s) on the way out."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.conf.py")],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    with suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)


def wait_healthy(base: str, proc: subprocess.Popen, log_path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode}):\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"gunicorn not healthy after {seconds:g} s:\n{log_path.read_text()}")


@contextmanager
def throwaway_database(url: str) -> Iterator[None]:
    """Create the PostgreSQL database named in ``url`` and drop it afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    name = target.database
    if not name or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"--create-db needs a plain lower-case database name, not {name!r}")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- the requests ---------------------------------------------------------------------------
class Caller:
    """Twilio-shaped, signed form posts for one call (see module docstring)."""

    def __init__(self, public: str, port: int, sid: str, index: int) -> None:
        self.public, self.port, self.sid = public, port, sid
        self.caller = f"+1555{2000000 + index % 7000000:07d}"
        self.validator = RequestValidator(TOKEN)

    def params(self, **extra: str) -> dict[str, str]:
        return {"AccountSid": ACCOUNT, "ApiVersion": "2010-04-01", "CallSid": self.sid,
                "CallStatus": "in-progress", "Called": NUMBER, "CalledCountry": "US",
                "Caller": self.caller, "CallerCountry": "US", "Direction": "inbound",
                "From": self.caller, "FromCountry": "US", "To": NUMBER, "ToCountry": "US",
                **extra}

    def post(self, path: str, params: dict[str, str]) -> bytes:
        body = urlencode(params).encode()
        signature = self.validator.compute_signature(self.public + path, params)
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                "User-Agent: TwilioProxy/1.1\r\nAccept: */*\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body)}\r\n"
                "Connection: keep-alive\r\n\r\n")
        return head.encode() + body

    def script(self, paths: list[str]) -> list[bytes]:
        """The four requests of the call; ``paths`` are the templates with ``{sid}``."""
        voice, menu, zipcode, status = (p.format(sid=self.sid) for p in paths)
        return [
            self.post(voice, self.params(CallStatus="ringing")),
            self.post(menu, self.params(Digits="2", FinishedOnKey="", msg="Gather End")),
            self.post(zipcode, self.params(Digits="10001", FinishedOnKey="#",
                                           msg="Gather End")),
            self.post(status, self.params(CallStatus="completed", CallDuration="42",
                                          Duration="1", SequenceNumber="0",
                                          CallbackSource="call-progress-events")),
        ]


def send(base: str, request: bytes) -> tuple[int, str]:
    """One request with urllib (probe only, untimed)."""
    head, body = request.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    path = lines[0].split(" ")[1]
    headers = dict(line.split(": ", 1) for line in lines[1:])
    headers.pop("Connection", None)
    req = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def probe(base: str, port: int) -> list[str]:
    """Run one call, following its TwiML; return the four request paths with ``{sid}``."""
    sid = "CA" + "f" * 32
    caller = Caller(base, port, sid, 0)

    def relative(url: str) -> str:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == base, url
        return (parts.path + (f"?{parts.query}" if parts.query else "")).replace(sid, "{sid}")

    paths = ["/twilio/voice"]
    status, text = send(base, caller.post("/twilio/voice", caller.params(CallStatus="ringing")))
    assert status == 200, (status, text)
    for digits in ("2", "10001"):
        gather = ET.fromstring(text).find("Gather")
        assert gather is not None, f"no <Gather> in {text}"
        paths.append(relative(gather.get("action", "")))
        request = caller.post(paths[-1].format(sid=sid), caller.params(Digits=digits))
        status, text = send(base, request)
        assert status == 200, (status, text)
    redirect = ET.fromstring(text).find("Redirect")
    assert redirect is not None and "/twilio/queue" in (redirect.text or ""), text
    paths.append(relative(redirect.text or ""))  # kept for the reply check only
    status, text = send(base, caller.post("/twilio/status", caller.params(
        CallStatus="completed", CallDuration="42")))
    assert status == 204, (status, text)
    return paths


# -- the schedules ----------------------------------------------------------------------------
def webhook_plan(base: str, port: int, paths: list[str], rate: int, total: float,
                 phase: int, timeout: float) -> Plan:
    """Calls at rate/4 per second, their 4 requests interleaved into one steady stream.

    Slot j is sent at j / rate. Call c's request k takes slot 4c + k(4D + 1): slots modulo 4
    give the step, so every slot of the steady part is used once, the four kinds alternate,
    and a call's requests are (4D + 1) / rate seconds apart (D = rate / 8: about 0.5 s).
    """
    spacing = 4 * max(1, round(rate / 8)) + 1
    calls = math.ceil(total * rate / 4)
    request_paths = [paths[0], paths[1], paths[2], "/twilio/status"]
    sequences = []
    for c in range(calls):
        sid = f"CA{phase:08x}{c:024x}"
        caller = Caller(base, port, sid, phase * 100000 + c)
        datas = caller.script(request_paths)
        needles = [escape(base + paths[k + 1].format(sid=sid)).encode() for k in range(3)]
        sequences.append([
            Step(datas[k], (4 * c + k * spacing) / rate, 204 if k == 3 else 200,
                 b"" if k == 3 else needles[k])
            for k in range(4)])
    return Plan("127.0.0.1", port, sequences, timeout=timeout)


def health_plan(port: int, rate: int, total: float, timeout: float) -> Plan:
    data = (f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\n"
            "Connection: keep-alive\r\n\r\n").encode()
    count = int(total * rate)
    return Plan("127.0.0.1", port, [[Step(data, j / rate, 200, b'"status":"ok"')]
                                    for j in range(count)], timeout=timeout)


# -- the figures ------------------------------------------------------------------------------
def report(label: str, result: Report, start: float, end: float) -> float:
    """Print the figures of requests scheduled in [start, end); return p99 in ms."""
    window = [o for o in result.outcomes if start <= o.at < end]
    sent = [o for o in window if o.result != NOT_SENT]
    replied = [o for o in window if o.latency is not None]
    errors = [o for o in window if o.result != OK]
    latencies = [o.latency * 1000 for o in replied]
    last = max((o.at + o.latency for o in replied), default=end)
    achieved = len(replied) / max(last - start, end - start)  # a lagging server stretches it
    print(f"  {label}: sent {len(sent)}, completed {len(replied)}, errors {len(errors)}, "
          f"achieved {achieved:.1f} req/s, late sends {sum(o.late for o in window)}")
    if not latencies:
        print(f"  {label}: no replies")
        return math.inf
    p99 = percentile(latencies, 99)
    print(f"  {label}: latency ms {summary(latencies)}, max {max(latencies):.3f}")
    return p99


def correctness(result: Report, steps: int) -> list[str]:
    """Counts of wrong statuses and failures over the whole run (warm-up and tail too)."""
    lines = []
    for k in range(steps):
        mine = [o for o in result.outcomes if o.step == k]
        wrong = [o for o in mine if o.result == WRONG]
        failed = [o for o in mine if o.result == FAILED]
        not_sent = [o for o in mine if o.result == NOT_SENT]
        statuses = sorted({o.status for o in wrong})
        name = STEPS[k] if steps > 1 else "healthz"
        lines.append(f"{name} {len(mine) - len(wrong) - len(failed) - len(not_sent)}/"
                     f"{len(mine)} ok, wrong {len(wrong)}"
                     + (f" (statuses {statuses})" if wrong else "")
                     + f", no reply {len(failed)}, not sent {len(not_sent)}")
        for o in (wrong + failed)[:2]:
            lines.append(f"    e.g. {name} at {o.at:.3f} s: {o.status} {o.detail!r}")
    return lines


def server_problems(log_path: Path) -> int:
    text = log_path.read_text(errors="replace")
    return sum(1 for line in text.splitlines()
               if "Traceback" in line or "[ERROR]" in line or "WORKER TIMEOUT" in line
               or " ERROR " in line)


def dump(path: Path, result: Report) -> None:
    """One line per request: sequence, step, scheduled s, result, status, latency ms, lag ms."""
    with path.open("w") as out:
        out.write("sequence,step,at_s,result,status,latency_ms,lag_ms,late\n")
        for o in result.outcomes:
            latency = "" if o.latency is None else f"{o.latency * 1000:.3f}"
            out.write(f"{o.sequence},{o.step},{o.at:.4f},{o.result},{o.status},{latency},"
                      f"{o.lag * 1000:.3f},{int(o.late)}\n")


def run_phase(pool, plan: Plan, label: str, warmup: float, seconds: float,
              steps: int, dump_to: Path | None = None) -> tuple[float, int, Report]:
    budget = plan.start_delay + max(s[-1].at for s in plan.sequences) + plan.timeout * 6 + 30
    result: Report = pool.apply_async(run_plan, (plan,)).get(timeout=budget)
    if dump_to is not None:
        dump(dump_to, result)
    p99 = report(label, result, warmup, warmup + seconds)
    by_step = [[o.latency * 1000 for o in result.outcomes
                if o.step == k and o.latency is not None
                and warmup <= o.at < warmup + seconds] for k in range(steps)]
    if steps > 1:
        print("  " + label + " p99 ms by request: " + ", ".join(
            f"{STEPS[k]} {percentile(v, 99):.1f}" for k, v in enumerate(by_step) if v))
    lines = correctness(result, steps)
    bad = sum(o.result != OK for o in result.outcomes)
    if not bad:
        what = ("every gather 200 TwiML with the next action URL, every status callback 204"
                if steps > 1 else "every reply 200 status ok")
        print(f"  {label} replies checked (whole run): {len(result.outcomes)} ok, {what}")
    else:
        print(f"  {label} replies checked (whole run): {bad} not ok")
        for line in lines:
            print(f"    {line}")
    print(f"  {label} connections: opened {result.opened}, reused {result.reused}, "
          f"closed by the server {result.server_closed}; generator: max send lag "
          f"{max((o.lag for o in result.outcomes if not o.late), default=0) * 1000:.1f} ms, "
          f"CPU {100 * result.cpu / max(result.wall, 1e-9):.0f}% of a core")
    return p99, bad, result


def machine_cpu() -> tuple[float, float] | None:
    """CPU seconds the whole machine spent busy and stolen so far (Linux /proc; else None)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def server_cpu(pid: int) -> float | None:
    """CPU seconds used so far by gunicorn's master and workers (Linux /proc; else None)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0
        for p in [str(pid), *children]:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def measure(pool, proc: subprocess.Popen, base: str, port: int, paths: list[str], rate: int,
            phase: int, args: argparse.Namespace) -> int:
    """Baseline then webhooks at ``rate``; print the figures; return the count of errors."""
    total = args.warmup + args.seconds
    print(f"\nrate {rate} req/s")
    base_p99, bad_health, _ = run_phase(
        pool, health_plan(port, rate, total, args.timeout), "baseline GET /healthz",
        args.warmup, args.seconds, 1, args.dump and args.dump / f"healthz-{rate}.csv")
    time.sleep(0.5)
    plan = webhook_plan(base, port, paths, rate, total, phase, args.timeout)
    gap = plan.sequences[0][1].at - plan.sequences[0][0].at
    print(f"  webhooks: {len(plan.sequences)} calls of 4 requests, {gap:.2f} s apart within a "
          f"call, about {rate / 4 * 3 * gap:.0f} calls in progress at once")
    cpu_before, machine_before = server_cpu(proc.pid), machine_cpu()
    wall_before = time.perf_counter()
    p99, bad_hooks, result = run_phase(pool, plan, "webhooks", args.warmup, args.seconds, 4,
                                       args.dump and args.dump / f"webhooks-{rate}.csv")
    cpu_after, machine_after = server_cpu(proc.pid), machine_cpu()
    wall = time.perf_counter() - wall_before
    if None not in (cpu_before, cpu_after, machine_before, machine_after):
        used, count = cpu_after - cpu_before, sum(len(s) for s in plan.sequences)
        cores = os.cpu_count() or 1
        busy = machine_after[0] - machine_before[0]
        others = max(0.0, busy - used - result.cpu)
        print(f"  webhooks: server CPU {1000 * used / count:.2f} ms per request "
              f"(gunicorn master + workers: {100 * used / wall / cores:.0f}% of the "
              f"{cores} cores; generator {100 * result.cpu / wall / cores:.0f}%; other "
              f"processes {100 * others / wall / cores:.0f}%; stolen by the hypervisor "
              f"{100 * (machine_after[1] - machine_before[1]) / wall / cores:.0f}%)")
    print(f"ratio p99 webhooks / healthz: {p99 / base_p99:.2f}")
    print(f"RESULT p99 at {rate} req/s: {p99:.1f} ms  target <= {TARGET_MS:g} ms: "
          f"{'met' if p99 <= TARGET_MS else 'NOT met'}")
    time.sleep(0.5)
    return bad_health + bad_hooks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="100,400",
                        help="requests per second, comma-separated [100,400]")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per rate, after the warm-up [10]")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds [2]")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds a request may take before it counts as failed [10]")
    parser.add_argument("--database-url", help="instead of a temporary SQLite database")
    parser.add_argument("--create-db", action="store_true",
                        help="create the --database-url PostgreSQL database, drop it after")
    parser.add_argument("--dump", type=Path, metavar="DIR",
                        help="write every request's timing to DIR/{healthz,webhooks}-RATE.csv")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    if not rates or min(rates) <= 0 or args.seconds <= 0 or args.warmup < 0:
        parser.error("rates and seconds must be positive")
    if args.create_db and not args.database_url:
        parser.error("--create-db needs --database-url")
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)

    # SIGTERM (a CI timeout, kill) unwinds like Ctrl-C: gunicorn stopped, temp dirs removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-twilio-"))
    failures = 0
    try:
        with throwaway_database(args.database_url) if args.create_db else nullcontext():
            env = service_env(tmp, port, args.database_url)
            voice_cli(env, "db", "upgrade")
            voice_cli(env, "flows", "publish", "--by", "bench")
            log_path = tmp / "gunicorn.log"
            with gunicorn(env, log_path) as proc:
                wait_healthy(base, proc, log_path)
                paths = probe(base, port)
                db = "PostgreSQL " + env["VOICE_DATABASE_URL"].split("@")[-1] \
                    if args.database_url else "SQLite (temporary file)"
                print(f"gunicorn, 2 sync workers, {db}; {os.cpu_count()} cores shared with "
                      f"the generator; Python {sys.version.split()[0]}")
                print(f"call script: {' -> '.join(paths[:3])} -> /twilio/status "
                      f"(the last gather's reply redirects to {paths[3]})")
                print(f"{args.seconds:g} s measured per rate after {args.warmup:g} s warm-up; "
                      "latency from the scheduled send time")
                with multiprocessing.get_context("spawn").Pool(1) as pool:
                    for phase, rate in enumerate(rates, start=1):
                        failures += measure(pool, proc, base, port, paths, rate, phase, args)
            problems = server_problems(log_path)
            print(f"\nserver log: {problems} error lines; gunicorn exit code {proc.returncode}")
            print(f"errors over the whole run: {failures}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures or problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
