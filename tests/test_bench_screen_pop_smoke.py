"""The screen-pop latency benchmark still runs (``--quick``) and prints its figures as
numbers; no timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
NUMBER = r"\d+\.\d"


def test_screen_pop_benchmark_runs() -> None:
    done = subprocess.run([sys.executable, str(BENCH / "screen_pop.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, check=False)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for name in ("SQLite", "baseline: bare signed POST"):
        assert re.search(rf"^  {re.escape(name)} +p50 +{NUMBER}  p95 +{NUMBER}  p99 +"
                         rf"{NUMBER} ms$", out, re.M), out
    assert re.search(r"^  signature failures 0$", out, re.M), out
    assert re.search(rf"^RESULT screen pop ms: SQLite p50 {NUMBER} p95 {NUMBER}  target p95 "
                     r"<= 300 ms: (PASS|MISS)$", out, re.M), out
