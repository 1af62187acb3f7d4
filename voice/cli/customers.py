"""``voice customers``: load and look after the customers ``authenticate`` verifies.

``import FILE.csv`` loads or updates customers (idempotent; bad rows reported as
``FILE:line: reason`` and skipped whole; exit status 1 if any row was bad). ``add`` creates
or updates one customer; secrets come from options or, better, from a hidden prompt so they
stay out of shell history. ``show`` prints a customer (no secrets: only whether each is
set), its lock state and its latest audited attempts; ``unlock`` lifts a lockout.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from voice.cli.audit import record_cli
from voice.cli.common import fail, reports_errors, services_or_exit
from voice.customers.records import CustomerInput
from voice.flows.sources import display_path


@click.group()
def customers() -> None:
    """Customers that IVR authentication verifies (argon2-hashed PINs and answers)."""


@customers.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--if-empty", is_flag=True,
              help="Only when the store has no customers yet (seeding demo data).")
@reports_errors
def import_customers(file: Path, as_json: bool, if_empty: bool) -> None:
    """Load or update the customers in FILE (CSV with the header
    account_number,first_name,last_name,phones,tier,pin,zip,dob)."""
    with services_or_exit() as services:
        assert services.customer_service is not None
        if if_empty and services.customer_service.list(limit=1)[1]:
            click.echo("customers already loaded; nothing imported")
            return
        report = services.customer_service.import_file(file, display_path(file))
        if report.created or report.updated:
            record_cli(services, "customer.import", "customer", "*",
                       f"Imported customers from {file.name}: {report.created} created, "
                       f"{report.updated} updated, {report.unchanged} unchanged, "
                       f"{len(report.problems)} bad rows",
                       {"file": file.name, "created": report.created,
                        "updated": report.updated, "unchanged": report.unchanged,
                        "bad_rows": len(report.problems)})
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        for problem in report.problems:
            click.echo(problem, err=True)
        click.echo(f"{report.created} created, {report.updated} updated, "
                   f"{report.unchanged} unchanged, {len(report.problems)} bad rows skipped")
    if report.problems:
        raise click.exceptions.Exit(1)


@customers.command("add")
@click.argument("account")
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--phone", "phones", multiple=True, help="A phone they call from (repeat).")
@click.option("--tier", default="standard", show_default=True)
@click.option("--pin", help="Their PIN (prompted, hidden, when --ask-pin is given instead).")
@click.option("--ask-pin", is_flag=True, help="Ask for the PIN without echoing it.")
@click.option("--zip", "zip_code", help="ZIP code for knowledge questions.")
@click.option("--dob", help="Date of birth as YYYY-MM-DD for knowledge questions.")
@reports_errors
def add(account: str, first_name: str, last_name: str, phones: tuple[str, ...], tier: str,
        pin: str | None, ask_pin: bool, zip_code: str | None, dob: str | None) -> None:
    """Create or update the customer with account number ACCOUNT."""
    if ask_pin:
        pin = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
    with services_or_exit() as services:
        assert services.customer_service is not None
        view, status = services.customer_service.save(CustomerInput(
            account_number=account, first_name=first_name, last_name=last_name,
            phones=phones, tier=tier, pin=pin, zip=zip_code, dob=dob))
        if status != "unchanged":
            record_cli(services, f"customer.{'add' if status == 'created' else 'update'}",
                       "customer", view.id, f"{status.capitalize()} customer {view.first_name} "
                       f"{view.last_name} ({view.masked_account})",
                       {"account": view.masked_account, "tier": view.tier,
                        "phones": len(view.phones), "pin_given": pin is not None,
                        "zip_given": zip_code is not None, "dob_given": dob is not None})
    click.echo(f"customer {view.account_number} ({view.first_name} {view.last_name}) {status}")


@customers.command("show")
@click.argument("account")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@reports_errors
def show(account: str, as_json: bool) -> None:
    """Show a customer, whether it is locked, and its latest verification attempts."""
    with services_or_exit() as services:
        assert services.customer_service is not None
        view, attempts = services.customer_service.show(account)
    if as_json:
        click.echo(json.dumps({**view.as_json(),
                               "attempts": [a.as_json() for a in attempts]}, indent=2))
        return
    secrets = ", ".join(f"{name} {'set' if flag else 'not set'}" for name, flag in
                        (("PIN", view.has_pin), ("ZIP", view.has_zip), ("DOB", view.has_dob)))
    click.echo(f"{view.account_number}  {view.first_name} {view.last_name}  tier {view.tier}")
    click.echo(f"phones: {', '.join(view.phones) or '-'}")
    click.echo(f"secrets: {secrets}")
    lock = f"yes ('voice customers unlock {view.account_number}')" if view.locked else "no"
    click.echo(f"locked: {lock}")
    for attempt in attempts:
        click.echo(f"  {attempt.at:%Y-%m-%d %H:%M:%S}  {attempt.method:<12} "
                   f"{attempt.outcome:<9} {attempt.reason or '':<16} "
                   f"{attempt.caller_id or '-':<14} {attempt.call_id or ''}")


@customers.command("unlock")
@click.argument("account")
@click.option("--by", "actor", default="cli", show_default=True,
              help="Who unlocks (kept in the audit).")
@reports_errors
def unlock(account: str, actor: str) -> None:
    """Lift the lockout of ACCOUNT after too many failed verifications."""
    with services_or_exit() as services:
        assert services.customer_service is not None
        view = services.customer_service.unlock(account, actor=actor)
        record_cli(services, "customer.unlock", "customer", view.id,
                   f"Unlocked customer {view.first_name} {view.last_name} "
                   f"({view.masked_account})", {"account": view.masked_account})
    if view.locked:
        fail(f"error: {account} is still locked")
    click.echo(f"customer {view.account_number} unlocked")
