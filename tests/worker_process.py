"""Running ``voice worker`` as a real process in tests, until a transcription job is done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voice.tasks.jobs import TranscriptionJobs


def wait_for(condition: Callable[[], Any], timeout: float, what: str,
             log: Callable[[], str]) -> Any:
    """Poll ``condition`` until it is truthy (return it) or fail with ``log()``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s; log:\n{log()}")


def start_worker(env: dict[str, str], log: Path, name: str) -> subprocess.Popen[bytes]:
    """``voice worker --name NAME`` with this process's environment minus its VOICE_*
    variables, plus ``env``; output appended to ``log``."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_")} | env
    with log.open("a") as handle:
        return subprocess.Popen(
            [sys.executable, "-c", "from voice.cli import main; main()", "worker",
             "--name", name], env=full, stdout=handle, stderr=subprocess.STDOUT)


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """Stop it as Ctrl-C would (killed after 20 s)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def transcribe_with_worker(env: dict[str, str], jobs: TranscriptionJobs, recording_id: int,
                           log: Path, timeout: float = 180) -> None:
    """Run a worker until the recording's job is done (at the first attempt) and stop it."""
    process = start_worker(env, log, "transcriber")
    try:
        wait_for(lambda: jobs.get(recording_id).state in ("done", "failed"), timeout,
                 "the transcription job did not finish", log.read_text)
    finally:
        stop_worker(process)
    job = jobs.get(recording_id)
    assert (job.state, job.attempts, job.last_error) == ("done", 1, None), log.read_text()
