"""ACD decisions per second with 200 agents and 1,000 waiting callers (SQLite and PostgreSQL).

Real services (``build_services``) over a fresh, migrated database per scenario: a SQLite file
(WAL, as ``voice.store.db`` configures it) and a throwaway PostgreSQL database created and
dropped here (``postgresql+psycopg://postgres@127.0.0.1:5432/bench_acd_<random>``, trust
auth; ``--no-postgres`` skips it). The clock is a movable one, so the wall time measured is
the distributor's work only. Agents are users with argon2 passwords, made with cheap hashing
(``VOICE_AUTH_HASH_TIME_COST=1``, 8 MiB) through ``services.acd.agents.add``.

Setup per scenario: queue "support" (longest idle, wrap-up 0), N agents answering it (every
second agent has ``tech``, every third ``billing:1``-``billing:3``, every fifth
``spanish:1``/``spanish:2``), and M callers started in the call log
(``call_repository.start_call``) and queued (``distributor.enqueue`` + ``activate``) one
second apart while every agent is offline: 75% need no skill, 12% ``billing:2``, 9%
``tech``, 4% ``spanish:2``; 10% have priority 1, 10% come in over Twilio. Then the agents
become available (``agents.set_state``) with the ``on_available`` hook unset, so that
nothing is assigned before the timed run. Each round then measures:

1. ``distributor.dispatch(["support"])``, called until every free agent has been assigned
   (one call usually assigns all N: it reads the free agents and the first ``max(50, 4 N)``
   waiting callers once, then claims pair after pair). Assignments per second is N over
   the wall time of those calls. Time per assignment two ways: the wall time divided by
   N (includes reading and ranking the candidates and the skill checks), and each ``_claim``
   timed on its own (the atomic assignment: conditional UPDATE of the agent, of the entry,
   the agent session row, the screen-pop payload and the outbox, one transaction);
   p50/p95/p99 over the claims of all rounds.
2. The cost of a dispatch that finds no free agent while M callers wait (every agent
   busy, the queue topped up to M): the common case, since every caller entering the queue
   and every hold-loop tick may call it.
3. A call end with its dispatch: each of the N calls is answered (``handoff.answered``),
   then ended (``handoff.finished``, wrap-up 0), which makes the agent available and
   dispatches the queue, offering the next caller to that one agent: the steady state of a
   busy centre, one assignment per call end.
4. The release for the next round: the queue is topped up to M waiting and every call is
   answered and ended through a ``Handoff`` whose distributor does not dispatch, so all N
   agents are free together again.

After every assignment step the database is checked: no agent holds two offered or
connected entries, and every busy agent's ``call_id`` is the call it was offered.

Baseline in the same process: the same with 10 agents and 50 callers; the ratio of the
per-assignment cost (big / small) shows how it scales with the size of the queue.

Concurrency: two threads calling ``dispatch`` at once over the same services (a web worker
and a SIP worker dispatching together), all N agents free and M callers waiting, until every
agent is assigned; assignments per second, claims lost to the other thread, and the same
double-booking check. Run on each backend measured.

The process is not pinned (PostgreSQL's server and the second thread need the other core);
how busy the machine was meanwhile is printed. About 2.5 minutes.

Run: ``.venv/bin/python bench/acd_dispatch.py [--agents 200] [--callers 1000] [--rounds 3]
[--no-postgres] [--quick]`` (``--quick``: 20 agents, 100 callers, baseline 5/25, one round,
a few seconds).
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from auth_verify import cpu_sample, others_share
from common import percentile
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from voice.acd.handoff import Handoff
from voice.acd.records import Offer
from voice.acd.service import Acd
from voice.compose import Services, build_services
from voice.settings import load_settings
from voice.store.migrate import upgrade
from voice.store.models import Agent, QueueEntry

QUEUE = "support"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
FAST_HASHING = {"VOICE_AUTH_HASH_TIME_COST": "1", "VOICE_AUTH_HASH_MEMORY_KIB": "8192"}
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TARGET_RATE = 100.0  # assignments/s: 200 agents freed at once are all ringing within 2 s
TARGET_IDLE_P95_MS = 20.0  # a dispatch with nobody free, paid by every queue event


class Clock:
    """A clock the benchmark moves by hand (the distributor's ``now``)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class ClaimTimer:
    """Wraps ``Distributor._claim`` of one distributor: seconds per claim, and lost claims."""

    def __init__(self, acd: Acd) -> None:
        self.won: list[float] = []
        self.lost = 0
        self._claim = acd.distributor._claim
        acd.distributor._claim = self._timed  # type: ignore[method-assign]

    def _timed(self, *args: Any, **kwargs: Any) -> Offer | None:
        start = time.perf_counter()
        offer = self._claim(*args, **kwargs)
        elapsed = time.perf_counter() - start
        if offer is None:
            self.lost += 1
        else:
            self.won.append(elapsed)
        return offer


@dataclass
class Figures:
    """What one scenario measured (seconds unless named otherwise)."""

    label: str
    agents: int
    callers: int
    setup_agents_s: float = 0.0
    setup_callers_s: float = 0.0
    rates: list[float] = field(default_factory=list)
    per_assignment: list[float] = field(default_factory=list)
    dispatch_calls: list[int] = field(default_factory=list)
    claims: list[float] = field(default_factory=list)
    lost: int = 0
    idle: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    call_end: list[float] = field(default_factory=list)
    call_end_assigned: int = 0
    double_booked: int = 0
    mismatched: int = 0
    checks: int = 0
    concurrent_rates: list[float] = field(default_factory=list)
    concurrent_lost: list[int] = field(default_factory=list)
    concurrent_calls: list[int] = field(default_factory=list)


def agent_skills(index: int) -> list[str]:
    """A few skills, some with levels (see module docstring)."""
    skills = []
    if index % 2 == 0:
        skills.append("tech")
    if index % 3 == 0:
        skills.append(f"billing:{1 + index // 3 % 3}")
    if index % 5 == 0:
        skills.append(f"spanish:{1 + index // 5 % 2}")
    return skills


def caller_needs(index: int) -> tuple[list[str], int, str]:
    """(skills, priority, channel) of the ``index``-th caller, deterministic."""
    kind = index * 37 % 100
    skills = ["billing:2"] if 75 <= kind < 87 else ["tech"] if 87 <= kind < 96 else \
        ["spanish:2"] if kind >= 96 else []
    priority = 1 if index * 53 % 10 == 0 else 0
    channel = "twilio" if index * 71 % 10 == 3 else "sip"
    return skills, priority, channel


class Bench:
    """One scenario's services, agents and callers."""

    def __init__(self, services: Services, clock: Clock, agents: int) -> None:
        assert services.acd is not None
        self.services, self.clock, self.acd = services, clock, services.acd
        self.names = [f"agent{n:03d}" for n in range(agents)]
        self.callers = 0
        self.timer = ClaimTimer(self.acd)
        self.offered = 0
        self.acd.distributor.on_offer.append(self._count)
        quiet: Any = SimpleNamespace(dispatch=lambda queues=None: [])
        self.quiet_handoff = Handoff(services.session_factory, self.acd.queues, quiet, clock)

    def _count(self, _offer: Offer) -> None:
        self.offered += 1

    def add_agents(self) -> None:
        self.acd.queues.put(QUEUE, {"strategy": "longest_idle", "wrap_up": 0})
        for index, name in enumerate(self.names):
            self.acd.agents.add(name, "agent-password-1", queues=[QUEUE],
                                skills=agent_skills(index),
                                contact=f"sip:{name}@127.0.0.1:5999")

    def add_callers(self, count: int) -> None:
        """Start ``count`` calls and queue them, one second apart (their activate's dispatch
        finds nobody free: every agent is offline or busy meanwhile)."""
        for _ in range(count):
            index = self.callers
            self.callers += 1
            call_id = f"bench-call-{index:06d}"
            skills, priority, channel = caller_needs(index)
            number = f"+1555{index % 10_000_000:07d}"
            self.clock.advance(1)
            self.services.call_repository.start_call(
                call_id=call_id, channel=channel, flow_id="bench", flow_version=1,
                flow_sha256=None, from_number=number, to_number="1000",
                started_at=self.clock(), simulated=False, worker="bench")
            self.acd.distributor.enqueue(call_id, QUEUE, channel=channel, from_number=number,
                                         priority=priority, skills=skills)
            self.acd.distributor.activate(call_id)

    def all_available(self) -> None:
        """Every agent chooses available, without the hook that would dispatch at once."""
        hook, self.acd.agents.on_available = self.acd.agents.on_available, None
        try:
            for name in self.names:
                self.clock.advance(0.1)
                self.acd.agents.set_state(name, "available")
        finally:
            self.acd.agents.on_available = hook

    def waiting(self) -> int:
        with self.services.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(QueueEntry).where(
                QueueEntry.queue == QUEUE, QueueEntry.status == "waiting")) or 0)

    def busy_calls(self) -> list[tuple[str, int]]:
        """(call_id, agent_id) of every offered or connected entry."""
        with self.services.session_factory() as session:
            return [(c, a) for c, a in session.execute(
                select(QueueEntry.call_id, QueueEntry.agent_id).where(
                    QueueEntry.status.in_(("offered", "connected"))).order_by(QueueEntry.id))]

    def check(self, figures: Figures, expected: int) -> None:
        """No agent double-booked, every busy agent on the call it was offered."""
        with self.services.session_factory() as session:
            doubled = session.scalar(select(func.count()).select_from(
                select(QueueEntry.agent_id).where(
                    QueueEntry.status.in_(("offered", "connected")))
                .group_by(QueueEntry.agent_id).having(func.count() > 1).subquery()))
            entries = dict(session.execute(
                select(QueueEntry.agent_id, QueueEntry.call_id).where(
                    QueueEntry.status.in_(("offered", "connected")))).all())
            busy = dict(session.execute(select(Agent.id, Agent.call_id).where(
                Agent.state.in_(("reserved", "on_call")))).all())
        figures.double_booked += int(doubled or 0)
        figures.mismatched += int(busy != entries) + abs(len(busy) - expected)
        figures.checks += 1

    def dispatch_all(self) -> tuple[float, int, int]:
        """Figure 1: dispatch until every free agent is assigned; (seconds, assigned, calls)."""
        assigned, calls = 0, 0
        start = time.perf_counter()
        while assigned < len(self.names):
            offers = self.acd.distributor.dispatch([QUEUE])
            calls += 1
            if not offers:
                break
            assigned += len(offers)
        return time.perf_counter() - start, assigned, calls

    def idle_dispatches(self, count: int) -> list[float]:
        """Figure 2: dispatch with every agent busy."""
        times = []
        for _ in range(count):
            start = time.perf_counter()
            offers = self.acd.distributor.dispatch([QUEUE])
            times.append(time.perf_counter() - start)
            assert not offers
        return times

    def answer_all(self, times: list[float] | None = None) -> list[str]:
        calls = self.busy_calls()
        for call_id, agent_id in calls:
            start = time.perf_counter()
            assert self.acd.handoff.answered(call_id, agent_id)
            if times is not None:
                times.append(time.perf_counter() - start)
        return [call_id for call_id, _ in calls]

    def end_all(self, calls: Sequence[str], times: list[float] | None = None) -> None:
        """Figure 3 (``times``): each call end dispatches; else the quiet release."""
        handoff = self.acd.handoff if times is not None else self.quiet_handoff
        for call_id in calls:
            self.clock.advance(0.1)
            start = time.perf_counter()
            handoff.finished(call_id)
            if times is not None:
                times.append(time.perf_counter() - start)

    def concurrent(self, threads: int) -> tuple[float, int, int, int]:
        """Several threads dispatch at once until every agent is assigned;
        (seconds, assigned, lost claims, dispatch calls)."""
        lost_before = self.timer.lost
        barrier = threading.Barrier(threads + 1)
        results: list[tuple[int, int]] = []
        errors: list[BaseException] = []

        def run() -> None:
            assigned = calls = 0
            try:
                barrier.wait()
                while calls < 100:
                    offers = self.acd.distributor.dispatch([QUEUE])
                    calls += 1
                    assigned += len(offers)
                    if not offers and self.free_agents() == 0:
                        break
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)
            results.append((assigned, calls))

        workers = [threading.Thread(target=run) for _ in range(threads)]
        for worker in workers:
            worker.start()
        barrier.wait()
        start = time.perf_counter()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - start
        if errors:
            raise errors[0]
        return (elapsed, sum(a for a, _ in results), self.timer.lost - lost_before,
                sum(c for _, c in results))

    def free_agents(self) -> int:
        with self.services.session_factory() as session:
            return int(session.scalar(select(func.count()).select_from(Agent).where(
                Agent.state == "available")) or 0)


