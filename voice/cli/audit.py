"""``voice audit``: read the audit log, and how CLI commands write to it.

``voice audit list [--entity-type T] [--actor A] [--limit N] [--json]`` prints who changed
what (flows, queues, agents, users, schedules, webhooks, customers), newest first, whatever
door the change came through (web page, API, CLI). :func:`record_cli` is what the commands
that change configuration call after a change: the actor is the operating-system user
(:func:`voice.audit.log.cli_actor`) and the door ``cli``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from voice.audit.log import AuditRecord, cli_actor
from voice.cli.common import render_table, reports_errors, services_or_exit
from voice.compose import Services

COLUMNS = ("ID", "WHEN (UTC)", "ACTOR", "VIA", "ACTION", "ENTITY", "SUMMARY")


def record_cli(services: Services, action: str, entity_type: str, entity_id: str | int,
               summary: str, details: Mapping[str, Any] | None = None) -> None:
    """Audit a change a CLI command made (never pass secrets in ``details``)."""
    if services.audit is None:
        return
    services.audit.record(actor=cli_actor(), via="cli", action=action,
                          entity_type=entity_type, entity_id=str(entity_id), summary=summary,
                          details=details)


@click.group()
def audit() -> None:
    """The audit log: who changed what, when, and through which door."""


@audit.command("list")
@click.option("--entity-type", help="Only changes to this kind of thing: flow, queue, agent, "
                                    "user, schedule, webhook, customer.")
@click.option("--actor", help="Only changes by this user (CLI: the login name).")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@reports_errors
def list_entries(entity_type: str | None, actor: str | None, limit: int,
                 as_json: bool) -> None:
    """List audit entries, newest first."""
    with services_or_exit() as services:
        assert services.audit is not None
        entries = services.audit.entries(entity_type=entity_type, actor=actor, limit=limit)
    if as_json:
        click.echo(json.dumps([as_dict(entry) for entry in entries], indent=2, default=str))
        return
    if not entries:
        click.echo("No audit entries match.")
        return
    rows = [(str(e.id), e.at.strftime("%Y-%m-%d %H:%M:%S"),
             e.actor + (f" ({e.actor_role})" if e.actor_role else ""), e.via, e.action,
             f"{e.entity_type} {e.entity_id}", e.summary) for e in entries]
    click.echo(render_table(COLUMNS, rows))


def as_dict(entry: AuditRecord) -> dict[str, Any]:
    """One entry as JSON (time in ISO 8601)."""
    return {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor,
            "actor_role": entry.actor_role, "via": entry.via, "action": entry.action,
            "entity_type": entry.entity_type, "entity_id": entry.entity_id,
            "summary": entry.summary, "details": entry.details}
