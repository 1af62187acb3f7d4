"""``voice transcribe`` and ``voice models``: offline transcription and Vosk models.

``voice transcribe FILE.wav`` prints what was said on each channel of a recording (SIP: caller
on channel 0, IVR or agent on channel 1) with the real-time factor; the model is ``--model``
or ``VOICE_VOSK_MODEL``. ``voice models list|fetch`` read the official model list
(``VOICE_VOSK_MODELS_URL``) and download a model into ``<VOICE_DATA_DIR>/models/<name>``,
then say how to select it. Vosk is imported only by the commands that need it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import httpx

from voice.cli.common import fail, load_settings_or_exit, reports_errors
from voice.settings import Settings
from voice.speech.catalog import ModelEntry, fetch_model, find_model, installed_path, list_models

MODELS_FOLDER = "models"
LIST_COLUMNS = ("NAME", "LANGUAGE", "SIZE", "TYPE", "DOWNLOADED")


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--model", "model_dir", type=click.Path(path_type=Path),
              help="Vosk model folder [default: VOICE_VOSK_MODEL].")
@click.option("--json", "as_json", is_flag=True, help="Print the segments and figures as JSON.")
@reports_errors
def transcribe(file: Path, model_dir: Path | None, as_json: bool) -> None:
    """Transcribe every channel of a WAV recording: one line per utterance."""
    if model_dir is None:
        model_dir = load_settings_or_exit().vosk_model
        if model_dir is None:
            fail("error: no Vosk model: pass --model DIR or set VOICE_VOSK_MODEL to an "
                 "unpacked model folder (`voice models list` and `voice models fetch NAME` "
                 "download one)")
    from voice.transcripts.transcriber import Transcriber

    result = Transcriber(model_dir).transcribe(file)
    if as_json:
        click.echo(json.dumps({"file": str(file), **result.to_dict()}, ensure_ascii=False,
                              indent=2))
        return
    for segment in result.segments:
        confidence = "-" if segment.confidence is None else f"{segment.confidence:.2f}"
        click.echo(f"[{segment.channel}] {segment.start_s:.2f}-{segment.end_s:.2f}  "
                   f"{segment.text} ({confidence})")
    if not result.segments:
        click.echo("no speech found")
    rtf = result.real_time_factor
    click.echo(f"{result.duration_s:.1f} s of audio, {result.channels} channel(s) at "
               f"{result.sample_rate} Hz, transcribed in {result.processing_s:.2f} s: "
               f"real-time factor {'-' if rtf is None else f'{rtf:.2f}'} "
               f"(model {result.model})")


@click.group()
def models() -> None:
    """Vosk speech models: list the official ones, download one."""


@models.command("list")
@click.option("--lang", help="Only this language code, e.g. ko or en (en also lists en-us).")
@click.option("--all", "show_all", is_flag=True, help="Include models marked obsolete.")
@click.option("--json", "as_json", is_flag=True, help="Print the models as JSON.")
@reports_errors
def list_command(lang: str | None, show_all: bool, as_json: bool) -> None:
    """List the models of the official Vosk model list; mark the downloaded ones."""
    settings = load_settings_or_exit()
    folder = models_dir(settings)
    with _client() as client:
        entries = list_models(client, settings.vosk_models_url)
    shown = [e for e in entries if (show_all or not e.obsolete) and _language_matches(e, lang)]
    if as_json:
        click.echo(json.dumps([_entry_json(entry, folder) for entry in shown],
                              ensure_ascii=False, indent=2))
        return
    if not shown:
        click.echo("No models match." + ("" if show_all else " (--all includes obsolete ones)"))
        return
    rows = [LIST_COLUMNS, *(
        (entry.name, f"{entry.lang_text} ({entry.lang})", entry.size_text or str(entry.size),
         entry.type + (" (obsolete)" if entry.obsolete else ""),
         "yes" if installed_path(entry, folder) is not None else "")
        for entry in shown)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(LIST_COLUMNS))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                      strict=True)).rstrip())
    click.echo(f"{len(shown)} model(s); downloaded ones are in {folder}; "
               "`voice models fetch NAME` downloads one")


@models.command("fetch")
@click.argument("name")
@reports_errors
def fetch_command(name: str) -> None:
    """Download model NAME into <VOICE_DATA_DIR>/models/NAME and say how to select it."""
    settings = load_settings_or_exit()
    folder = models_dir(settings)
    with _client() as client:
        entry = find_model(list_models(client, settings.vosk_models_url), name)
        path = installed_path(entry, folder)
        if path is not None:
            click.echo(f"{entry.name} is already downloaded in {path}")
        else:
            click.echo(f"downloading {entry.name} ({entry.size_text or entry.size}) from "
                       f"{entry.url}", err=True)
            with click.progressbar(length=max(entry.size, 1), file=sys.stderr,
                                   label=entry.name) as bar:
                path = fetch_model(client, entry, folder,
                                   progress=lambda done, _total: bar.update(done - bar.pos))
            click.echo(f"downloaded {entry.name} into {path} (size and MD5 checked)")
    if entry.obsolete:
        click.echo(f"note: the model list marks {entry.name} as obsolete", err=True)
    click.echo("select it for speech menus and transcription with:")
    click.echo(f"export VOICE_VOSK_MODEL={path}")


def models_dir(settings: Settings) -> Path:
    """Where ``voice models fetch`` puts models: ``<data_dir>/models``."""
    return settings.data_dir / MODELS_FOLDER


def _client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(30.0), follow_redirects=True)


def _language_matches(entry: ModelEntry, lang: str | None) -> bool:
    if not lang:
        return True
    wanted, have = lang.strip().lower(), entry.lang.lower()
    return have == wanted or have.startswith(wanted + "-")


def _entry_json(entry: ModelEntry, folder: Path) -> dict[str, object]:
    path = installed_path(entry, folder)
    return {**entry.to_dict(), "downloaded": path is not None,
            "path": None if path is None else str(path)}
