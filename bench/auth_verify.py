"""Caller verification cost: time per attempt by outcome, and attempts/s of one web worker.

Real services over a temporary SQLite database with the default settings (argon2id time cost
and memory from ``config/defaults.toml``), a few customers with PINs and one account locked
by five wrong PINs. Every attempt goes through ``services.verifier`` as a call's
``VerifyCaller`` does: the lockout and velocity checks, the customer lookup, one argon2
verification (or the equal "burn" for unknown and locked accounts) and the audit row.

1. Time per attempt for a right PIN, a wrong PIN, an unknown account and a locked account,
   interleaved round by round (so drift and other load hit every case alike), each attempt
   from its own caller ID so the velocity limit never trips, a right PIN before each wrong
   one and a new unknown account each round, so that only the locked account is locked.
   Baseline in the same process: a bare argon2 check (``SecretHasher.check``) without the
   database. The ratio unknown / wrong PIN should be about 1.0: a caller must not tell an
   unknown account by the time the answer takes.
2. Attempts per second with 1 thread and with 2 threads (a gunicorn worker may run threads;
   argon2-cffi releases the GIL while hashing), right PINs round robin over the customers.

The process is not pinned to one core: figure 2 needs both. Run:
``.venv/bin/python bench/auth_verify.py [--attempts 30] [--quick]``
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile

from voice.compose import Services, build_services
from voice.customers.records import CustomerInput
from voice.ivr.actions import VerifyCaller
from voice.settings import load_settings
from voice.store.migrate import upgrade

CUSTOMERS = [(f"7000{n:04d}", f"{(n * 3791 + 2468) % 10000:04d}") for n in range(1, 6)]
LOCKED = "70009999"
CASES = ("right PIN", "wrong PIN", "unknown account", "locked account")
_callers = itertools.count(1)


def build(folder: Path) -> Services:
    """Services over a migrated SQLite database in ``folder``, customers loaded, one locked."""
    settings = load_settings({"VOICE_DATA_DIR": str(folder / "data"),
                              "VOICE_DATABASE_URL": f"sqlite:///{folder / 'voice.db'}"})
    upgrade(settings.database_url)
    services = build_services(settings)
    assert services.customer_service is not None and services.verifier is not None
    for account, pin in [*CUSTOMERS, (LOCKED, "1357")]:
        services.customer_service.save(CustomerInput(account_number=account, first_name="Bench",
                                                     last_name=account, pin=pin))
    for _ in range(settings.auth_lockout_attempts):
        attempt(services, LOCKED, "0000")
    assert services.customer_service.show(LOCKED)[0].locked
    return services


def attempt(services: Services, account: str, pin: str) -> tuple[bool, str | None]:
    """One verification as a call makes it (its own caller ID); (verified, reason)."""
    assert services.verifier is not None
    number = next(_callers)
    result = services.verifier.verify(
        VerifyCaller(request=f"verify:{number}", method="account_pin",
                     caller_id=f"+1555{number:07d}", account=account, secret=pin),
        f"bench-{number}")
    return result.verified, result.reason


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    answer = action()
    return (time.perf_counter() - start) * 1000, answer


def per_case(services: Services, rounds: int) -> dict[str, list[float]]:
    """Figure 1: ms per attempt by case, interleaved; checks every answer."""
    times: dict[str, list[float]] = {case: [] for case in CASES}
    for index in range(rounds + 1):  # round 0 warms up (connections, caches) and is dropped
        account, pin = CUSTOMERS[index % len(CUSTOMERS)]
        wrong = f"{(int(pin) + 1) % 10000:04d}"
        runs = {"right PIN": (account, pin), "wrong PIN": (account, wrong),
                "unknown account": (f"7999{index:04d}", pin), "locked account": (LOCKED, "1357")}
        for case, (typed_account, typed_pin) in runs.items():
            ms, (verified, reason) = timed(  # type: ignore[misc]
                lambda a=typed_account, p=typed_pin: attempt(services, a, p))
            expected = (True, None) if case == "right PIN" else \
                (False, "locked") if case == "locked account" else (False, "no-match")
            assert (verified, reason) == expected, (case, verified, reason)
            if index:
                times[case].append(ms)
    return times


def bare_argon2(services: Services, rounds: int) -> list[float]:
    """Baseline: one argon2 check of a stored hash, no database."""
    assert services.customer_service is not None
    hasher = services.customer_service.hasher
    stored = hasher.hash("2468")
    return [timed(lambda: hasher.check(stored, "2469"))[0] for _ in range(rounds)]


def throughput(services: Services, attempts: int, threads: int) -> tuple[float, float]:
    """Figure 2: (attempts/s, process CPU seconds per wall second) with ``threads``."""
    work = [CUSTOMERS[i % len(CUSTOMERS)] for i in range(attempts)]
    cpu, wall = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(lambda item: attempt(services, *item), work))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert all(verified for verified, _ in answers)
    return attempts / wall, cpu / wall


def cpu_sample() -> tuple[float, float, float] | None:
    """(machine busy CPU seconds, this process's CPU seconds, wall time); None off Linux."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    busy = sum(fields[:8]) - fields[3] - fields[4]  # all but idle and iowait
    own = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), own.user + own.system, time.perf_counter()


