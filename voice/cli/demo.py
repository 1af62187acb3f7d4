"""``voice demo``: generate demo data (``voice demo seed --calls N``) for the web UIs."""

from __future__ import annotations

import click

from voice.cli.common import fail, reports_errors, services_or_exit
from voice.moments import parse_moment


@click.group()
def demo() -> None:
    """Demo data: realistic calls, recordings, transcripts."""


@demo.command("seed")
@click.option("--calls", "count", type=click.IntRange(min=1), required=True,
              help="How many calls to generate.")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=1),
              help="Spread the calls over the last D days.")
@click.option("--seed", "seed_value", type=int, default=None,
              help="Random seed: the same seed (and --now day) gives the same data.")
@click.option("--audio/--no-audio", default=True, show_default=True,
              help="Write real WAV files for the newest answered calls (others have rows "
                   "only); --no-audio is --audio-calls 0.")
@click.option("--audio-calls", default=20, show_default=True, type=click.IntRange(min=0),
              help="How many of the newest calls may get WAV files.")
@click.option("--append", is_flag=True, help="Add to existing demo data instead of refusing.")
@click.option("--now", "now_text", default=None,
              help="Pretend it is this ISO time (UTC if no offset): with --seed, the same data "
                   "every run.")
@reports_errors
def seed_command(count: int, days: int, seed_value: int | None, audio: bool,
                 audio_calls: int, append: bool, now_text: str | None) -> None:
    """Fill the database with --calls realistic demo calls and print timing figures."""
    from voice.demo.seed import DemoDataExistsError, SeedOptions, seed

    try:
        now = parse_moment(now_text) if now_text is not None else None
    except ValueError as exc:
        fail(f"--now: {exc}")
    with services_or_exit() as services:
        options = SeedOptions(calls=count, days=days, seed=seed_value,
                              audio_calls=audio_calls if audio else 0, append=append,
                              now=now or services.clock())
        if services.acd is None:
            fail("the ACD is not configured; demo agents cannot be created")
        try:
            report = seed(services.session_factory, services.acd,
                          services.settings.recordings_dir, options,
                          progress=lambda done: click.echo(f"  {done}/{count} calls", err=True))
        except DemoDataExistsError as exc:
            fail(str(exc))
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()))
    click.echo(f"Seeded {report.calls} calls ({outcomes}); {report.events} path events, "
               f"{report.queue_entries} queue entries, {report.dispositions} dispositions, "
               f"{report.recordings} recordings ({report.audio_files} with audio), "
               f"{report.transcripts} transcripts with {report.segments} segments, "
               f"{report.evaluations} QA evaluations; "
               f"{report.agents_created} demo agents created.")
    click.echo(f"Took {report.seconds:.1f} s: {report.calls_per_second:.0f} calls/s.")
