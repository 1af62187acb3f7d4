"""Server time of the QA recordings list and of transcript search on a large archive.

Seeds ``--calls`` (default 100,000) demo calls with ``voice.demo.seed`` (deterministic: seed 1,
a fixed "now") into a temporary SQLite database, and with ``--postgres`` also into a
throwaway PostgreSQL database, then requests pages through the real Flask app with its test
client, signed in as a QA user, and times each request in the process (no network):

* list: ``/qa/recordings`` unfiltered (first page, and 100 and 1,000 pages deep through the
  Older cursor), and filtered by date range, queue, agent, caller number, length, verified,
  and a combination;
* search: ``/qa/recordings?q=...`` with a word in most calls, a word in a few percent of
  them, a two-word query, a word said nowhere, and searches combined with filters; plus the
  REST search ``/api/transcripts?q=...`` (50 hits) for comparison.

Each case runs ``--rounds`` times after one warm-up request; every answer must be 200.
Baseline in the same process: ``GET /healthz`` (a ``SELECT 1`` and the schema revision).
Targets (the issue's): list p95 <= 300 ms, search p95 <= 200 ms, over all cases of a group.
Run: ``.venv/bin/python bench/qa_archive.py [--calls 100000] [--rounds 30] [--postgres |
--postgres-only]``
(``--quick``: 2,000 calls, 3 rounds, SQLite).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import migrated_services, percentile, pin_one_core, postgres_url

from voice.app import create_app
from voice.compose import Services
from voice.demo.seed import SeedOptions, seed
from voice.qa.archive import Cursor
from voice.store.models import Call, Recording

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
PASSWORD = "bench-qa-Passw0rd"
TARGETS_MS = {"list": 300.0, "search": 200.0}


def deep_pages(services: Services, wanted: tuple[int, ...] = (100, 1000)
               ) -> list[tuple[str, str]]:
    """List cases ``N pages deep`` (50 rows a page) through the Older cursor; a depth past
    the archive's last page is measured at the last page instead, and named so."""
    with services.session_factory() as session:
        rows = session.scalar(select(func.count()).select_from(Recording)) or 0
        last = max(1, (rows - 1) // 50)
        cases = []
        for pages in sorted({min(n, last) for n in wanted}):
            row = session.execute(
                select(Call.started_at, Recording.id)
                .join(Recording, Recording.call_id == Call.id)
                .order_by(Call.started_at.desc(), Recording.id.desc())
                .offset(pages * 50 - 1).limit(1)).one()
            cases.append((f"{pages:,} pages deep",
                          f"/qa/recordings?before={quote(Cursor(row[0], row[1]).encode())}"))
    return cases


def cases(services: Services) -> dict[str, list[tuple[str, str]]]:
    """The requests of each group, as (name, URL)."""
    with services.session_factory() as session:
        caller = session.scalar(select(Call.from_number).order_by(Call.id).limit(1))
        agent = session.scalar(select(Recording.agent).where(Recording.agent.is_not(None))
                               .order_by(Recording.id).limit(1))
    day = (NOW - timedelta(days=3)).date().isoformat()
    lists = [
        ("first page", "/qa/recordings"),
        *deep_pages(services),
        ("one day", f"/qa/recordings?since={day}&until={day}"),
        ("queue", "/qa/recordings?queue=support"),
        ("agent", f"/qa/recordings?agent={agent}"),
        ("caller number", f"/qa/recordings?caller={caller}"),
        ("length 5-10 min", "/qa/recordings?min_duration=300&max_duration=600"),
        ("verified", "/qa/recordings?verified=yes"),
        ("not verified, 100 rows", "/qa/recordings?verified=no&size=100"),
        ("agent+verified+length", f"/qa/recordings?agent={agent}&verified=yes"
                                  "&min_duration=120"),
        ("no match (walks all)", "/qa/recordings?agent=nobody"),
    ]
    searches = [
        ("common word", "/qa/recordings?q=thank"),
        ("rarer word", "/qa/recordings?q=refund"),
        ("two words", "/qa/recordings?q=router+red"),
        ("word said nowhere", "/qa/recordings?q=zebra"),
        ("word + queue", "/qa/recordings?q=cancel&queue=general"),
        ("word + verified", "/qa/recordings?q=charged&verified=yes"),
        ("word + excluding filter", "/qa/recordings?q=router&verified=yes"),
        ("word + one day", f"/qa/recordings?q=thank&since={day}&until={day}"),
    ]
    api = [("REST /api/transcripts refund", "/api/transcripts?q=refund"),
           ("REST /api/transcripts thank", "/api/transcripts?q=thank")]
    return {"list": lists, "search": searches, "api": api,
            "baseline": [("GET /healthz (SELECT 1)", "/healthz")]}


def measure(services: Services, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Milliseconds per request, by group and case."""
    assert services.user_service is not None
    services.user_service.add("bench-qa", "qa", PASSWORD)
    app = create_app(services.settings)
    try:
        client = app.test_client()
        login = client.get("/login")
        token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed = client.post("/login", data={"username": "bench-qa", "password": PASSWORD,
                                             "csrf_token": token, "next": ""})
        assert signed.status_code == 303, signed.text
        results: dict[str, dict[str, list[float]]] = {}
        for group, requests in cases(services).items():
            for name, url in requests:
                answer = client.get(url)  # warm-up
                assert answer.status_code == 200, (url, answer.status_code, answer.text[:500])
                times = []
                for _ in range(rounds):
                    began = time.perf_counter()
                    answer = client.get(url)
                    times.append((time.perf_counter() - began) * 1000)
                    assert answer.status_code == 200, url
                results.setdefault(group, {})[name] = times
        return results
    finally:
        app.extensions["voice"].close()


def seeded(url: str, folder: Path, calls: int) -> tuple[Services, float]:
    """Services over a database holding ``calls`` demo calls, and the seconds seeding took.

    On PostgreSQL the database is then ``VACUUM ANALYZE``d: a deployed database has planner
    statistics and visibility maps (autovacuum keeps both), a freshly bulk-loaded one does
    not yet, and plans without them are not the plans production runs. (SQLite deployments
    do not run ``ANALYZE``; the list's query shapes are written for a planner without
    statistics.)
    """
    services = migrated_services(url, folder)
    began = time.perf_counter()
    seed(services.session_factory, services.acd, services.settings.recordings_dir,
         SeedOptions(calls=calls, days=90, seed=1, now=NOW, audio_calls=2))
    if services.engine.dialect.name == "postgresql":
        with services.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE")
    return services, time.perf_counter() - began


def line(name: str, values: list[float]) -> str:
    """One figure line: median, p95, p99 in ms."""
    return (f"  {name:<30} p50 {statistics.median(values):7.1f}  p95 "
            f"{percentile(values, 95):7.1f}  p99 {percentile(values, 99):7.1f} ms")


def report(backend: str, calls: int, took: float, results: dict[str, dict[str, list[float]]],
           ) -> list[str]:
    """Print one backend's figures; its RESULT lines."""
    print(f"{backend}: {calls:,} demo calls seeded in {took:.1f} s")
    verdicts = []
    for group in ("list", "search", "api", "baseline"):
        print(f" {group}")
        for name, values in results[group].items():
            print(line(name, values))
    base = statistics.median(results["baseline"]["GET /healthz (SELECT 1)"])
    for group, target in TARGETS_MS.items():
        pooled = [v for values in results[group].values() for v in values]
        worst = max(percentile(v, 95) for v in results[group].values())
        p50, p95 = statistics.median(pooled), percentile(pooled, 95)
        print(f"  {group} over all cases: p50 {p50:.1f} p95 {p95:.1f} p99 "
              f"{percentile(pooled, 99):.1f} ms; worst case p95 {worst:.1f} ms; "
              f"ratio p50 / baseline p50 {p50 / max(base, 1e-6):.1f}")
        verdict = "PASS" if p95 <= target else "MISS"
        verdicts.append(f"RESULT {backend} {group} page ms at {calls} calls: p50 {p50:.1f} "
                        f"p95 {p95:.1f}  target p95 <= {target:.0f} ms: {verdict}")
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--postgres-only", action="store_true", help="only on PostgreSQL")
    parser.add_argument("--quick", action="store_true", help="2,000 calls, 3 rounds, SQLite")
    args = parser.parse_args()
    calls, rounds = (2000, 3) if args.quick else (args.calls, args.rounds)
    pin_one_core()
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.postgres_only:
            services, took = seeded(f"sqlite:///{folder / 'voice.db'}", folder / "sqlite",
                                    calls)
            try:
                verdicts += report("SQLite", calls, took, measure(services, rounds))
            finally:
                services.close()
        if (args.postgres or args.postgres_only) and not args.quick:
            with postgres_url("bench_qa") as url:
                services, took = seeded(url, folder / "pg", calls)
                try:
                    verdicts += report("PostgreSQL", calls, took, measure(services, rounds))
                finally:
                    services.close()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
