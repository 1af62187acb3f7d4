"""``voice calls``: inspect the call log (real and simulated calls with their IVR path).

Owns the terminal and JSON views of recent calls. Inputs are shown exactly as stored, i.e.
already masked where the flow marked them sensitive.
"""

from __future__ import annotations

import json
from datetime import datetime

import click

from voice.calls.records import CHANNELS, CallRecord
from voice.cli.common import render_table, reports_errors, services_or_exit

COLUMNS = ("ID", "CHANNEL", "FLOW", "FROM", "TO", "START", "END", "OUTCOME", "PATH")


@click.group()
def calls() -> None:
    """The call log: recent calls and the path they took through the IVR."""


@calls.command("list")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many of the most recent calls to show.",
)
@click.option("--channel", type=click.Choice(CHANNELS), help="Only calls of this channel.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON with every path step.")
@reports_errors
def list_calls(limit: int, channel: str | None, as_json: bool) -> None:
    """List recent calls, newest first."""
    with services_or_exit() as services:
        records = services.call_repository.list_calls(limit=limit, channel=channel)
    if as_json:
        click.echo(json.dumps([record.to_dict() for record in records], indent=2))
        return
    if not records:
        click.echo("No calls yet. Simulate one with 'voice flows simulate FLOW'.")
        return
    click.echo(render_table(COLUMNS, [table_row(record) for record in records]))


def table_row(record: CallRecord) -> tuple[str, ...]:
    """One call as the text cells of the table, path as node names in visit order."""
    version = "?" if record.flow_version is None else str(record.flow_version)
    channel = f"{record.channel} (simulated)" if record.simulated else record.channel
    if record.worker:
        channel = f"{channel} ({record.worker})"  # the SIP media worker that held the call
    return (
        record.id,
        channel,
        f"{record.flow_id}@{version}",
        record.from_number,
        record.to_number,
        _time(record.started_at),
        _time(record.ended_at),
        record.outcome or "-",
        " > ".join(step.node for step in record.path) or "-",
    )


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else "-"
