"""``voice worker`` as a real process with the real Korean Vosk model: a filed recording
gets a transcript, a worker killed mid-job redoes it once, a worker without a model says so
and leaves the job waiting. Huey on SQLite and on the Redis server on this machine."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from tooling import in_ci, korean_model, require_tools
from worker_process import start_worker, stop_worker, wait_for

from voice.compose import Services, build_services
from voice.settings import load_settings
from voice.store.migrate import upgrade
from voice.store.models import Transcript, TranscriptSegment

SENTENCES = ["안녕하세요 예약을 확인하고 싶습니다", "네 확인 부탁드립니다", "아니요 괜찮습니다"]


def _korean(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(path), "--", text], check=True)
    return path


def call_wav(folder: Path, seconds: float) -> Path:
    """A two-channel 16 kHz WAV: Korean sentences on the caller's channel 0 with pauses,
    silence on channel 1, about ``seconds`` long."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    index = 0
    while sum(float(subprocess.run(["soxi", "-D", str(p)], capture_output=True, text=True,
                                   check=True).stdout) for p in parts) < seconds:
        spoken = _korean(SENTENCES[index % len(SENTENCES)], folder / f"s{index}.wav")
        padded = folder / f"p{index}.wav"
        subprocess.run(["sox", str(spoken), "-r", "16000", "-c", "1", str(padded),
                        "pad", "0.5", "1.0"], check=True)
        parts.append(padded)
        index += 1
    caller = folder / "caller.wav"
    subprocess.run(["sox", *map(str, parts), str(caller)], check=True)
    silent = folder / "ivr.wav"
    subprocess.run(["sox", str(caller), str(silent), "vol", "0"], check=True)
    both = folder / "call.wav"
    subprocess.run(["sox", "-M", str(caller), str(silent), str(both)], check=True)
    return both


@pytest.fixture(params=["sqlite", "redis"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    require_tools("espeak-ng", "sox")
    values = {"VOICE_DATA_DIR": str(tmp_path / "data"),
              "VOICE_VOSK_MODEL": str(korean_model()), "VOICE_LOG_LEVEL": "INFO"}
    if request.param == "redis":
        url = "redis://127.0.0.1:6379/0"
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            if in_ci():
                pytest.fail(f"Redis at {url} is unreachable: {exc}")
            pytest.skip(f"Redis at {url} is unreachable: {exc}")
        values["VOICE_REDIS_URL"] = url
    return values


@pytest.fixture
def services(env: dict[str, str]) -> Iterator[Services]:
    settings = load_settings(env)
    upgrade(settings.database_url)
    with build_services(settings) as built:
        yield built


def _file(services: Services, wav: Path, call_id: str) -> int:
    services.call_repository.start_call(
        call_id=call_id, channel="sip", flow_id="main", flow_version=1, flow_sha256=None,
        from_number="+15550100", to_number="2000", started_at=datetime.now(UTC),
        simulated=False)
    services.call_repository.append_path(call_id, [{
        "seq": 1, "at": datetime.now(UTC), "flow": "main", "node": "menu",
        "type": "menu", "outcome": None}])
    assert services.recording_service is not None
    return services.recording_service.store_local_recording(
        call_id=call_id, file=wav, kind="call", source_id=call_id).id


class Worker:
    """A ``voice worker`` process whose output goes to ``log``."""

    def __init__(self, env: dict[str, str], log: Path, name: str = "w1") -> None:
        self.log = log
        self.process = start_worker(env, log, name)

    def stop(self) -> None:
        stop_worker(self.process)


def _wait(condition: Callable[[], Any], timeout: float, what: str, log: Path) -> Any:
    return wait_for(condition, timeout, what, log.read_text)


def _counts(services: Services, recording_id: int) -> tuple[int, int]:
    with services.session_factory() as session:
        transcripts = session.query(Transcript).filter_by(recording_id=recording_id).count()
        segments = session.query(TranscriptSegment).join(Transcript).filter(
            Transcript.recording_id == recording_id).count()
    return transcripts, segments


def test_a_filed_recording_is_transcribed_and_searchable(
        services: Services, env: dict[str, str], tmp_path: Path) -> None:
    recording = _file(services, call_wav(tmp_path / "audio", 8), "call-1")
    assert services.task_queue is not None and services.transcript_store is not None
    services.task_queue.recording_filed(recording)
    services.task_queue.recording_filed(recording)  # filed twice: one job
    worker = Worker(env, tmp_path / "worker.log")
    try:
        _wait(lambda: (job := services.task_queue.jobs.get(recording)) and
              job.state == "done", 120, "the job did not finish", worker.log)
    finally:
        worker.stop()
    transcript = services.transcript_store.get(recording)
    assert transcript is not None and transcript.segments
    assert {s.channel for s in transcript.segments} == {0}  # the silent channel says nothing
    assert all(s.speaker == "caller" and s.node == "menu" for s in transcript.segments)
    starts = [s.start_s for s in transcript.segments]
    assert starts == sorted(starts) and all(0 <= s.start_s < s.end_s <= 9.5
                                            for s in transcript.segments)
    word = transcript.segments[0].text.split()[0]
    assert any(hit.call_id == "call-1" for hit in services.transcript_store.search(word))
    assert services.task_queue.jobs.get(recording).attempts == 1


def test_a_worker_killed_mid_job_redoes_it_once(
        services: Services, env: dict[str, str], tmp_path: Path) -> None:
    recording = _file(services, call_wav(tmp_path / "audio", 60), "call-2")
    assert services.task_queue is not None
    services.task_queue.recording_filed(recording)
    log = tmp_path / "worker.log"
    first = Worker(env, log)
    _wait(lambda: services.task_queue.jobs.get(recording).state == "running", 120,
          "the job did not start", log)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    assert services.task_queue.jobs.get(recording).state == "running"  # left mid-job
    assert _counts(services, recording) == (0, 0)
    second = Worker(env, log)  # the same name: it takes its job back at once
    try:
        _wait(lambda: services.task_queue.jobs.get(recording).state == "done", 180,
              "the job was not redone", log)
    finally:
        second.stop()
    job = services.task_queue.jobs.get(recording)
    assert job.attempts == 2
    transcripts, segments = _counts(services, recording)
    assert transcripts == 1 and segments > 0
    stored = services.transcript_store.get(recording)
    assert len({(s.channel, s.start_s) for s in stored.segments}) == len(stored.segments)


def test_a_worker_without_a_model_says_so_and_the_job_waits(
        services: Services, env: dict[str, str], tmp_path: Path) -> None:
    recording = _file(services, call_wav(tmp_path / "audio", 3), "call-3")
    assert services.task_queue is not None
    services.task_queue.recording_filed(recording)
    no_model = {k: v for k, v in env.items() if k != "VOICE_VOSK_MODEL"}
    log = tmp_path / "worker.log"
    worker = Worker(no_model, log)
    try:
        _wait(lambda: "VOICE_VOSK_MODEL is not set" in log.read_text(), 30,
              "no clear error", log)
        time.sleep(2)  # the queued message reaches this worker and is left alone
    finally:
        worker.stop()
    assert services.task_queue.jobs.get(recording).state == "queued"
    assert _counts(services, recording) == (0, 0)