def run_scenario(url: str, folder: Path, label: str, agents: int, callers: int, rounds: int,
                 idle: int, threads: int) -> Figures:
    """Build a fresh database at ``url`` and measure figures 1-4 and the concurrent run."""
    settings = load_settings({"VOICE_DATA_DIR": str(folder / "data"),
                              "VOICE_DATABASE_URL": url, **FAST_HASHING})
    upgrade(url)
    clock = Clock()
    services = build_services(settings, clock)
    figures = Figures(label=label, agents=agents, callers=callers)
    try:
        bench = Bench(services, clock, agents)
        start = time.perf_counter()
        bench.add_agents()
        figures.setup_agents_s = time.perf_counter() - start
        start = time.perf_counter()
        bench.add_callers(callers)
        figures.setup_callers_s = time.perf_counter() - start
        bench.all_available()
        for _ in range(rounds):
            clock.advance(1)
            before = len(bench.timer.won)
            elapsed, assigned, calls = bench.dispatch_all()
            assert assigned == agents, f"{label}: {assigned} of {agents} agents assigned"
            figures.rates.append(assigned / elapsed)
            figures.per_assignment.append(elapsed / assigned)
            figures.dispatch_calls.append(calls)
            figures.claims += bench.timer.won[before:]
            bench.check(figures, agents)
            bench.add_callers(agents)  # back to M waiting
            assert bench.waiting() == callers
            figures.idle += bench.idle_dispatches(idle)
            offered = bench.offered
            bench.end_all(bench.answer_all(figures.answered), figures.call_end)
            figures.call_end_assigned += bench.offered - offered
            bench.check(figures, agents)
            bench.add_callers(agents)
            bench.end_all(bench.answer_all())  # quiet release: every agent free again
            assert bench.free_agents() == agents and bench.waiting() == callers
        figures.lost = bench.timer.lost
        for _ in range(rounds if threads > 1 else 0):
            clock.advance(1)
            elapsed, assigned, lost, calls = bench.concurrent(threads)
            assert assigned == agents, f"{label}: {assigned} of {agents} assigned by threads"
            figures.concurrent_rates.append(assigned / elapsed)
            figures.concurrent_lost.append(lost)
            figures.concurrent_calls.append(calls)
            bench.check(figures, agents)
            bench.add_callers(agents)
            bench.end_all(bench.answer_all())
    finally:
        services.close()
    return figures


