"""``voice worker``: the task-queue consumer (transcription, retention purge).

The composition root of a worker process: loads settings, builds the services once, loads
the Vosk model once (``VOICE_VOSK_MODEL``) and consumes the queue (Huey on SQLite, or Redis
with ``VOICE_REDIS_URL``) until SIGINT/SIGTERM. Without a usable model it says so at start
and runs the other tasks; transcription jobs then wait in the database, nothing is dropped.
A worker killed mid-job redoes it when it starts again under the same ``--name``.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import click

from voice.cli.common import load_settings_or_exit, reports_errors
from voice.compose import Services, build_services
from voice.recordings.repository import RecordingRepository
from voice.speech.errors import SpeechError
from voice.speech.models import ModelCache, check_model_folder
from voice.store.migrate import upgrade
from voice.tasks.jobs import TranscriptionJobs
from voice.transcripts.service import TranscriptionService

log = logging.getLogger("voice.worker")


@click.command()
@click.option("--name", default=None,
              help="This worker's name (default: host name); a restarted worker reclaims "
                   "the jobs it was running under the same name.")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Jobs run at once in this process (one model, shared).")
@reports_errors
def worker(name: str | None, threads: int) -> None:
    """Run queued jobs: transcribe recordings, purge expired ones."""
    settings = load_settings_or_exit()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    upgrade(settings.database_url)
    name = name or f"worker-{socket.gethostname()}"
    with build_services(settings) as services:
        assert services.task_queue is not None and services.recording_service is not None
        folder = _model_folder(settings.vosk_model)
        transcribe = _transcription(services, folder, name).run if folder else None
        consumer = services.task_queue.serve(
            worker=name, transcribe=transcribe, threads=threads,
            purge=lambda: services.recording_service.purge_expired(services.clock()))
        doing = f"transcribing with {folder.name}" if folder else "no model"
        click.echo(f"worker {name}: {doing}, queue {'redis' if settings.redis_url else 'sqlite'}",
                   err=True)
        consumer.run()


def _model_folder(configured: Path | None) -> Path | None:
    """The model folder, or None after logging why transcription is off (jobs then wait)."""
    waiting = "transcription jobs wait until a worker with a usable model runs"
    if configured is None:
        log.error("transcription is off: VOICE_VOSK_MODEL is not set ('voice models fetch "
                  "NAME' downloads one); %s", waiting)
        return None
    try:
        return check_model_folder(configured)
    except SpeechError as exc:
        log.error("transcription is off: %s; %s", exc, waiting)
        return None


def _transcription(services: Services, folder: Path, name: str) -> TranscriptionService:
    """The transcription service with the model loaded now, once for the process (each job
    makes its own recogniser from it)."""
    from voice.transcripts.transcriber import Transcriber

    assert services.recording_service is not None and services.transcript_store is not None
    transcriber = Transcriber(folder, ModelCache())
    return TranscriptionService(
        recordings=services.recording_service,
        recording_rows=RecordingRepository(services.session_factory),
        calls=services.call_repository, jobs=TranscriptionJobs(services.session_factory),
        store=services.transcript_store, transcriber=lambda: transcriber,
        model_name=folder.name, clock=services.clock, worker=name)
