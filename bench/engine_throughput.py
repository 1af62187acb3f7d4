"""Engine throughput on the demo flow: IVR events handled per second on one core.

The 18 flow tests of ``ivr_flows/tests/main.yaml`` are simulated once to record the events
each call receives (request ids are deterministic, so the events replay exactly); then the
engine alone handles those events on fresh sessions, round after round. Baselines in the
same process: the same replay with the session state saved to JSON and restored after every
event (what a Twilio web worker does), and a two-node flow (say, hangup).

Run: ``.venv/bin/python bench/engine_throughput.py [--rounds N]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import pin_one_core, summary

from voice.auth.verifier import load_directory
from voice.flows import simulator as sim_module
from voice.flows.catalog import FlowCatalog
from voice.flows.flowtests import load_cases, run_case
from voice.ivr import Session, SessionState, load_flows
from voice.ivr import events as ev

ROOT = Path(__file__).resolve().parents[1]


def record_scenarios() -> tuple[object, list[list[ev.Event]]]:
    """Simulate every demo flow test once and keep the events each call received."""
    catalog = FlowCatalog(flows_dir=ROOT / "ivr_flows",
                          schedules_file=ROOT / "config" / "schedules.yaml", repository=None)
    pinned = catalog.draft("main")
    schedules = catalog.schedules()
    verifier = load_directory(ROOT / "config" / "demo_customers.csv")
    recorded: list[list[ev.Event]] = []

    class Recording(Session):
        def handle(self, event: ev.Event):  # type: ignore[override]
            recorded[-1].append(event)
            return super().handle(event)

    sim_module.Session = Recording  # type: ignore[misc]
    try:
        for case in load_cases(ROOT / "ivr_flows" / "tests" / "main.yaml"):
            recorded.append([])
            outcome = run_case(case, pinned, schedules, verifier)
            assert outcome.passed, outcome.failures
    finally:
        sim_module.Session = Session  # type: ignore[misc]
    return (pinned.flows, schedules), recorded


def replay(flows, schedules, scenarios, *, persist: bool,
           flow_id: str = "main") -> tuple[int, float, list[float]]:
    """Handle every scenario's events on fresh sessions: (events, seconds, per-event µs)."""
    latencies: list[float] = []
    count = 0
    start = time.perf_counter()
    for events in scenarios:
        session = Session(flows, flow_id=flow_id, schedules=schedules)
        for event in events:
            t0 = time.perf_counter_ns()
            session.handle(event)
            if persist:
                saved = json.dumps(session.state.to_dict(include_secrets=True))
                session = Session(flows, schedules=schedules,
                                  state=SessionState.from_dict(json.loads(saved)))
            latencies.append((time.perf_counter_ns() - t0) / 1000)
            count += 1
    return count, time.perf_counter() - start, latencies


def tiny_flow():
    flows, problems = load_flows({"tiny.yaml": "id: tiny\nstart: hi\nnodes:\n"
                                  "  hi: {type: say, text: Hello, next: bye}\n"
                                  "  bye: {type: hangup, text: Bye}\n"}, set())
    assert not problems
    return flows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    pin_one_core()
    (flows, schedules), scenarios = record_scenarios()
    per_round = sum(len(s) for s in scenarios)
    print(f"demo flow: {len(scenarios)} scenarios, {per_round} events per round, "
          f"{args.rounds} rounds, 1 core")
    replay(flows, schedules, scenarios, persist=False)  # warm up (template compilation)
    results = {}
    for label, persist in (("engine", False), ("engine + JSON state save/restore", True)):
        rates, latencies = [], []
        for _ in range(args.rounds):
            count, seconds, lat = replay(flows, schedules, scenarios, persist=persist)
            rates.append(count / seconds)
            latencies += lat
        results[label] = statistics.median(rates)
        print(f"{label:<36} events/s {summary(rates)}")
        print(f"{'':<36} µs/event {summary(latencies)}")
    tiny = tiny_flow()
    start_events = [ev.CallStarted(at=scenarios[0][0].at, call_id="t", channel="sim",
                                   from_number="1", to_number="2")]
    rates = []
    for _ in range(args.rounds):
        count, seconds, _ = replay(tiny, {}, [start_events] * 500, persist=False,
                                  flow_id="tiny")
        rates.append(count / seconds)
    base = statistics.median(rates)
    print(f"{'baseline: two-node flow (calls/s)':<36} {base:,.0f}")
    engine = results["engine"]
    persisted = results["engine + JSON state save/restore"]
    print(f"ratio JSON-persisted / engine: {persisted / engine:.2f}")
    print(f"ratio demo events/s / two-node calls/s: {engine / base:.2f}")
    print(f"RESULT engine events/s (median): {engine:,.0f}  target >= 20,000: "
          f"{'met' if engine >= 20000 else 'NOT met'}")


if __name__ == "__main__":
    main()
