"""``voice agents`` and ``voice queues``: agents, their states, and the ACD's queues.

``voice agents add NAME --password ... --queues q1,q2 [--skills s:level,...] [--contact
SIP-URI] [--twilio-identity ID] [--extension N]`` makes the agent and their login (the
password falls back to ``VOICE_USER_PASSWORD``, then a hidden prompt). ``voice agents state
NAME STATE [--reason]`` changes what an agent chose (available, away, offline).
``voice queues set NAME --strategy ... --ring-timeout ...``, ``voice queues import FILE``
(YAML, see ``voice.acd.queues``) and ``voice queues status`` (callers waiting, agents by
state) manage the queues.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from voice.acd.queues import FIELDS
from voice.acd.records import CHOSEN_STATES, QueueConfig
from voice.acd.service import Acd
from voice.acd.strategies import STRATEGIES
from voice.audit.log import changed_fields
from voice.cli.audit import record_cli
from voice.cli.common import reports_errors, services_or_exit
from voice.cli.users import password_option
from voice.compose import Services


@contextmanager
def acd_or_exit() -> Iterator[Acd]:
    """The ACD of this command's services, closed afterwards; bad settings exit 2."""
    with services_or_exit() as services:
        assert services.acd is not None
        yield services.acd


@contextmanager
def acd_and_services() -> Iterator[tuple[Acd, Services]]:
    """The ACD and the services it came from (to audit a change), closed afterwards."""
    with services_or_exit() as services:
        assert services.acd is not None
        yield services.acd, services


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [p.strip() for p in text.split(",") if p.strip()]


@click.group()
def agents() -> None:
    """Agents: their queues, skills, contacts and states."""


@agents.command("add")
@click.argument("name")
@password_option("The agent's login password, at least 8 characters.")
@click.option("--queues", default="", help="Queues the agent answers, comma-separated.")
@click.option("--skills", default="", help="Skills with levels 1-10: billing:3,spanish:2.")
@click.option("--contact", help="A fixed SIP URI where the agent's phone rings.")
@click.option("--twilio-identity", help="The agent's Twilio Client identity (browser).")
@click.option("--extension", help="The agent's extension number.")
@reports_errors
def add_agent(name: str, password: str, queues: str, skills: str, contact: str | None,
              twilio_identity: str | None, extension: str | None) -> None:
    """Add the agent NAME and their login (user role agent)."""
    with acd_and_services() as (acd, services):
        view = acd.agents.add(name, password, queues=_split(queues) or [],
                              skills=_split(skills) or [], contact=contact,
                              twilio_identity=twilio_identity, extension=extension)
        record_cli(services, "agent.add", "agent", view.name,
                   f"Added agent {view.name} (queues: {', '.join(view.queues) or 'none'})",
                   {**view.editable(), "password_set": True})
    click.echo(f"Added agent '{view.name}' (queues: {', '.join(view.queues) or 'none'}); "
               f"they start offline: 'voice agents state {view.name} available'.")


@agents.command("set")
@click.argument("name")
@click.option("--queues", help="Replace the queues, comma-separated ('' for none).")
@click.option("--skills", help="Replace the skills, e.g. billing:3,spanish:2.")
@click.option("--contact", help="Fixed SIP URI ('' clears it).")
@click.option("--twilio-identity", help="Twilio Client identity ('' clears it).")
@click.option("--extension", help="Extension ('' clears it).")
@reports_errors
def set_agent(name: str, queues: str | None, skills: str | None, contact: str | None,
              twilio_identity: str | None, extension: str | None) -> None:
    """Change the agent NAME's queues, skills or contacts."""
    with acd_and_services() as (acd, services):
        before = acd.agents.get(name).editable()
        view = acd.agents.update(name, queues=_split(queues), skills=_split(skills),
                                 contact=contact, twilio_identity=twilio_identity,
                                 extension=extension)
        changes = changed_fields(before, view.editable())
        if changes:
            record_cli(services, "agent.update", "agent", name,
                       f"Changed agent {name}: {', '.join(changes)}", {"changes": changes})
    click.echo(json.dumps(view.to_dict(), indent=2))


