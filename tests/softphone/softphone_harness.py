"""Helpers of the softphone tests: the site (web app + services), a ``voice softphone``
process whose stdout lines are read in the background, and polling.

pjsua2 never runs inside pytest: the softphone is always a child process.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from voice.compose import Services

FAST_HASHING = {"VOICE_AUTH_HASH_TIME_COST": "1", "VOICE_AUTH_HASH_MEMORY_KIB": "8192"}
AGENT = "alice"
PASSWORD = "agent-password-1"
QUEUE = "support"
VOICE = Path(sys.executable).parent / "voice"
SIP_TESTS = Path(__file__).resolve().parents[1] / "sip"
if str(SIP_TESTS) not in sys.path:  # sip_harness (SIPp callers, free ports) lives there
    sys.path.insert(0, str(SIP_TESTS))


@dataclass
class Site:
    """The web app serving on ``url`` and the test's services over the same database."""

    url: str
    services: Services

    def agent(self, name: str = AGENT) -> dict:
        """The agent as the service has it now."""
        assert self.services.acd is not None
        return self.services.acd.agents.get(name).to_dict()


@dataclass
class PhoneProcess:
    """A running ``voice softphone``; its stdout lines are collected by a thread."""

    process: subprocess.Popen[str]
    errors: Path
    lines: list[str] = field(default_factory=list)
    _fresh: queue.SimpleQueue[str] = field(default_factory=queue.SimpleQueue)

    def start_reading(self) -> None:
        """Collect stdout lines in the background."""
        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self._fresh.put(line.rstrip("\n"))

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, prefix: str, timeout: float = 30) -> str:
        """The first status line starting with ``prefix`` (waiting up to ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((line for line in self.lines if line.startswith(prefix)), None)
            if found is not None:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line {prefix!r} within {timeout}s; output so far:\n"
                                     + "\n".join(self.lines) + f"\nstderr:\n{self.stderr()}")
            try:
                self.lines.append(self._fresh.get(timeout=min(left, 0.5)))
            except queue.Empty:
                if self.process.poll() is not None and self._fresh.empty():
                    time.sleep(0.2)
                    if self._fresh.empty():
                        raise AssertionError(
                            f"softphone exited ({self.process.returncode}) before {prefix!r}:\n"
                            + "\n".join(self.lines) + f"\nstderr:\n{self.stderr()}") from None

    def drain(self) -> list[str]:
        """Every line read so far."""
        while not self._fresh.empty():
            self.lines.append(self._fresh.get())
        return self.lines

    def stderr(self) -> str:
        """What the process wrote to stderr so far."""
        return self.errors.read_text(errors="replace") if self.errors.exists() else ""

    def send(self, line: str) -> None:
        """Type a command line (line-based keys)."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM, then wait for the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        """Make sure the process is gone."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)



def wait_until(check: Callable[[], bool], timeout: float = 20, what: str = "condition") -> None:
    """Poll ``check`` until it holds (AssertionError naming ``what`` after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        time.sleep(0.1)
