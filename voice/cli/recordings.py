"""``voice recordings``: list, show, export and purge call recordings.

Owns the terminal and JSON views of the recordings table and the two file operations an admin
needs: exporting the clear WAV of one recording (decrypted when stored encrypted, and checked
against the SHA-256 recorded when it was stored) and running the retention purge now
(``--dry-run`` shows what it would remove).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from voice.cli.common import fail, reports_errors, services_or_exit
from voice.compose import Services
from voice.recordings.errors import RecordingNotFoundError
from voice.recordings.records import RecordingInfo
from voice.recordings.service import RecordingService

COLUMNS = ("ID", "CALL", "KIND", "FLOW", "CREATED", "SECONDS", "EXPIRES", "ENCRYPTED")


@click.group()
def recordings() -> None:
    """Call and voicemail recordings: list, show with transcript, export, purge."""


@recordings.command("list")
@click.option("--call", "call_id", help="Only the recordings of this call id.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1),
              help="How many of the newest recordings to show.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def list_recordings(call_id: str | None, limit: int, as_json: bool) -> None:
    """List recordings, newest first."""
    with services_or_exit() as services:
        found = _service(services).repository.list_recordings(call=call_id, limit=limit)
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in found], indent=2))
        return
    if not found:
        click.echo("No recordings" + (f" of call {call_id}." if call_id else " yet."))
        return
    rows = [COLUMNS, *(_row(r) for r in found)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@recordings.command("show")
@click.argument("recording_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def show_recording(recording_id: int, as_json: bool) -> None:
    """Show one recording and, once transcribed, its transcript."""
    with services_or_exit() as services:
        service = _service(services)
        info = _get(service, recording_id)
        transcript = service.repository.transcript(info.id)
    if as_json:
        body = {**info.to_dict(), "transcript": transcript.to_dict() if transcript else None}
        click.echo(json.dumps(body, indent=2))
        return
    for label, value in (
        ("id", str(info.id)), ("call", info.call_id), ("kind", info.kind),
        ("source", f"{info.source} {info.source_id}"), ("flow", info.flow_id or "-"),
        ("queue", info.queue or "-"), ("agent", info.agent or "-"), ("file", info.path),
        ("encrypted", "yes" if info.encrypted else "no"),
        ("audio", f"{info.channels} channel(s), {info.duration_s:.1f} s, "
                  f"{info.size_bytes} bytes"),
        ("sha256", info.sha256), ("created", _time(info.created_at)),
        ("expires", _time(info.expires_at)),
    ):
        click.echo(f"{label + ':':<11}{value}")
    if transcript is None:
        click.echo("transcript: none yet")
        return
    click.echo(f"transcript: {transcript.model}, {len(transcript.segments)} segment(s)")
    for s in transcript.segments:
        where = f" @{s.node}" if s.node else ""
        sure = f" ({s.confidence:.2f})" if s.confidence is not None else ""
        click.echo(f"  [{s.start_s:7.2f}-{s.end_s:7.2f}] {s.speaker}{where}: {s.text}{sure}")


@recordings.command("export")
@click.argument("recording_id", type=int)
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The WAV file to write.")
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@reports_errors
def export_recording(recording_id: int, target: Path, force: bool) -> None:
    """Write a recording's clear WAV to a file, checking its SHA-256."""
    if target.exists() and not force:
        fail(f"error: {target} exists; choose another file or add --force to replace it")
    with services_or_exit() as services:
        service = _service(services)
        info = _get(service, recording_id)
        service.export_audio(info, target)
    click.echo(f"wrote {target} ({info.size_bytes} bytes, sha256 {info.sha256} verified)")


@recordings.command("purge")
@click.option("--dry-run", is_flag=True, help="Only show what would be removed.")
@reports_errors
def purge_recordings(dry_run: bool) -> None:
    """Remove expired recordings: their files, rows and transcripts."""
    with services_or_exit() as services:
        service = _service(services)
        now = services.clock()
        found = service.expired(now) if dry_run else service.purge_expired(now)
    verb = "would remove" if dry_run else "removed"
    if not found:
        click.echo(f"Nothing to purge: no recording has expired ({_time(now)}).")
        return
    for info in found:
        click.echo(f"{verb} {info.id}  {info.call_id}  {info.path}  "
                   f"(expired {_time(info.expires_at)})")
    click.echo(f"{verb} {len(found)} recording(s).")


def _service(services: Services) -> RecordingService:
    service = services.recording_service
    assert service is not None  # build_services always sets it
    return service


def _get(service: RecordingService, recording_id: int) -> RecordingInfo:
    info = service.repository.get(recording_id)
    if info is None:
        raise RecordingNotFoundError(recording_id)
    return info


def _row(info: RecordingInfo) -> tuple[str, ...]:
    return (str(info.id), info.call_id, info.kind, info.flow_id or "-", _time(info.created_at),
            f"{info.duration_s:.1f}", _time(info.expires_at), "yes" if info.encrypted else "no")


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else "-"
