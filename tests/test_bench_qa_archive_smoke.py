"""The QA archive benchmark still runs (``--quick``: 2,000 calls, SQLite) and prints its
figures and RESULT lines as numbers; no timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
NUMBER = r"\d+\.\d"


def test_qa_archive_benchmark_runs() -> None:
    done = subprocess.run([sys.executable, str(BENCH / "qa_archive.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, check=False)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert re.search(r"^  \d+ pages deep ", out, re.M), out  # as deep as 2,000 calls go
    for name in ("first page", "caller number", "common word",
                 "word said nowhere", "GET /healthz (SELECT 1)"):
        assert re.search(rf"^  {re.escape(name)} +p50 +{NUMBER}  p95 +{NUMBER}  p99 +"
                         rf"{NUMBER} ms$", out, re.M), out
    for group, target in (("list", 300), ("search", 200)):
        assert re.search(rf"^RESULT SQLite {group} page ms at 2000 calls: p50 {NUMBER} p95 "
                         rf"{NUMBER}  target p95 <= {target} ms: (PASS|MISS)$", out, re.M), out
