"""``voice users``: staff users of the admin APIs, their roles, passwords and API keys.

Owns the terminal side of :class:`voice.users.service.UserService`. Passwords come from
``--password``, else ``VOICE_USER_PASSWORD``, else a hidden prompt (asked twice), so they
need not appear in shell history. ``VOICE_USER_PASSWORD`` is an input of this command, not a
setting (``voice.settings.COMMAND_VARIABLES``). API keys are printed once, alone on
stdout (for scripts); they are stored only as a hash and cannot be shown again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from voice.acd.errors import AgentNotFoundError
from voice.cli.audit import record_cli
from voice.cli.common import render_table, reports_errors, services_or_exit
from voice.compose import Services
from voice.users.service import ROLES, UserService, UserView

PASSWORD_ENV = "VOICE_USER_PASSWORD"
COLUMNS = ("USERNAME", "ROLE", "API KEY", "STATUS", "CREATED")


def password_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--password``, falling back to VOICE_USER_PASSWORD and then a hidden prompt."""
    return click.option("--password", envvar=PASSWORD_ENV, show_envvar=True, prompt=True,
                        hide_input=True, confirmation_prompt=True, help=help_text)


@contextmanager
def user_service_or_exit() -> Iterator[UserService]:
    """The user service of this command's services, closed afterwards; bad settings exit 2."""
    with services_or_exit() as services:
        assert services.user_service is not None  # build_services always sets it
        yield services.user_service


@contextmanager
def users_and_services() -> Iterator[tuple[UserService, Services]]:
    """The user service and the services it came from (to audit a change)."""
    with services_or_exit() as services:
        assert services.user_service is not None
        yield services.user_service, services


def _set_disabled(services: Services, username: str, disabled: bool) -> None:
    """Disable or enable a login; an agent goes through the ACD, which also puts them
    offline (after a call in progress) so that no caller is offered to them."""
    if services.acd is not None:
        try:
            services.acd.agents.set_disabled(username, disabled)
            return
        except AgentNotFoundError:
            pass
    assert services.user_service is not None
    services.user_service.set_disabled(username, disabled)


@click.group()
def users() -> None:
    """Staff users (admin, supervisor, qa, agent) with passwords and API keys."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="What the user may do: admin > supervisor > qa > agent.")
@password_option("Password, at least 8 characters.")
@reports_errors
def add_user(username: str, role: str, password: str) -> None:
    """Add the staff user USERNAME (letters, digits, '.', '_', '-')."""
    with users_and_services() as (service, services):
        user = service.add(username, role, password)
        record_cli(services, "user.add", "user", user.username,
                   f"Added user {user.username} ({user.role})",
                   {"role": user.role, "password_set": True})
    click.echo(f"Added user '{user.username}' with role {user.role}. "
               f"Make an API key with 'voice users api-key {user.username}'.")


@users.command("passwd")
@click.argument("username")
@password_option("The new password, at least 8 characters.")
@reports_errors
def passwd(username: str, password: str) -> None:
    """Give USERNAME a new password (the API key, if any, keeps working)."""
    with users_and_services() as (service, services):
        service.passwd(username, password)
        record_cli(services, "user.passwd", "user", username,
                   f"Reset the password of {username}", {"password_changed": True})
    click.echo(f"Changed the password of '{username}'.")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@reports_errors
def list_users(as_json: bool) -> None:
    """List staff users, sorted by username (never their secrets)."""
    with user_service_or_exit() as service:
        views = service.list()
    if as_json:
        click.echo(json.dumps([view.to_dict() for view in views], indent=2))
        return
    if not views:
        click.echo("No users yet. Add one with 'voice users add NAME --role admin'.")
        return
    click.echo(render_table(COLUMNS, [table_row(view) for view in views]))


@users.command("api-key")
@click.argument("username")
@reports_errors
def api_key(username: str) -> None:
    """Make a new API key for USERNAME (replaces the old one) and print it once."""
    with users_and_services() as (service, services):
        key = service.new_api_key(username)
        record_cli(services, "user.api_key", "user", username,
                   f"Made a new API key for {username}", {"api_key_replaced": True})
    click.echo(key)
    click.echo(f"This key for '{username}' is shown once; store it now "
               "(send it as 'Authorization: Bearer <key>').", err=True)


@users.command("disable")
@click.argument("username")
@reports_errors
def disable(username: str) -> None:
    """Stop USERNAME's password and API key from working (the user is kept; an agent also
    goes offline)."""
    with services_or_exit() as services:
        _set_disabled(services, username, True)
        record_cli(services, "user.disable", "user", username, f"Disabled user {username}")
    click.echo(f"Disabled '{username}'; 'voice users enable {username}' undoes it.")


@users.command("enable")
@click.argument("username")
@reports_errors
def enable(username: str) -> None:
    """Let a disabled USERNAME log in again."""
    with services_or_exit() as services:
        _set_disabled(services, username, False)
        record_cli(services, "user.enable", "user", username, f"Enabled user {username}")
    click.echo(f"Enabled '{username}'.")


def table_row(view: UserView) -> tuple[str, ...]:
    """One user as the text cells of the table."""
    return (
        view.username,
        view.role,
        "yes" if view.has_api_key else "no",
        "disabled" if view.disabled else "active",
        view.created_at.strftime("%Y-%m-%d %H:%M:%SZ"),
    )