@contextmanager
def throwaway_pg(tag: str) -> Iterator[str]:
    """A new PostgreSQL database (dropped afterwards); its URL."""
    name = f"bench_acd_{tag}_{secrets.token_hex(4)}"
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", name)
    admin = create_engine(make_url(f"{PG_SERVER}/postgres"), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield f"{PG_SERVER}/{name}"
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def ms(values: Sequence[float], pct: float) -> float:
    return percentile(list(values), pct) * 1000


def report(figures: Figures) -> None:
    """Print one scenario's figures as aligned lines."""
    f = figures
    print(f"\n{f.label}: {f.agents:,} agents, {f.callers:,} waiting callers, "
          f"{len(f.rates)} round{'s' if len(f.rates) != 1 else ''} "
          f"(setup: agents {f.setup_agents_s:.1f} s, callers {f.setup_callers_s:.1f} s)")
    print(f"  {'assignments/s, dispatch until all assigned':<52}"
          f"{'median':>7} {statistics.median(f.rates):>9.1f}   "
          f"min {min(f.rates):>9.1f}   max {max(f.rates):>9.1f}")
    print(f"  {'ms per assignment, dispatch time / assignments':<52}"
          f"{'median':>7} {statistics.median(f.per_assignment) * 1000:>9.2f}   "
          f"dispatch calls per round {statistics.median(f.dispatch_calls):.0f}")
    rows = [("ms per assignment, each _claim", f.claims, f"{len(f.claims)} claims, "
             f"{f.lost} lost"),
            (f"ms per dispatch, no free agent, {f.callers:,} waiting", f.idle,
             f"{len(f.idle)} dispatches"),
            ("ms per answered (handoff.answered)", f.answered, f"{len(f.answered)} calls"),
            ("ms per call end + dispatch (handoff.finished)", f.call_end,
             f"{f.call_end_assigned} of {len(f.call_end)} assigned")]
    for label, values, note in rows:
        print(f"  {label:<52}{'p50':>7} {ms(values, 50):>9.2f}   p95 {ms(values, 95):>9.2f}   "
              f"p99 {ms(values, 99):>9.2f}   ({note})")
    if f.concurrent_rates:
        print(f"  {'assignments/s, 2 threads dispatching at once':<52}"
              f"{'median':>7} {statistics.median(f.concurrent_rates):>9.1f}   "
              f"min {min(f.concurrent_rates):>9.1f}   max {max(f.concurrent_rates):>9.1f}   "
              f"(lost claims per round {statistics.median(f.concurrent_lost):.0f}, "
              f"dispatch calls {statistics.median(f.concurrent_calls):.0f})")
    print(f"  double-booked agents: {f.double_booked}; busy agents not matching their entry: "
          f"{f.mismatched} ({f.checks} checks)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--callers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=int, default=100,
                        help="dispatches with no free agent per round")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--quick", action="store_true",
                        help="20 agents, 100 callers, baseline 5/25, one round (smoke test)")
    args = parser.parse_args()
    big = (20, 100) if args.quick else (args.agents, args.callers)
    small = (5, 25) if args.quick else (10, 50)
    rounds, idle = (1, 10) if args.quick else (args.rounds, args.idle)
    backends = ["SQLite"] + ([] if args.no_postgres else ["PostgreSQL"])
    started, sample = time.perf_counter(), cpu_sample()
    results: dict[str, tuple[Figures, Figures]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-acd-") as tmp:
        for backend in backends:
            done = []
            for tag, (agents, callers) in (("big", big), ("small", small)):
                folder = Path(tmp) / f"{backend}-{tag}"
                label = f"{backend}{' baseline' if tag == 'small' else ''}"
                if backend == "SQLite":
                    url = f"sqlite:///{folder / 'voice.db'}"
                    done.append(run_scenario(url, folder, label, agents, callers, rounds,
                                             idle, 2))
                    continue
                with throwaway_pg(tag) as url:
                    done.append(run_scenario(url, folder, label, agents, callers, rounds,
                                             idle, 2))
            results[backend] = (done[0], done[1])
            for figures in done:
                report(figures)
    print()
    summary = []
    passed = True
    for backend, (big_f, small_f) in results.items():
        per = statistics.median(big_f.per_assignment) / statistics.median(small_f.per_assignment)
        claim = ms(big_f.claims, 50) / ms(small_f.claims, 50)
        print(f"{backend}: ratio per assignment {big_f.agents}/{big_f.callers:,} vs "
              f"{small_f.agents}/{small_f.callers:,}: dispatch time {per:.2f}, "
              f"_claim p50 {claim:.2f}")
        rate, idle_p95 = statistics.median(big_f.rates), ms(big_f.idle, 95)
        booked = big_f.double_booked + small_f.double_booked + big_f.mismatched + \
            small_f.mismatched
        passed = passed and rate >= TARGET_RATE and idle_p95 <= TARGET_IDLE_P95_MS \
            and booked == 0
        summary.append(f"{backend} {rate:.1f}/s, 2 threads "
                       f"{statistics.median(big_f.concurrent_rates):.1f}/s, claim p99 "
                       f"{ms(big_f.claims, 99):.2f} ms, idle dispatch p95 {idle_p95:.2f} ms, "
                       f"scaling {per:.2f}, double-booked {booked}")
    print(f"\n{others_share(sample)}; total {time.perf_counter() - started:.1f} s")
    print(f"RESULT assignments/s with {big[0]} agents and {big[1]:,} waiting: "
          f"{'; '.join(summary)}  target >= {TARGET_RATE:.0f}/s, idle p95 <= "
          f"{TARGET_IDLE_P95_MS:.0f} ms, 0 double-booked: {'PASS' if passed else 'MISS'}")


if __name__ == "__main__":
    main()
