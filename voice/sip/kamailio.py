"""Kamailio in front of the media workers: render its config and run it as a child process.

``voice sip --kamailio --workers N`` runs N pjsua2 media workers (each on its own UDP port,
at most 2 conversations each) behind one Kamailio. :func:`render_config` writes
``kamailio.cfg`` and ``dispatcher.list`` from ``config/kamailio.cfg.j2`` and checks them with
``kamailio -c``; :class:`KamailioProcess` runs Kamailio in the foreground (``-DD -E``) and
waits until it answers a SIP OPTIONS. What the config does (call-load dispatching, fail over
on 408/486/500/503 or a dead worker, OPTIONS keepalives, allow list, ``X-Voice-Source``) is
described at the top of the template.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import jinja2

from voice.settings import PROJECT_ROOT
from voice.sip.errors import KamailioError

DEFAULT_TEMPLATE = PROJECT_ROOT / "config" / "kamailio.cfg.j2"
SHM_MB = 64
PKG_MB = 8
_LOG_TAIL = 25


def kamailio_binary() -> str:
    """Path of the ``kamailio`` binary (``PATH`` first, then the Debian ``/usr/sbin``)."""
    found = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise KamailioError("kamailio is not installed: apt-get install kamailio")
    return found


def _sip_host(host: str) -> str:
    """``host`` as it goes into a SIP URI or listen line (IPv6 addresses in brackets)."""
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        if not host or any(ch.isspace() or ch in ';"<>[]' for ch in host):
            raise KamailioError(f"invalid host {host!r}: give an IP address or host name") from None
        return host


def _port(port: int) -> int:
    if not 0 < int(port) < 65536:
        raise KamailioError(f"invalid port {port!r}: must be 1-65535")
    return int(port)


def render_config(
    *,
    host: str,
    port: int,
    workers: Sequence[tuple[str, int]],
    allow: Sequence[str],
    run_dir: Path,
    template: Path | None = None,
    max_load: int = 0,
    fr_timer_ms: int = 2000,
    fr_inv_timer_ms: int = 10000,
    ping_interval: int = 1,
    retry_after: int = 5,
    log_level: int = 2,
    max_tries: int = 6,
) -> Path:
    """Write ``run_dir/kamailio.cfg`` and ``run_dir/dispatcher.list``; return the cfg path.

    ``workers`` are the media workers' (host, UDP port); ``allow`` the CIDRs (or single
    addresses) callers may come from; everyone else gets 403. ``max_load`` > 0 caps the calls
    Kamailio sends to one worker (the worker's capacity, read from pjsua2 by the caller).
    ``fr_timer_ms`` bounds the wait for any reply from a worker (dead worker -> next one),
    ``fr_inv_timer_ms`` the wait for a final answer after a provisional one; ``max_tries``
    how many workers one INVITE may try before the caller gets 503. The result is
    checked with ``kamailio -c``; :class:`KamailioError` carries Kamailio's message. Note that
    Kamailio 5.6's ``-c`` parses the script, loads modules and resolves the listen address but
    runs no module fixups: an unknown pseudo-variable or function argument only fails at
    :meth:`KamailioProcess.start`, which raises :class:`KamailioError` with the log.
    """
    if not workers:
        raise KamailioError("no media workers to dispatch to: give at least one (host, port)")
    try:
        networks = [str(ipaddress.ip_network(net.strip(), strict=False)) for net in allow]
    except ValueError as exc:
        raise KamailioError(f"invalid allow-list entry: {exc}") from None
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    list_file = run_dir / "dispatcher.list"
    cfg_file = run_dir / "kamailio.cfg"
    attrs_extra = f";maxload={int(max_load)}" if max_load > 0 else ""
    # Priority falls with the index so that ties in load go to the first worker listed.
    lines = ["# setid destination flags priority attrs (rendered by voice.sip.kamailio)"]
    for index, (worker_host, worker_port) in enumerate(workers, start=1):
        uri = f"sip:{_sip_host(worker_host)}:{_port(worker_port)}"
        priority = len(workers) - index
        lines.append(f"1 {uri} 0 {priority} duid=worker{index}{attrs_extra}")
    list_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    template = Path(template) if template is not None else DEFAULT_TEMPLATE
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False,
    )
    try:
        text = env.from_string(template.read_text(encoding="utf-8")).render(
            listen=f"{_sip_host(host)}:{_port(port)}", sip_host=_sip_host(host),
            list_file=str(list_file), allow=networks, max_load=int(max_load),
            fr_timer_ms=int(fr_timer_ms), fr_inv_timer_ms=int(fr_inv_timer_ms),
            ping_interval=int(ping_interval), retry_after=int(retry_after),
            log_level=int(log_level), call_expire=4 * 3600,
            max_tries=max(1, min(int(max_tries), 10)),
            setup_expire=max(60, (fr_timer_ms + fr_inv_timer_ms) // 1000 * 2),
        )
    except (OSError, jinja2.TemplateError) as exc:
        raise KamailioError(f"cannot render Kamailio template {template}: {exc}") from exc
    cfg_file.write_text(text, encoding="utf-8")
    check_config(cfg_file, run_dir=run_dir)
    return cfg_file


def check_config(cfg: Path, *, run_dir: Path | None = None) -> None:
    """Run ``kamailio -c -f cfg``; raise :class:`KamailioError` with its errors if it fails."""
    run_dir = Path(run_dir) if run_dir is not None else Path(cfg).parent
    command = [kamailio_binary(), "-c", "-f", str(cfg), "-Y", str(run_dir), "-E",
               "-m", str(SHM_MB), "-M", str(PKG_MB)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired as exc:
        raise KamailioError(f"'kamailio -c' did not finish in 30 s for {cfg}") from exc
    if done.returncode != 0:
        output = (done.stderr + done.stdout).strip().splitlines()
        errors = [line for line in output if "ERROR" in line or "CRITICAL" in line] or output
        raise KamailioError(
            f"Kamailio rejected {cfg} (exit {done.returncode}):\n" + "\n".join(errors[-_LOG_TAIL:])
        )


def sip_options_ping(host: str, port: int, *, timeout: float = 0.5) -> int | None:
    """Send one SIP OPTIONS over UDP to ``host:port``; return the reply's status code or None."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    call_id = secrets.token_hex(8)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            # Choose the source port before connecting, and never the port being probed: a
            # probe of a port nobody has bound yet could otherwise take it as its own.
            sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0)
                      if target in ("127.0.0.1", "::1") else ("", 0))
            if sock.getsockname()[1] == port:
                return None
            sock.connect((target, port))
            local_ip, local_port = sock.getsockname()[:2]
            local = _sip_host(local_ip)
            request = (
                f"OPTIONS sip:{_sip_host(target)}:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {local}:{local_port};rport;branch=z9hG4bK{call_id}\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:health@{local}>;tag={call_id[:8]}\r\n"
                f"To: <sip:{_sip_host(target)}:{port}>\r\n"
                f"Call-ID: {call_id}@voice\r\nCSeq: 1 OPTIONS\r\n"
                f"Contact: <sip:health@{local}:{local_port}>\r\n"
                "Accept: application/sdp\r\nContent-Length: 0\r\n\r\n"
            )
            sock.send(request.encode())
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                data = sock.recv(65535).decode("utf-8", "replace")
                if call_id in data and data.startswith("SIP/2.0 "):
                    return int(data.split(" ", 2)[1])
        except (OSError, ValueError):
            return None
    return None


