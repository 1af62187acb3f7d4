"""``voice webhooks``: outbound webhook endpoints and the log of their deliveries.

Owns the terminal side of ``webhooks.endpoints`` and ``webhooks.log``. Secrets are printed
once, when an endpoint is added or its secret rotated (with ``--json`` exactly
``{"id": ..., "secret": ...}`` for scripts); ``list`` never shows them. ``replay`` and
``test`` make their attempt right here and print how it went; a failed attempt is retried
by ``voice worker`` on the usual schedule. Bad options exit 2, naming what to fix; other
problems (unknown id, endpoint disabled) exit 1.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import click

from voice.cli.audit import record_cli
from voice.cli.common import render_table, reports_errors, services_or_exit
from voice.compose import Services
from webhooks.delivery import DeliveryOutcome
from webhooks.errors import InvalidWebhookEndpointError, WebhookError
from webhooks.log import STATUSES, DeliveryView
from webhooks.payloads import ALL_EVENTS, EVENT_TYPES, TEST_EVENT

P = ParamSpec("P")
R = TypeVar("R")


def _reports_webhook_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Bad endpoint fields exit 2 (a usage error); other webhook errors exit 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InvalidWebhookEndpointError as exc:
            raise click.UsageError(str(exc)) from None
        except WebhookError as exc:
            raise click.ClickException(str(exc)) from None

    return reports_errors(wrapper)


@contextmanager
def _services() -> Iterator[Services]:
    with services_or_exit() as services:
        assert services.webhook_endpoints is not None  # build_services always sets them
        yield services


def _events(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in EVENT_TYPES and name != ALL_EVENTS]
    if unknown:
        raise click.BadParameter(f"unknown event(s) {', '.join(unknown)}; use "
                                 f"{', '.join(EVENT_TYPES)} or '{ALL_EVENTS}' for all")
    return names


@click.group()
def webhooks() -> None:
    """Outbound webhooks (Standard Webhooks): endpoints, deliveries, replays."""


@webhooks.command("add")
@click.argument("url")
@click.option("--events", multiple=True, callback=_events, metavar="E1,E2",
              help=f"Events to send, comma-separated (default: all): {', '.join(EVENT_TYPES)}.")
@click.option("--queue", "queues", multiple=True, metavar="NAME",
              help="Only events of this queue (repeat for more; default: every queue).")
@click.option("--description", default=None, help="A note for admins, e.g. the CRM's name.")
@click.option("--json", "as_json", is_flag=True, help='Print {"id": ..., "secret": ...}.')
@_reports_webhook_errors
def add(url: str, events: list[str], queues: tuple[str, ...], description: str | None,
        as_json: bool) -> None:
    """Send events to URL (http or https); prints the endpoint's id and secret once."""
    with _services() as services:
        endpoint_id, secret = services.webhook_endpoints.add(url, events, queues, description)
        view = services.webhook_endpoints.get(endpoint_id)
        record_cli(services, "webhook.add", "webhook", endpoint_id,
                   f"Added webhook {endpoint_id} → {view.url}",
                   {"url": view.url, "events": list(view.events) or ["*"],
                    "queues": list(view.queues), "description": view.description})
    _print_secret(endpoint_id, secret, as_json, f"Added webhook endpoint {endpoint_id} ({url}).")


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_reports_webhook_errors
def list_endpoints(as_json: bool) -> None:
    """List endpoints (never their secrets)."""
    with _services() as services:
        views = services.webhook_endpoints.list()
    if as_json:
        click.echo(json.dumps([view.to_dict() for view in views], indent=2))
        return
    if not views:
        click.echo("No webhook endpoints yet. Add one with 'voice webhooks add URL'.")
        return
    click.echo(render_table(("ID", "URL", "EVENTS", "QUEUES", "STATUS", "DESCRIPTION"), [
        (str(v.id), v.url, ",".join(v.events) or "all", ",".join(v.queues) or "all",
         "enabled" if v.enabled else f"disabled: {v.disabled_reason}", v.description or "")
        for v in views]))


@webhooks.command("rotate")
@click.argument("endpoint_id", type=int)
@click.option("--json", "as_json", is_flag=True, help='Print {"id": ..., "secret": ...}.')
@_reports_webhook_errors
def rotate(endpoint_id: int, as_json: bool) -> None:
    """Give ENDPOINT_ID a new secret (the old one stops working now); prints it once."""
    with _services() as services:
        secret = services.webhook_endpoints.rotate(endpoint_id)
        record_cli(services, "webhook.rotate", "webhook", endpoint_id,
                   f"Rotated the secret of webhook {endpoint_id}", {"secret_rotated": True})
    _print_secret(endpoint_id, secret, as_json,
                  f"Rotated the secret of webhook endpoint {endpoint_id}.")


@webhooks.command("disable")
@click.argument("endpoint_id", type=int)
@_reports_webhook_errors
def disable(endpoint_id: int) -> None:
    """Stop sending to ENDPOINT_ID and cancel its pending deliveries."""
    with _services() as services:
        cancelled = services.webhook_endpoints.disable(endpoint_id)
        record_cli(services, "webhook.disable", "webhook", endpoint_id,
                   f"Disabled webhook {endpoint_id}", {"cancelled_deliveries": cancelled})
    click.echo(f"Disabled webhook endpoint {endpoint_id} ({cancelled} pending deliveries "
               f"cancelled); 'voice webhooks enable {endpoint_id}' undoes it.")


