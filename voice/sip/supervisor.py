"""``voice sip``: runs the media workers (and Kamailio in front of them) and keeps them alive.

Embedded default: one worker listening on the SIP port itself. With Kamailio: Kamailio takes
the SIP port and dispatches INVITEs by current load over N workers on the ports after it,
failing over on 503 or a dead worker (``config/kamailio.cfg.j2``). The supervisor restarts a
worker that dies and marks the calls it held as ended (outcome ``worker-died``) so the call
log never shows a ghost call. On SIGTERM it tells every worker to drain (new calls get 503,
live calls get ``VOICE_SIP_GRACE`` seconds), waits for them, then stops Kamailio.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from voice.calls.repository import CallRepository
from voice.settings import Settings
from voice.sip.errors import SipError
from voice.sip.kamailio import KamailioProcess, render_config, sip_options_ping

log = logging.getLogger(__name__)

START_TIMEOUT = 30.0
START_PER_WORKER = 2.0  # extra seconds of start-up wait per worker (they boot together)
RESTART_BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)
CALLERS_PER_WORKER = 2  # what Kamailio may send one worker (the worker's own gate decides)
#: how long Kamailio waits for a worker's first answer before trying the next one; long
#: enough that a busy worker is not mistaken for a dead one (the call would run twice)
FR_TIMER_MS = 4000


@dataclass
class _Worker:
    name: str
    port: int
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0


class WorkerPool:
    """Starts, watches and stops the SIP side of one machine (see module docstring)."""

    def __init__(self, settings: Settings, calls: CallRepository, *, host: str, port: int,
                 workers: int, kamailio: bool, run_dir: Path, grace: float | None = None,
                 python: str = sys.executable, env: Mapping[str, str] | None = None,
                 worker_args: Sequence[str] = (),
                 on_calls_ended: Callable[[list[str]], object] | None = None) -> None:
        if workers > 1 and not kamailio:
            raise SipError(f"{workers} workers cannot share udp port {port}; add --kamailio "
                           "(Kamailio dispatches over the workers) or use --workers 1")
        self.settings = settings
        self.calls = calls
        self.host, self.port = host, port
        # Workers behind Kamailio listen on a concrete address Kamailio can dispatch to.
        self.inner_host = "127.0.0.1" if kamailio and host in ("0.0.0.0", "") else host
        self.kamailio = kamailio
        self.run_dir = run_dir
        self.grace = settings.sip_grace if grace is None else grace
        self.python = python
        self.env = dict(env) if env is not None else None  # workers' environment (tests)
        self.worker_args = list(worker_args)  # e.g. --timing (bench)
        #: told the ids of calls a dead worker held (the ACD frees their agents at once)
        self.on_calls_ended = on_calls_ended
        base = socket.gethostname().split(".")[0]
        ports = [port + 1 + i for i in range(workers)] if kamailio else [port]
        self.workers = [_Worker(f"{base}-sip{i + 1}", p) for i, p in enumerate(ports)]
        self.proxy: KamailioProcess | None = None

    def start(self) -> None:
        """Start the workers, wait until each answers SIP, then start Kamailio in front.

        Workers boot together, so the wait grows with their number (each needs a second or
        two of CPU). On failure everything already started is stopped again.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        try:
            for worker in self.workers:
                self._launch(worker)
            deadline = time.monotonic() + START_TIMEOUT + START_PER_WORKER * len(self.workers)
            for worker in self.workers:
                self._wait_ready(worker, deadline)
            self._start_proxy()
        except BaseException:
            self.stop()
            raise
        log.info("SIP: %s on udp:%s:%d with %d worker(s)",
                 "Kamailio" if self.kamailio else "worker", self.host, self.port,
                 len(self.workers))

    def _start_proxy(self) -> None:
        if self.kamailio:
            cfg = render_config(host=self.host, port=self.port,
                                workers=[(self.inner_host, w.port) for w in self.workers],
                                allow=self.settings.sip_allow, run_dir=self.run_dir,
                                max_load=CALLERS_PER_WORKER, fr_timer_ms=FR_TIMER_MS)
            self.proxy = KamailioProcess(cfg, host=self.host, port=self.port,
                                         run_dir=self.run_dir)
            self.proxy.start()

    def supervise(self, should_stop: Callable[[], bool], poll: float = 0.2) -> None:
        """Restart workers (and Kamailio) that die, until ``should_stop()``."""
        while not should_stop():
            for worker in self.workers:
                process = worker.process
                if process is not None and process.poll() is not None:
                    self._died(worker, process.returncode)
            if self.proxy is not None and not self.proxy.alive():
                log.error("Kamailio stopped unexpectedly; restarting it:\n%s",
                          self.proxy.log_tail())
                self.proxy.start()
            time.sleep(poll)

    def stop(self) -> None:
        """Drain and stop the workers, then Kamailio (always, whatever the workers do)."""
        try:
            for worker in self.workers:
                if worker.process is not None and worker.process.poll() is None:
                    worker.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + self.grace + 10
            for worker in self.workers:
                if worker.process is None:
                    continue
                try:
                    worker.process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log.error("worker %s did not stop in time; killing it", worker.name)
                    worker.process.kill()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        worker.process.wait(10)
                    self._end_calls(worker, "worker-killed")
        finally:
            if self.proxy is not None:
                self.proxy.stop()

    # -- internals ----------------------------------------------------------------------
    def _launch(self, worker: _Worker) -> None:
        argv = [self.python, "-m", "voice.sip.process", "--host", self.inner_host,
                "--port", str(worker.port), "--name", worker.name, "--grace", str(self.grace)]
        if self.kamailio:
            argv += ["--trusted-proxy", self.inner_host]
        argv += self.worker_args
        worker.process = subprocess.Popen(argv, stdout=sys.stderr.fileno(), env=self.env)
        worker.started_at = time.monotonic()

    def _wait_ready(self, worker: _Worker, deadline: float) -> None:
        while sip_options_ping(self.inner_host, worker.port) is None:
            assert worker.process is not None
            if worker.process.poll() is not None:
                raise SipError(f"SIP worker {worker.name} exited with status "
                               f"{worker.process.returncode} while starting on udp:"
                               f"{self.host}:{worker.port}; see its log above (port in use?)")
            if time.monotonic() > deadline:
                raise SipError(f"SIP worker {worker.name} did not answer on udp:{self.host}:"
                               f"{worker.port} in time; is the machine overloaded?")

    def _died(self, worker: _Worker, status: int) -> None:
        ended = self._end_calls(worker, "worker-died")
        log.error("worker %s exited with status %s; %d live call(s) marked ended; restarting",
                  worker.name, status, len(ended))
        delay = RESTART_BACKOFF[min(worker.restarts, len(RESTART_BACKOFF) - 1)]
        if time.monotonic() - worker.started_at > 60:
            worker.restarts = 0  # it ran well for a while: start the backoff again
        worker.restarts += 1
        time.sleep(delay)
        self._launch(worker)

    def _end_calls(self, worker: _Worker, outcome: str) -> list[str]:
        try:
            ended = self.calls.end_open_calls(worker=worker.name, ended_at=datetime.now(UTC),
                                              outcome=outcome)
        except Exception:
            log.exception("could not mark the calls of worker %s ended", worker.name)
            return []
        if ended and self.on_calls_ended is not None:
            try:
                self.on_calls_ended(ended)
            except Exception:
                log.exception("could not reconcile the agents of worker %s", worker.name)
        return ended
