"""Helpers for SIP tests: real media workers in subprocesses and SIPp callers.

``SipSite`` prepares a data folder, database and published flows (rendered from templates in
``tests/fixtures/sip/flows`` with the test's ports), and starts ``voice.sip.process`` workers
as child processes (pjsua2 never runs inside pytest). ``Caller`` writes a SIPp UAC scenario
from a list of steps (audio, RFC 2833 keys from SIPp's own pcaps, SIP INFO keys, pauses,
hang-up or expecting the service's BYE) and runs it. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tooling import require_tools

from voice.calls.records import CallRecord
from voice.compose import Services, build_services
from voice.flows.catalog import publish_flows
from voice.settings import PROJECT_ROOT, load_settings
from voice.store.migrate import upgrade

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "sip"
SIPP_PCAPS = Path("/usr/share/sip-tester")
KEY_GAP_MS = 400
EXIT_PORT = 3  # voice.sip.process's status for "port in use" (not imported: it loads pjsua2)
def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port free for UDP (and TCP) on 127.0.0.1 right now."""
    while True:
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
            try:
                other.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def free_port_block(count: int) -> int:
    """A port P with P..P+count-1 all free (UDP and TCP): Kamailio on P, workers after it."""
    for _ in range(200):
        base = free_port()
        if base + count > 65535:
            continue
        taken = False
        for port in range(base, base + count):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                with socket.socket(socket.AF_INET, kind) as probe:
                    try:
                        probe.bind(("127.0.0.1", port))
                    except OSError:
                        taken = True
            if taken:
                break
        if not taken:
            return base
    raise RuntimeError(f"no block of {count} free ports found")


@dataclass
class Worker:
    """A running media worker process."""

    name: str
    port: int
    process: subprocess.Popen[str]
    log: Path

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, wait; kill if it does not stop in time. Returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def output(self) -> str:
        """What the worker logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class SipSite:
    """A data folder, a database with published flows, and the workers serving them."""

    root: Path
    db_url: str
    values: dict[str, str] = field(default_factory=dict)
    workers: list[Worker] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    services: Services | None = None

    @property
    def env(self) -> dict[str, str]:
        """Environment of the worker processes."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_")}
        env.update({
            "VOICE_DATA_DIR": str(self.root / "data"),
            "VOICE_DATABASE_URL": self.db_url,
            "VOICE_FLOWS_DIR": str(self.root / "flows"),
            "VOICE_SCHEDULES_FILE": str(PROJECT_ROOT / "config" / "schedules.yaml"),
            "VOICE_PROMPTS_DIR": str(self.root.parent / "prompts-cache"),
            "VOICE_LOG_LEVEL": os.environ.get("TEST_SIP_LOG_LEVEL", "INFO"),
            "VOICE_SIP_GRACE": "2",
        })
        env.update(self.extra_env)
        return env

    def prepare(self, flows: Sequence[str]) -> Services:
        """Render the flow templates, migrate the database and publish the flows."""
        folder = self.root / "flows"
        folder.mkdir(parents=True, exist_ok=True)
        for name in flows:
            text = (FIXTURES / "flows" / f"{name}.yaml").read_text()
            for key, value in self.values.items():
                text = text.replace("{" + key + "}", value)
            (folder / f"{name}.yaml").write_text(text)
        settings = load_settings(self.env)
        upgrade(settings.database_url)
        self.services = build_services(settings)
        publish_flows(self.services, paths=None, published_by="test")
        return self.services

    def start_worker(self, name: str = "w1", port: int | None = None,
                     args: Sequence[str] = ()) -> Worker:
        """Start a worker and wait until it listens (a free port taken meanwhile by another
        process: try another one, unless the port was given)."""
        for _ in range(3):
            worker = self._start_worker(name, port or free_port(), args)
            if worker is not None:
                return worker
            if port is not None:
                break
        raise AssertionError(f"worker {name} could not listen:\n{self.workers[-1].output()}")

    def _start_worker(self, name: str, port: int, args: Sequence[str]) -> Worker | None:
        log = self.root / f"{name}.log"
        handle = log.open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "voice.sip.process", "--port", str(port), "--name", name,
             *args], env=self.env, stdout=handle, stderr=subprocess.STDOUT, text=True,
            cwd=self.root)
        worker = Worker(name, port, process, log)
        self.workers.append(worker)
        deadline = time.monotonic() + 20
        while f"ready {name}" not in worker.output():
            if process.poll() == EXIT_PORT:
                return None
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker {name} did not start:\n{worker.output()}")
            time.sleep(0.05)
        return worker

    def close(self) -> None:
        """Stop the workers and release the services."""
        for worker in self.workers:
            worker.stop()
        if self.services is not None:
            self.services.close()


def open_site(tmp_path: Path, flows: Sequence[str], *tools: str,
              values: dict[str, str] | None = None) -> Iterator[SipSite]:
    """Fixture body: check the tools, prepare a site with ``flows``, close it afterwards."""
    require_tools(*tools)
    site = SipSite(tmp_path / "site", f"sqlite:///{tmp_path / 'site' / 'voice.db'}",
                   values=dict(values or {}))
    site.prepare(flows)
    try:
        yield site
    finally:
        site.close()


