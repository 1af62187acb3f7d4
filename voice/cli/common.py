"""Shared plumbing of CLI commands: loading settings and services, reporting errors.

Owns the CLI's error contract: invalid settings print every problem to stderr and exit 2;
other expected failures (database unreachable, invalid data) print what to fix and exit 1.
No command prints a traceback for a problem the user can fix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, ParamSpec, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from voice.compose import Services, build_services
from voice.errors import SettingsError, VoiceError
from voice.settings import Settings, load_settings

EXIT_FAILURE = 1
EXIT_BAD_SETTINGS = 2

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """Print ``message`` to stderr and end the command with exit status ``code``."""
    click.echo(message, err=True)
    raise click.exceptions.Exit(code)


def load_settings_or_exit() -> Settings:
    """Load settings from the environment; on problems print them all and exit 2."""
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc), EXIT_BAD_SETTINGS)


@contextmanager
def services_or_exit() -> Iterator[Services]:
    """Build this command's services from the environment and close them afterwards."""
    services = build_services(load_settings_or_exit())
    try:
        yield services
    finally:
        services.close()


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn expected errors raised by ``command`` into a message and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except SettingsError as exc:
            fail(str(exc), EXIT_BAD_SETTINGS)
        except VoiceError as exc:
            fail(f"error: {exc}")
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            fail(f"error: database failed: {detail[0] if detail else exc!r}")

    return wrapper


def render_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns under ``header``, two spaces apart, no trailing spaces."""
    table = [header, *rows]
    widths = [max(len(row[index]) for row in table) for index in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table)