def others_share(before: tuple[float, float, float] | None) -> str:
    """How busy the machine was meanwhile without this process, in % of all its CPUs."""
    after = cpu_sample()
    if before is None or after is None:
        return "other load unknown"
    wall = (after[2] - before[2]) * (os.cpu_count() or 1)
    others = max(0.0, (after[0] - before[0]) - (after[1] - before[1])) / wall
    mine = (after[1] - before[1]) / wall
    return f"machine busy: this process {mine * 100:.0f}%, others {others * 100:.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=30, help="timed attempts per case")
    parser.add_argument("--quick", action="store_true", help="3 attempts per case (smoke test)")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.attempts
    started, sample = time.perf_counter(), cpu_sample()
    with tempfile.TemporaryDirectory(prefix="bench-auth-") as folder:
        services = build(Path(folder))
        try:
            settings = services.settings
            print(f"argon2id time cost {settings.auth_hash_time_cost}, memory "
                  f"{settings.auth_hash_memory_kib // 1024} MiB, parallelism 1; "
                  f"{os.cpu_count()} CPUs")
            times = per_case(services, rounds)
            baseline = bare_argon2(services, rounds)
            rates = {n: throughput(services, max(4, rounds), n) for n in (1, 2)}
        finally:
            services.close()
    medians = {case: statistics.median(values) for case, values in times.items()}
    print(f"\nFigure 1: ms per verification through services.verifier, {rounds} attempts each")
    print(f"  {'case':<34}{'median':>8}{'p95':>8}{'max':>8}")
    rows = [(case, times[case]) for case in CASES] + [("baseline: bare argon2 check",
                                                       baseline)]
    for case, values in rows:
        print(f"  {case:<34}{statistics.median(values):>8.1f}{percentile(values, 95):>8.1f}"
              f"{max(values):>8.1f}")
    wrong = medians["wrong PIN"]
    print(f"  ratio unknown / wrong PIN {medians['unknown account'] / wrong:.2f}, "
          f"locked / wrong PIN {medians['locked account'] / wrong:.2f}, "
          f"right / wrong PIN {medians['right PIN'] / wrong:.2f}, "
          f"wrong PIN / bare argon2 {wrong / statistics.median(baseline):.2f}")
    print(f"\nFigure 2: verifications per second, one process, {max(4, rounds)} right PINs")
    for threads, (rate, busy) in rates.items():
        print(f"  {threads} thread{'s' if threads > 1 else ' '}  {rate:>8.1f}/s  "
              f"(CPU {busy * 100:.0f}% of one core)")
    print(f"\n{others_share(sample)} (of {os.cpu_count()} CPUs); "
          f"total {time.perf_counter() - started:.1f} s")
    print(f"RESULT verify median ms: right {medians['right PIN']:.1f}, wrong {wrong:.1f}, "
          f"unknown {medians['unknown account']:.1f}, locked {medians['locked account']:.1f}; "
          f"unknown/wrong {medians['unknown account'] / wrong:.2f}; "
          f"attempts/s 1 thread {rates[1][0]:.1f}, 2 threads {rates[2][0]:.1f}  "
          f"target 50-150 ms: {'PASS' if 50 <= wrong <= 150 else 'MISS'}")


if __name__ == "__main__":
    main()
