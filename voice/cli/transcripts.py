"""``voice transcripts search "words"``: find calls by what was said.

Every word must occur in one segment. Filters by call date, flow, queue, agent and speaker.
Each hit names the call, the recording and the second in it, who spoke and in which IVR
node, so QA can go straight to the moment (``voice recordings export``, or the web player).
"""

from __future__ import annotations

import json
from datetime import datetime

import click

from voice.cli.common import fail, reports_errors, services_or_exit
from voice.moments import parse_moment
from voice.transcripts.store import SPEAKERS, SearchFilters


def _when(value: str | None, option: str, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_moment(value, end=end)
    except ValueError as exc:
        fail(f"error: {option} {exc}")


@click.group()
def transcripts() -> None:
    """Transcripts of recorded calls (made by ``voice worker``)."""


@transcripts.command("search")
@click.argument("words")
@click.option("--since", help="Calls that started at or after (YYYY-MM-DD[THH:MM]).")
@click.option("--until", help="Calls that started before.")
@click.option("--flow", help="Only calls of this flow.")
@click.option("--queue", help="Only recordings of this queue.")
@click.option("--agent", help="Only recordings with this agent.")
@click.option("--speaker", type=click.Choice(SPEAKERS), help="Only what this side said.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def search(words: str, since: str | None, until: str | None, flow: str | None,
           queue: str | None, agent: str | None, speaker: str | None, limit: int,
           as_json: bool) -> None:
    """Calls in which WORDS were said, newest first."""
    filters = SearchFilters(since=_when(since, "--since"), until=_when(until, "--until", end=True),
                            flow=flow, queue=queue, agent=agent, speaker=speaker)
    with services_or_exit() as services:
        assert services.transcript_store is not None
        hits = services.transcript_store.search(words, filters, limit=limit)
    if as_json:
        click.echo(json.dumps([hit.as_json() for hit in hits], indent=2))
        return
    if not hits:
        click.echo("no transcript matches")
        return
    for hit in hits:
        click.echo(f"{hit.call_started_at:%Y-%m-%d %H:%M}  call {hit.call_id}  recording "
                   f"{hit.recording_id} at {hit.start_s:.1f}s  {hit.speaker:<6} "
                   f"{hit.node or '-':<12} {hit.text}")
