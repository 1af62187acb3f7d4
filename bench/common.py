"""Small helpers shared by the benchmarks: timing figures (median, percentiles, one core) and
migrated services over a throwaway database."""

from __future__ import annotations

import os
import secrets
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voice.compose import Services


def pin_one_core() -> None:
    """Run on one CPU so figures mean 'per core' (best effort; Linux only)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(values: list[float]) -> str:
    """'median X, p95 Y, p99 Z' for values."""
    return (f"median {statistics.median(values):.3f}, p95 {percentile(values, 95):.3f}, "
            f"p99 {percentile(values, 99):.3f}")


PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5"


def migrated_services(url: str, folder: Path, **settings: str) -> Services:
    """The real services over the database at ``url`` (migrated first), data under ``folder``,
    with cheap password hashing (the benchmarks time pages, not argon2) and any other
    ``VOICE_*`` ``settings``."""
    from voice.compose import build_services
    from voice.settings import load_settings
    from voice.store.migrate import upgrade

    loaded = load_settings({"VOICE_DATA_DIR": str(folder / "data"), "VOICE_DATABASE_URL": url,
                              "VOICE_AUTH_HASH_TIME_COST": "1",
                              "VOICE_AUTH_HASH_MEMORY_KIB": "8192", **settings})
    upgrade(loaded.database_url)
    return build_services(loaded)


@contextmanager
def postgres_url(prefix: str) -> Iterator[str]:
    """A throwaway database on the local PostgreSQL server (dropped afterwards)."""
    import psycopg

    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
