"""Estimated-wait error (announced vs actual) on a simulated day of calls.

A discrete-event simulation that drives the real ACD (``services.acd`` from
``build_services``: ``Distributor``, ``Handoff``, ``AgentService``) over a temporary SQLite
database with a movable clock, so a day runs in seconds and every figure is the
distributor's own arithmetic on its own rows. One queue, "support", wrap-up 30 s, longest
idle first, no skills.

The day (``--hours``, default 8, from 08:00) is cut into eight equal periods, each with an
arrival rate (calls per hour; a morning peak in the second and third) and a staffing plan
(agents logged in). Arrivals are a Poisson process whose rate changes by period. Each caller
draws a talk time (lognormal, mean 240 s, sigma 0.7) and a patience (exponential, mean
300 s). When a period's plan adds agents they log in (``agents.set_state(.., "available")``,
which dispatches) at random moments in its first two minutes; when it drops agents, they log
out the same way (an agent on a call keeps it and leaves after it). The first period's agents
log in during the first five minutes while callers already arrive; the last period's agents
stay until the queue is empty.

Events are processed in time order (ties in the order they were scheduled):

- arrival: ``call_repository.start_call``, ``distributor.enqueue`` (its ``Placement`` is what
  the caller is told: ``estimated_wait`` and ``position``), then ``activate`` (dispatch);
- abandon (the caller's patience ran out while still waiting): ``distributor.leave(call_id,
  "abandoned")``;
- talk end: ``handoff.finished`` (the agent wraps up for 30 s);
- wrap-up end: ``reconciler.settle()`` then ``distributor.dispatch``;
- log in / log out of agents.

Every offer (collected through ``distributor.on_offer``, whoever dispatched) is answered at
once (``handoff.answered``), so the actual wait is the time to the offer, as the estimate
means it. After the day the figures are read back from ``queue_entries``:
``estimated_wait`` (checked equal to what the caller was told), ``answered_at -
enqueued_at``. For answered callers with an estimate: mean absolute error, median and p90
absolute error, bias (mean of estimate - actual), share within +-60 s and share within
+-30 % of the actual wait (a caller answered at once counts only if told 0). The same
figures for the old constant estimate (position x 180 s) over the same callers are the
baseline, with the ratio of the MAEs; also for callers who actually waited, per period, and
how often no estimate could be given (nobody staffed). Abandoned callers have no actual wait
to compare with and are only counted.

Deterministic for a given ``--seed`` (separate random streams for arrivals, calls and
staffing). Run: ``.venv/bin/python bench/estimated_wait.py [--hours 8] [--seed 1]
[--quick]`` (about 15 s; ``--quick``: a 2-hour day, ~5 s).
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile
from sqlalchemy import select

from voice.acd.records import Offer
from voice.acd.service import Acd
from voice.compose import Services, build_services
from voice.settings import load_settings
from voice.store.migrate import upgrade
from voice.store.models import QueueEntry

QUEUE = "support"
DAY_START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
FAST_HASHING = {"VOICE_AUTH_HASH_TIME_COST": "1", "VOICE_AUTH_HASH_MEMORY_KIB": "8192"}
#: calls per hour and agents logged in, per eighth of the day (morning peak)
RATES = (60, 110, 140, 120, 90, 80, 100, 70)
STAFF = (5, 9, 11, 10, 7, 6, 8, 6)
TALK_MEAN_S, TALK_SIGMA = 240.0, 0.7
PATIENCE_MEAN_S = 300.0
WRAP_UP_S = 30
OLD_PER_POSITION_S = 180.0  # the constant estimate before the ACD measured handle times
TARGET_RATIO = 0.5  # ACD MAE at most half the constant estimate's
TARGET_WITHIN_60 = 0.75  # three callers in four told the wait to within a minute


class Clock:
    """The simulation's clock: seconds since the day started."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> datetime:
        return DAY_START + timedelta(seconds=self.t)


@dataclass
class Caller:
    """One simulated caller and what happened to them."""

    call_id: str
    arrived: float
    period: int
    talk: float
    patience: float
    told: float | None = None
    position: int = 0
    answered: float | None = None
    abandoned: bool = False