def ended_call(site: SipSite, timeout: float = 10) -> CallRecord:
    """The site's only SIP call, once the call log shows it ended (or after ``timeout``)."""
    assert site.services is not None
    deadline = time.monotonic() + timeout
    while True:
        calls = site.services.call_repository.list_calls(channel="sip")
        if (calls and calls[0].ended_at) or time.monotonic() > deadline:
            [call] = calls
            return call
        time.sleep(0.1)


# --- SIPp callers ------------------------------------------------------------------------

_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="voice test caller">
"""
_DIALOG = """From: caller <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>{to_tag}
Call-ID: [call_id]
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
"""


def _request(method: str, cseq: int, *, caller: str, to_tag: str = "[peer_tag_param]",
             extra: str = "", body: str = "", content_type: str = "",
             initial: bool = False) -> str:
    # In-dialog requests go to the callee's Contact along the recorded route (Kamailio); the
    # INVITE and the ACK of a refusal go where the INVITE went.
    initial = initial or method == "INVITE"
    target = "sip:[service]@[remote_ip]:[remote_port]" if initial else "[next_url]"
    lines = (f"{method} {target} SIP/2.0\n"
             "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
             + ("" if initial else "[routes]\n")
             + _DIALOG.format(caller=caller, to_tag=to_tag)
             + f"CSeq: {cseq} {method}\n" + extra)
    if body:
        lines += f"Content-Type: {content_type}\nContent-Length: [len]\n\n{body}"
    else:
        lines += "Content-Length: 0\n\n"
    return lines


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

#: SIPp's pcaps carry one RTP stream's sequence numbers, ascending in this order of keys; a
#: receiver drops packets whose sequence number goes back, so a call can only use its keys in
#: this order (each at most once). SIP INFO ("info" steps) has no such limit.
PCAP_KEY_ORDER = "123456789*#0"
_DTMF_FILES = {**{str(d): f"dtmf_2833_{d}.pcap" for d in range(10)},
               "#": "dtmf_2833_pound.pcap", "*": "dtmf_2833_star.pcap"}


@dataclass
class Caller:
    """A SIPp UAC following ``steps``: ("audio", wav) ("pcap", file) ("wait", ms)
    ("keys", "12#") RFC 2833, ("info", "12#") SIP INFO, ("bye",) or ("expect_bye",)."""

    steps: Sequence[tuple]
    number: str = "2000"
    caller: str = "+15550142"
    allow: str | None = None
    expect: int = 200
    #: also accept a 503 refusal (then ACK it and log "refused" to the SIPp log file)
    may_refuse: bool = False

    def scenario(self) -> str:
        """The SIPp XML."""
        extra = f"Allow: {self.allow}\n" if self.allow else ""
        out = [_HEAD, '<send retrans="500"><![CDATA[\n',
               _request("INVITE", 1, caller=self.caller, to_tag="", extra=extra, body=_SDP,
                        content_type="application/sdp"), "]]></send>\n",
               '<recv response="100" optional="true"/>\n',
               '<recv response="180" optional="true"/>\n',
               '<recv response="183" optional="true"/>\n']
        if self.expect != 200:
            out += [f'<recv response="{self.expect}"/>\n', '<send><![CDATA[\n',
                    _request("ACK", 1, caller=self.caller, initial=True),
                    "]]></send>\n</scenario>\n"]
            return "".join(out)
        if self.may_refuse:
            out.append('<recv response="503" optional="true" next="refused"/>\n')
        out += ['<recv response="200" rtd="true" rrs="true"/>\n', "<send><![CDATA[\n",
                _request("ACK", 1, caller=self.caller), "]]></send>\n"]
        cseq = 2
        pressed = "".join(step[1] for step in self.steps if step[0] == "keys")
        order = [PCAP_KEY_ORDER.index(k) for k in pressed]
        if order != sorted(set(order)):
            raise ValueError(f"RFC 2833 keys {pressed!r} from SIPp's pcaps must follow the order "
                             f"{PCAP_KEY_ORDER!r} without repeats; use 'info' steps otherwise")
        for step in self.steps:
            kind = step[0]
            if kind == "audio":
                out.append(f'<nop><action><exec rtp_stream="{step[1]},1,8"/></action></nop>\n')
            elif kind == "pcap":
                out.append(f'<nop><action><exec play_pcap_audio="{step[1]}"/></action></nop>\n')
            elif kind == "wait":
                out.append(f'<pause milliseconds="{int(step[1])}"/>\n')
            elif kind == "keys":
                for key in step[1]:
                    pcap = SIPP_PCAPS / _DTMF_FILES[key]
                    out.append(f'<nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n'
                               f'<pause milliseconds="{KEY_GAP_MS}"/>\n')
            elif kind == "info":
                for key in step[1]:
                    out += ["<send><![CDATA[\n",
                            _request("INFO", cseq, caller=self.caller,
                                     body=f"Signal={key}\nDuration=160\n",
                                     content_type="application/dtmf-relay"),
                            "]]></send>\n", '<recv response="200"/>\n',
                            '<pause milliseconds="200"/>\n']
                    cseq += 1
            elif kind == "bye":
                out += ['<send retrans="500"><![CDATA[\n', _request("BYE", cseq,
                                                                    caller=self.caller),
                        "]]></send>\n", '<recv response="200"/>\n']
                cseq += 1
            elif kind == "refer":
                # A REFER receiver: accept, then report the outcome (e.g. 200 or 486) by NOTIFY.
                sipfrag = f"SIP/2.0 {step[1]} {'OK' if step[1] == 200 else 'Busy Here'}\n"
                out += ['<recv request="REFER" timeout="20000"/>\n',
                        "<send><![CDATA[\nSIP/2.0 202 Accepted\n[last_Via:]\n[last_From:]\n"
                        "[last_To:]\n[last_Call-ID:]\n[last_CSeq:]\n"
                        f"Contact: <sip:{self.caller}@[local_ip]:[local_port]>\n"
                        "Content-Length: 0\n\n]]></send>\n",
                        "<send><![CDATA[\n",
                        _request("NOTIFY", cseq, caller=self.caller,
                                 extra="Event: refer\nSubscription-State: terminated;"
                                       "reason=noresource\n",
                                 body=sipfrag, content_type="message/sipfrag;version=2.0"),
                        "]]></send>\n", '<recv response="200"/>\n']
                cseq += 1
            elif kind == "expect_bye":
                wait = int(step[1]) if len(step) > 1 else 30000
                out += [f'<recv request="BYE" timeout="{wait}"/>\n',
                        "<send><![CDATA[\nSIP/2.0 200 OK\n[last_Via:]\n[last_From:]\n"
                        "[last_To:]\n[last_Call-ID:]\n[last_CSeq:]\nContent-Length: 0\n\n"
                        "]]></send>\n"]
            else:
                raise ValueError(f"unknown caller step {kind}")
        out.append('<nop><action><log message="answered [call_id]"/></action></nop>\n')
        if self.may_refuse:
            out += ['<nop next="done"/>\n<label id="refused"/>\n<send><![CDATA[\n',
                    _request("ACK", 1, caller=self.caller, initial=True), "]]></send>\n",
                    '<nop><action><log message="refused [call_id]"/></action></nop>\n',
                    '<label id="done"/>\n']
        out.append("</scenario>\n")
        return "".join(out)

    def call(self, port: int, folder: Path, *,
             timeout: float = 90) -> subprocess.CompletedProcess[str]:
        """Run the call against 127.0.0.1:``port``; exit status 0: it went as written."""
        return self.start(port, folder, timeout=timeout).wait()

    def start(self, port: int, folder: Path, *, timeout: float = 90, calls: int = 1,
              rate: float = 10, limit: int | None = None) -> SippRun:
        """Start SIPp with this scenario (``calls`` calls at ``rate`` per second)."""
        folder.mkdir(parents=True, exist_ok=True)
        script = folder / f"caller-{time.monotonic_ns()}.xml"
        script.write_text(self.scenario())
        log = script.with_suffix(".log")
        command = ["sipp", "-sf", str(script), f"127.0.0.1:{port}", "-s", self.number,
                   "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()),
                   "-m", str(calls), "-r", str(rate), "-nostdin", "-timeout", f"{int(timeout)}s",
                   "-timeout_error", "-trace_err", "-error_file", str(script.with_suffix(".err")),
                   "-trace_logs", "-log_file", str(log)]
        if limit is not None:
            command += ["-l", str(limit)]
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        return SippRun(process, log, timeout + 10)


@dataclass
class SippRun:
    """A running SIPp; ``wait`` gives its result, ``log_lines`` what the scenario logged."""

    process: subprocess.Popen[str]
    log: Path
    timeout: float

    def wait(self) -> subprocess.CompletedProcess[str]:
        """Wait for SIPp to finish (exit status 0: every call went as written)."""
        try:
            out, _ = self.process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, out, "")

    def outcomes(self) -> dict[str, int]:
        """How many calls were answered and refused (from the scenario's log lines)."""
        text = self.log.read_text() if self.log.exists() else ""
        return {"answered": text.count("answered "), "refused": text.count("refused ")}


def speech_wav(text: str, folder: Path, voice: str = "en-us") -> Path:
    """``text`` spoken by espeak-ng as 8 kHz A-law WAV, as SIPp's rtp_stream wants it."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / f"say-{abs(hash((text, voice)))}.wav"
    alaw = raw.with_suffix(".alaw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), "--", text], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-e", "a-law", str(alaw)],
                   check=True)
    return alaw


def sox_stat(path: Path, channel: int | None = None) -> dict[str, float]:
    """``sox stat`` figures (RMS amplitude, Length (seconds), ...) of a file or one channel."""
    command = ["sox", str(path), "-n"]
    if channel is not None:
        command += ["remix", str(channel)]
    result = subprocess.run([*command, "stat"], capture_output=True, text=True, check=True)
    figures = {}
    for line in result.stderr.splitlines():
        if ":" in line:
            name, _, value = line.partition(":")
            try:
                figures[name.strip()] = float(value.split()[0])
            except (ValueError, IndexError):
                continue
    return figures
