"""The benchmarks still run (tiny sizes) and print their RESULT lines; no timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_engine_benchmark_runs() -> None:
    out = _run("engine_throughput.py", "--rounds", "1")
    assert "RESULT engine events/s (median):" in out
    assert "ratio JSON-persisted / engine:" in out


def test_validation_benchmark_runs() -> None:
    out = _run("validate_large.py", "--nodes", "60", "--rounds", "1")
    assert "RESULT validation of 60 nodes (median):" in out