class KamailioProcess:
    """Kamailio run in the foreground as a child process; a context manager.

    Its log (stderr) goes to ``run_dir/kamailio.log``. :meth:`start` returns once Kamailio
    answers OPTIONS on ``host:port``; :meth:`stop` sends SIGTERM and kills after a timeout.
    """

    def __init__(self, cfg: Path, *, host: str, port: int, run_dir: Path | None = None,
                 start_timeout: float = 10.0, stop_timeout: float = 5.0) -> None:
        self.cfg = Path(cfg).resolve()
        self.host = host
        self.port = _port(port)
        self.run_dir = Path(run_dir).resolve() if run_dir is not None else self.cfg.parent
        self.log_path = self.run_dir / "kamailio.log"
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start Kamailio and wait until it answers OPTIONS; KamailioError if it does not."""
        if self.alive():
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        command = [
            kamailio_binary(), "-DD", "-E", "-f", str(self.cfg), "-Y", str(self.run_dir),
            "-P", str(self.run_dir / "kamailio.pid"), "-m", str(SHM_MB), "-M", str(PKG_MB),
        ]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(  # own process group: stop() can reap children
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if not self.alive():
                code = self._process.returncode
                raise KamailioError(f"kamailio exited with {code} at start:\n{self.log_tail()}")
            if sip_options_ping(self.host, self.port, timeout=0.3) is not None:
                return
        self.stop()
        raise KamailioError(
            f"kamailio did not answer OPTIONS on {self.host}:{self.port} within "
            f"{self.start_timeout:g} s; last log lines:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """SIGTERM Kamailio's process group and wait; SIGKILL it after ``stop_timeout``.

        SIGTERM is repeated every half second: a child that Kamailio forks while it starts
        takes the main process's signal handler with it until it marks itself a child, so a
        SIGTERM landing in that window is ignored and shutdown waits forever for that child.
        """
        process, self._process = self._process, None
        if process is None:
            return
        deadline = time.monotonic() + self.stop_timeout
        while process.poll() is None and time.monotonic() < deadline:
            self._signal_group(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.5)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=self.stop_timeout)
        self._signal_group(process.pid, signal.SIGKILL)  # children that outlived it, if any

    @staticmethod
    def _signal_group(pgid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signum)

    def alive(self) -> bool:
        """True while the Kamailio main process runs."""
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = _LOG_TAIL) -> str:
        """The last ``lines`` lines Kamailio logged."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> KamailioProcess:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