@dataclass(frozen=True)
class Errors:
    """Error figures of one estimate over a set of callers."""

    count: int
    mae: float
    median: float
    p90: float
    bias: float
    within_60: float
    within_30pct: float


def errors(pairs: Sequence[tuple[float, float]]) -> Errors:
    """Figures of (estimate, actual) pairs (see module docstring)."""
    if not pairs:
        return Errors(0, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan)
    signed = [est - actual for est, actual in pairs]
    absolute = [abs(e) for e in signed]
    return Errors(count=len(pairs), mae=statistics.fmean(absolute),
                  median=statistics.median(absolute), p90=percentile(absolute, 90),
                  bias=statistics.fmean(signed),
                  within_60=sum(a <= 60 for a in absolute) / len(pairs),
                  within_30pct=sum(abs(est - actual) <= 0.3 * actual + 1e-9
                                   for est, actual in pairs) / len(pairs))


class Day:
    """The event loop over the real ACD (see module docstring)."""

    def __init__(self, services: Services, clock: Clock, hours: float, seed: int) -> None:
        assert services.acd is not None
        self.services, self.clock = services, clock
        self.acd: Acd = services.acd
        self.period_s = hours * 3600 / len(RATES)
        self.arrivals = random.Random(f"{seed}-arrivals")
        self.calls = random.Random(f"{seed}-calls")
        self.staffing = random.Random(f"{seed}-staffing")
        self.events: list[tuple[float, int, str, str]] = []
        self.seq = 0
        self.callers: dict[str, Caller] = {}
        self.offers: list[Offer] = []
        self.names = [f"agent{n:02d}" for n in range(max(STAFF))]
        self.acd.distributor.on_offer.append(self.offers.append)
        self.handled = 0

    def at(self, t: float, kind: str, what: str) -> None:
        self.seq += 1
        heapq.heappush(self.events, (t, self.seq, kind, what))

    def setup(self) -> None:
        self.acd.queues.put(QUEUE, {"strategy": "longest_idle", "wrap_up": WRAP_UP_S})
        for name in self.names:
            self.acd.agents.add(name, "agent-password-1", queues=[QUEUE],
                                contact=f"sip:{name}@127.0.0.1:5999")
        self.plan_staff()
        self.plan_arrivals()

    def plan_staff(self) -> None:
        previous = 0
        for period, staff in enumerate(STAFF):
            start = period * self.period_s
            spread = 300.0 if period == 0 else 120.0
            for index in range(min(previous, staff), max(previous, staff)):
                kind = "login" if staff > previous else "logout"
                self.at(start + self.staffing.uniform(0, spread), kind, self.names[index])
            previous = staff

    def plan_arrivals(self) -> None:
        mu = math.log(TALK_MEAN_S) - TALK_SIGMA ** 2 / 2
        index = 0
        for period, rate in enumerate(RATES):
            t, end = period * self.period_s, (period + 1) * self.period_s
            while True:
                t += self.arrivals.expovariate(rate / 3600)
                if t >= end:
                    break
                call_id = f"sim-{index:05d}"
                self.callers[call_id] = Caller(
                    call_id=call_id, arrived=t, period=period,
                    talk=self.calls.lognormvariate(mu, TALK_SIGMA),
                    patience=self.calls.expovariate(1 / PATIENCE_MEAN_S))
                self.at(t, "arrive", call_id)
                index += 1

    def run(self) -> None:
        handlers: dict[str, Callable[[str], None]] = {
            "arrive": self.arrive, "abandon": self.abandon, "end": self.end,
            "wrap": self.wrap_end, "login": self.login, "logout": self.logout}
        while self.events:
            t, _seq, kind, what = heapq.heappop(self.events)
            self.clock.t = t
            handlers[kind](what)
            self.answer_offers()
            self.handled += 1

    def arrive(self, call_id: str) -> None:
        caller = self.callers[call_id]
        number = f"+1555{int(call_id[4:]):07d}"
        self.services.call_repository.start_call(
            call_id=call_id, channel="sip", flow_id="sim", flow_version=1, flow_sha256=None,
            from_number=number, to_number="1000", started_at=self.clock(), simulated=False,
            worker="sim")
        placement = self.acd.distributor.enqueue(call_id, QUEUE, channel="sip",
                                                 from_number=number)
        caller.told, caller.position = placement.estimated_wait, placement.position or 1
        self.at(caller.arrived + caller.patience, "abandon", call_id)
        self.acd.distributor.activate(call_id)

    def abandon(self, call_id: str) -> None:
        caller = self.callers[call_id]
        if caller.answered is None:
            caller.abandoned = True
            self.acd.distributor.leave(call_id, "abandoned")

    def end(self, call_id: str) -> None:
        self.acd.handoff.finished(call_id)
        self.at(self.clock.t + WRAP_UP_S, "wrap", call_id)

    def wrap_end(self, _call_id: str) -> None:
        self.acd.reconciler.settle()
        self.acd.distributor.dispatch([QUEUE])

    def login(self, name: str) -> None:
        self.acd.agents.set_state(name, "available")

    def logout(self, name: str) -> None:
        self.acd.agents.set_state(name, "offline")

    def answer_offers(self) -> None:
        """Agents answer at once: the actual wait ends at the offer."""
        while self.offers:
            offer = self.offers.pop(0)
            caller = self.callers[offer.call_id]
            assert self.acd.handoff.answered(offer.call_id, offer.agent_id)
            caller.answered = self.clock.t
            self.at(self.clock.t + caller.talk, "end", offer.call_id)

    def stored(self) -> dict[str, tuple[float | None, float | None]]:
        """Per call: (estimated_wait, answered_at - enqueued_at) as queue_entries hold them."""
        with self.services.session_factory() as session:
            rows = session.execute(select(QueueEntry.call_id, QueueEntry.estimated_wait,
                                          QueueEntry.enqueued_at, QueueEntry.answered_at))
            return {call_id: (told, (answered - enqueued).total_seconds()
                              if answered is not None else None)
                    for call_id, told, enqueued, answered in rows}


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if math.isnan(value) else f"{value:.{digits}f}"