@agents.command("list")
@click.option("--queue", help="Only agents of this queue.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@reports_errors
def list_agents(queue: str | None, as_json: bool) -> None:
    """List agents with their state and time in it."""
    with acd_or_exit() as acd:
        acd.reconciler.settle()
        views = acd.agents.list(queue)
        now = acd.distributor.clock()
    if as_json:
        click.echo(json.dumps([v.to_dict() for v in views], indent=2))
        return
    if not views:
        click.echo("No agents. Add one with 'voice agents add NAME --queues QUEUE'.")
        return
    click.echo(f"{'NAME':<16} {'STATE':<10} {'FOR':>7}  {'QUEUES':<24} CONTACT")
    for v in views:
        state = f"{v.state}" + (f" ({v.state_reason})" if v.state_reason else "")
        seconds = int((now - v.state_since).total_seconds())
        click.echo(f"{v.name:<16} {state:<10} {seconds:>6}s  {','.join(v.queues):<24} "
                   f"{v.contact or v.twilio_identity or '-'}")


@agents.command("show")
@click.argument("name")
@reports_errors
def show_agent(name: str) -> None:
    """Show the agent NAME as JSON."""
    with acd_or_exit() as acd:
        click.echo(json.dumps(acd.agents.get(name).to_dict(), indent=2))


@agents.command("state")
@click.argument("name")
@click.argument("state", type=click.Choice(CHOSEN_STATES))
@click.option("--reason", help="Why (for away): lunch, training...")
@reports_errors
def agent_state(name: str, state: str, reason: str | None) -> None:
    """Set what the agent NAME chose: available, away or offline."""
    with acd_and_services() as (acd, services):
        before = acd.agents.get(name).state
        view = acd.agents.set_state(name, state, reason)
        record_cli(services, "agent.state", "agent", name,
                   f"Set agent {name} {state}" + (" after the current call"
                                                 if view.after_call else ""),
                   {"state": [before, view.state], "after_call": view.after_call,
                    "reason": reason})
    pending = f" after the current call ({view.state} now)" if view.after_call else ""
    click.echo(f"Agent '{name}' is {state}{pending}.")


@click.group()
def queues() -> None:
    """ACD queues: strategy, ring timeout, wrap-up, overflow, service level."""


@queues.command("set")
@click.argument("name")
@click.option("--skills", help="Skills every caller of the queue needs, comma-separated.")
@click.option("--strategy", type=click.Choice(STRATEGIES))
@click.option("--ring-timeout", type=int, help="Seconds an agent's phone rings.")
@click.option("--wrap-up", type=int, help="Seconds of wrap-up after each call.")
@click.option("--max-wait", type=int, help="Seconds before callers move to the overflow.")
@click.option("--overflow", help="The queue callers move to after --max-wait.")
@click.option("--service-level", type=int, help="Answered within this many seconds counts.")
@click.option("--description")
@reports_errors
def set_queue(name: str, **options: Any) -> None:
    """Create or change the queue NAME (fields not given keep their values)."""
    fields = {k: v for k, v in options.items() if v is not None}
    if "skills" in fields:
        fields["skills"] = _split(fields["skills"])
    with acd_and_services() as (acd, services):
        before = acd.queues.get(name)
        config = acd.queues.put(name, fields)
        _audit_queue(services, before, config)
    click.echo(json.dumps(config.to_dict(), indent=2))


@queues.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--only-new", is_flag=True, help="Keep queues already configured as they are.")
@reports_errors
def import_queues(path: Path, only_new: bool) -> None:
    """Configure the queues of a YAML file (``queues: {name: {settings}}``)."""
    with acd_and_services() as (acd, services):
        before = {c.name: c for c in acd.queues.list()}
        names = acd.queues.import_file(path, only_new=only_new)
        for queue in names:
            _audit_queue(services, before.get(queue) or QueueConfig(queue),
                         acd.queues.get(queue), f" from {path.name}")
    click.echo(f"Configured {len(names)} queue(s){': ' + ', '.join(names) if names else ''}.")


def _audit_queue(services: Services, before: QueueConfig, after: QueueConfig,
                 source: str = "") -> None:
    old, new = before.to_dict(), after.to_dict()
    changes = changed_fields(old, new, FIELDS)
    if not before.configured:
        record_cli(services, "queue.add", "queue", after.name,
                   f"Added queue {after.name}{source}", {"settings": new})
    elif changes:
        record_cli(services, "queue.update", "queue", after.name,
                   f"Changed queue {after.name}{source}: {', '.join(changes)}",
                   {"changes": changes})


@queues.command("status")
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
@reports_errors
def queue_status(names: tuple[str, ...], as_json: bool) -> None:
    """Callers waiting, the longest wait and agents by state (every configured queue, or
    NAMES)."""
    with acd_or_exit() as acd:
        acd.reconciler.settle()
        chosen = list(names) or [c.name for c in acd.queues.list()]
        status = {name: acd.distributor.status(name) for name in chosen}
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    for name, figures in status.items():
        agents = ", ".join(f"{n} {state}" for state, n in figures["agents"].items()) or "none"
        click.echo(f"{name:<16} waiting {figures['waiting']:>3}  longest "
                   f"{figures['longest_wait_seconds']:>6.0f}s  agents: {agents}")


@queues.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@reports_errors
def list_queues(as_json: bool) -> None:
    """List configured queues."""
    with acd_or_exit() as acd:
        configs = acd.queues.list()
    if as_json:
        click.echo(json.dumps([c.to_dict() for c in configs], indent=2))
        return
    for c in configs:
        click.echo(f"{c.name:<16} {c.strategy:<13} ring {c.ring_timeout}s wrap {c.wrap_up}s "
                   f"SL {c.service_level}s skills {','.join(c.skills) or '-'}"
                   + (f" overflow {c.overflow} after {c.max_wait}s" if c.overflow else ""))
    if not configs:
        click.echo("No queues configured; queues named by flows use the defaults.")