@webhooks.command("enable")
@click.argument("endpoint_id", type=int)
@_reports_webhook_errors
def enable(endpoint_id: int) -> None:
    """Send new events to ENDPOINT_ID again."""
    with _services() as services:
        services.webhook_endpoints.enable(endpoint_id)
        record_cli(services, "webhook.enable", "webhook", endpoint_id,
                   f"Enabled webhook {endpoint_id}")
    click.echo(f"Enabled webhook endpoint {endpoint_id}.")


@webhooks.command("remove")
@click.argument("endpoint_id", type=int)
@_reports_webhook_errors
def remove(endpoint_id: int) -> None:
    """Delete ENDPOINT_ID and its delivery log."""
    with _services() as services:
        url = services.webhook_endpoints.get(endpoint_id).url
        services.webhook_endpoints.remove(endpoint_id)
        record_cli(services, "webhook.remove", "webhook", endpoint_id,
                   f"Deleted webhook {endpoint_id} ({url})", {"url": url})
    click.echo(f"Removed webhook endpoint {endpoint_id}.")


@webhooks.command("deliveries")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only these.")
@click.option("--endpoint", "endpoint_id", type=int, default=None, help="Only this endpoint.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_reports_webhook_errors
def deliveries(status: str | None, endpoint_id: int | None, limit: int, as_json: bool) -> None:
    """List deliveries, newest first."""
    with _services() as services:
        assert services.webhook_deliverer is not None
        views = services.webhook_deliverer.list_deliveries(status, endpoint_id, limit)
    if as_json:
        click.echo(json.dumps([view.to_dict() for view in views], indent=2))
        return
    if not views:
        click.echo("No webhook deliveries match.")
        return
    click.echo(render_table(("ID", "WEBHOOK-ID", "ENDPOINT", "EVENT", "STATUS", "ATTEMPTS", "LAST",
                       "CREATED"), [_delivery_row(view) for view in views]))


@webhooks.command("replay")
@click.argument("delivery_id", type=int)
@_reports_webhook_errors
def replay(delivery_id: int) -> None:
    """Send DELIVERY_ID again now, with the same webhook-id and body."""
    with _services() as services:
        assert services.webhook_deliverer is not None and services.task_queue is not None
        view = services.webhook_deliverer.replay(delivery_id)
        record_cli(services, "webhook.replay", "webhook", view.endpoint_id,
                   f"Replayed delivery {delivery_id} ({view.event_type}) to webhook "
                   f"{view.endpoint_id}", {"delivery_id": delivery_id, "msg_id": view.msg_id})
        outcome = services.task_queue.deliver_now(delivery_id)
    _print_outcome(delivery_id, outcome)


@webhooks.command("test")
@click.argument("endpoint_id", type=int)
@_reports_webhook_errors
def test(endpoint_id: int) -> None:
    """Send a signed webhook.test ping to ENDPOINT_ID now (whatever its filters)."""
    with _services() as services:
        assert services.outbox is not None and services.task_queue is not None
        now = services.clock()
        with services.session_factory.begin() as session:
            delivery_id = services.outbox.add_for_endpoint(
                session, endpoint_id, TEST_EVENT, {"endpoint_id": endpoint_id}, now=now)
        outcome = services.task_queue.deliver_now(delivery_id)
    _print_outcome(delivery_id, outcome)


def _print_secret(endpoint_id: int, secret: str, as_json: bool, done: str) -> None:
    if as_json:
        click.echo(json.dumps({"id": endpoint_id, "secret": secret}))
        return
    click.echo(done)
    click.echo(f"id: {endpoint_id}")
    click.echo(f"secret: {secret}")
    click.echo("The secret is shown once; give it to the receiver now (it verifies the "
               "webhook-signature header with it).", err=True)


def _print_outcome(delivery_id: int, outcome: DeliveryOutcome | None) -> None:
    if outcome is None:
        raise click.ClickException(
            f"delivery {delivery_id} is being sent by another process or its endpoint is "
            "disabled; see 'voice webhooks deliveries'")
    answer = f"HTTP {outcome.http_status}" if outcome.http_status else outcome.error
    if outcome.status == "delivered":
        click.echo(f"Delivered {delivery_id} ({outcome.msg_id}): {answer}.")
        return
    later = (f"; voice worker retries it at {outcome.next_attempt_at:%Y-%m-%d %H:%M:%SZ}"
             if outcome.next_attempt_at else "")
    raise click.ClickException(
        f"delivery {delivery_id} ({outcome.msg_id}) failed: {answer or outcome.status}"
        f" (now {outcome.status}{later})")


def _delivery_row(view: DeliveryView) -> tuple[str, ...]:
    last = str(view.last_status or "") or (view.last_error or "")[:40]
    return (str(view.id), view.msg_id, str(view.endpoint_id), view.event_type, view.status,
            str(view.attempts), last, view.created_at.strftime("%Y-%m-%d %H:%M:%SZ"))
