"""The ACD benchmarks still run (``--quick``, SQLite only) and print their figures as
numbers; no timing or accuracy is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
NUM = r"-?\d+\.\d+"


def _run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_acd_dispatch_benchmark_runs() -> None:
    out = _run("acd_dispatch.py", "--quick", "--no-postgres")
    for label in ("SQLite", "SQLite baseline"):
        assert re.search(rf"^{label}: \d+ agents, [\d,]+ waiting callers, 1 round \(setup: "
                         rf"agents {NUM} s, callers {NUM} s\)$", out, re.M), out
    for label in ("assignments/s, dispatch until all assigned",
                  "assignments/s, 2 threads dispatching at once"):
        assert re.search(rf"^  {re.escape(label)} +median +{NUM} +min +{NUM} +max +{NUM}",
                         out, re.M), out
    assert re.search(rf"^  ms per assignment, dispatch time / assignments +median +{NUM} +"
                     r"dispatch calls per round \d+$", out, re.M), out
    for label in (r"ms per assignment, each _claim", r"ms per dispatch, no free agent, [\d,]+ "
                  r"waiting", r"ms per answered \(handoff\.answered\)",
                  r"ms per call end \+ dispatch \(handoff\.finished\)"):
        assert re.search(rf"^  {label} +p50 +{NUM} +p95 +{NUM} +p99 +{NUM} +\(.+\)$", out,
                         re.M), out
    assert re.search(r"^  double-booked agents: \d+; busy agents not matching their entry: "
                     r"\d+ \(\d+ checks\)$", out, re.M), out
    assert re.search(rf"^SQLite: ratio per assignment \d+/[\d,]+ vs \d+/[\d,]+: dispatch time "
                     rf"{NUM}, _claim p50 {NUM}$", out, re.M), out
    assert re.search(rf"^RESULT assignments/s with \d+ agents and [\d,]+ waiting: SQLite "
                     rf"{NUM}/s, 2 threads {NUM}/s, claim p99 {NUM} ms, idle dispatch p95 "
                     rf"{NUM} ms, scaling {NUM}, double-booked \d+  target .+: (PASS|MISS)$",
                     out, re.M), out
    assert "PostgreSQL" not in out


def test_estimated_wait_benchmark_runs() -> None:
    out = _run("estimated_wait.py", "--quick")
    assert re.search(r"^Simulated day: 2 h from 08:00, seed 1; \d+ callers, \d+ answered, "
                     rf"\d+ abandoned \({NUM}%\); agents \d+-\d+; \d+ events$", out, re.M), out
    assert re.search(rf"^  actual wait of answered callers, s: mean {NUM}, median {NUM}, p90 "
                     rf"{NUM}, max {NUM}; answered at once \d+$", out, re.M), out
    value = rf"(?:{NUM}|n/a)"
    for label in ("ACD estimate (what callers heard)", "baseline: position x 180 s",
                  "ACD, callers who waited", "baseline, callers who waited"):
        assert re.search(rf"^  {re.escape(label)} +\d+ +{value} +{value} +{value} +{value} "
                         rf"+{value}% +{value}%$", out, re.M), out
    assert re.search(rf"^  ratio MAE ACD / baseline: {value} \(callers who waited {value}\)$",
                     out, re.M), out
    assert re.search(rf"^  no estimate \(nobody staffed\) at \d+ of \d+ arrivals \({NUM}%\)",
                     out, re.M), out
    assert re.search(r"^  queue_entries\.estimated_wait equal to what the caller heard: \d+ "
                     r"of \d+; stored wait equal to the simulated one: \d+ of \d+$", out,
                     re.M), out
    assert len(re.findall(rf"^  [1-8] +\d\d:\d\d +\d+ +\d+ +\d+ +\d+ +\d+ +{value} +{value} "
                          rf"+{value}$", out, re.M)) == 8, out
    assert re.search(rf"^RESULT estimated wait MAE s: ACD {value}, baseline {value}, ratio "
                     rf"{value}; within \+-60 s {value}% \(baseline {value}%\); no estimate "
                     rf"{NUM}%  target .+: (PASS|MISS)$", out, re.M), out