def print_errors(label: str, figures: Errors) -> None:
    print(f"  {label:<34}{figures.count:>6}{fmt(figures.mae):>9}{fmt(figures.median):>9}"
          f"{fmt(figures.p90):>9}{fmt(figures.bias):>9}"
          f"{fmt(figures.within_60 * 100):>10}%{fmt(figures.within_30pct * 100):>10}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0, help="length of the day")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a 2-hour day (smoke test)")
    args = parser.parse_args()
    hours = 2.0 if args.quick else args.hours
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-wait-") as folder:
        url = f"sqlite:///{Path(folder) / 'voice.db'}"
        settings = load_settings({"VOICE_DATA_DIR": str(Path(folder) / "data"),
                                  "VOICE_DATABASE_URL": url, **FAST_HASHING})
        upgrade(url)
        clock = Clock()
        services = build_services(settings, clock)
        try:
            day = Day(services, clock, hours, args.seed)
            day.setup()
            day.run()
            stored = day.stored()
        finally:
            services.close()
    callers = list(day.callers.values())
    answered = [c for c in callers if c.answered is not None]
    abandoned = [c for c in callers if c.abandoned]
    untold = [c for c in callers if c.told is None]
    same_told = sum(stored[c.call_id][0] == c.told for c in callers)
    same_wait = sum(c.answered is not None and stored[c.call_id][1] is not None
                    and abs(stored[c.call_id][1] - (c.answered - c.arrived)) < 1e-3
                    for c in answered)

    def pairs(group: Sequence[Caller], old: bool) -> list[tuple[float, float]]:
        out = []
        for c in group:
            told, waited = stored[c.call_id]
            if told is None or waited is None:
                continue
            out.append((c.position * OLD_PER_POSITION_S if old else told, waited))
        return out

    waits = [stored[c.call_id][1] or 0.0 for c in answered]
    waited = [c for c in answered if (stored[c.call_id][1] or 0) > 0]
    print(f"Simulated day: {hours:g} h from {DAY_START:%H:%M}, seed {args.seed}; "
          f"{len(callers)} callers, {len(answered)} answered, {len(abandoned)} abandoned "
          f"({len(abandoned) / max(1, len(callers)) * 100:.1f}%); agents "
          f"{min(STAFF)}-{max(STAFF)}; {day.handled} events")
    print(f"  actual wait of answered callers, s: mean {statistics.fmean(waits):.1f}, "
          f"median {statistics.median(waits):.1f}, p90 {percentile(waits, 90):.1f}, "
          f"max {max(waits):.1f}; answered at once {len(answered) - len(waited)}")
    header = (f"  {'estimate (answered callers)':<34}{'n':>6}{'MAE s':>9}{'median':>9}"
              f"{'p90':>9}{'bias':>9}{'+-60 s':>11}{'+-30%':>11}")
    print("\n" + header)
    new_all, old_all = errors(pairs(answered, False)), errors(pairs(answered, True))
    print_errors("ACD estimate (what callers heard)", new_all)
    print_errors("baseline: position x 180 s", old_all)
    new_w, old_w = errors(pairs(waited, False)), errors(pairs(waited, True))
    print_errors("ACD, callers who waited", new_w)
    print_errors("baseline, callers who waited", old_w)
    ratio = new_all.mae / old_all.mae if old_all.mae else math.nan
    ratio_w = new_w.mae / old_w.mae if old_w.mae else math.nan
    print(f"  ratio MAE ACD / baseline: {fmt(ratio, 2)} (callers who waited "
          f"{fmt(ratio_w, 2)})")
    print(f"  no estimate (nobody staffed) at {len(untold)} of {len(callers)} arrivals "
          f"({len(untold) / max(1, len(callers)) * 100:.1f}%); of them answered "
          f"{sum(c.answered is not None for c in untold)}")
    print(f"  queue_entries.estimated_wait equal to what the caller heard: {same_told} of "
          f"{len(callers)}; stored wait equal to the simulated one: {same_wait} of "
          f"{len(answered)}")
    print(f"\n  {'period':<8}{'from':>6}{'rate/h':>8}{'staff':>7}{'callers':>9}{'answered':>10}"
          f"{'abandoned':>11}{'mean wait':>11}{'MAE ACD':>9}{'MAE old':>9}")
    for period, (rate, staff) in enumerate(zip(RATES, STAFF, strict=True)):
        group = [c for c in callers if c.period == period]
        done = [c for c in group if c.answered is not None]
        mean_wait = statistics.fmean([stored[c.call_id][1] or 0.0 for c in done]) \
            if done else math.nan
        start = DAY_START + timedelta(seconds=period * day.period_s)
        print(f"  {period + 1:<8}{start:%H:%M}{rate:>8}{staff:>7}{len(group):>9}{len(done):>10}"
              f"{sum(c.abandoned for c in group):>11}{fmt(mean_wait):>11}"
              f"{fmt(errors(pairs(done, False)).mae):>9}{fmt(errors(pairs(done, True)).mae):>9}")
    elapsed = time.perf_counter() - started
    print(f"\nwall time {elapsed:.1f} s ({day.handled / elapsed:.0f} events/s)")
    passed = ratio <= TARGET_RATIO and new_all.within_60 >= TARGET_WITHIN_60
    print(f"RESULT estimated wait MAE s: ACD {fmt(new_all.mae)}, baseline {fmt(old_all.mae)}, "
          f"ratio {fmt(ratio, 2)}; within +-60 s {fmt(new_all.within_60 * 100)}% (baseline "
          f"{fmt(old_all.within_60 * 100)}%); no estimate "
          f"{len(untold) / max(1, len(callers)) * 100:.1f}%  target ratio <= {TARGET_RATIO} "
          f"and +-60 s >= {TARGET_WITHIN_60 * 100:.0f}%: {'PASS' if passed else 'MISS'}")


if __name__ == "__main__":
    main()
