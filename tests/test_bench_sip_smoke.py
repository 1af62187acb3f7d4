"""The SIP load benchmark still runs end to end (``--quick``); no timing is asserted.

It starts two pjsua2 media workers behind Kamailio on free loopback ports with a temporary
SQLite database and runs a handful of SIPp calls (about 40 seconds). Under CI=true a missing
sipp, kamailio or espeak-ng fails the test; elsewhere it is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
TOOLS = {"sipp": "sip-tester", "kamailio": "kamailio", "espeak-ng": "espeak-ng"}
NUMBER = r"\d+(?:\.\d+)?"
TRIPLE = rf"{NUMBER} / {NUMBER} / {NUMBER}"


def _require_tools() -> None:
    missing = [name for name in TOOLS
               if shutil.which(name) is None and not Path(f"/usr/sbin/{name}").exists()]
    if not missing:
        return
    message = (f"missing {', '.join(missing)}; install with apt-get install "
               + " ".join(TOOLS[name] for name in missing))
    if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def test_sip_load_benchmark_runs() -> None:
    _require_tools()
    done = subprocess.run([sys.executable, str(BENCH / "sip_load.py"), "--quick"],
                          capture_output=True, text=True, timeout=150, check=False)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for figure in ("Figure 1: new calls per second through Kamailio, 2 workers",
                   "Figure 2: callers held 6 s each across 2 workers",
                   "Figure 3: prompt latency from the workers' timing log"):
        assert figure in out, out
    # figure 1: a row per rate with counts and INVITE->200 percentiles
    assert re.search(rf"^  2/s( +\d+){{5}} +{TRIPLE} +{TRIPLE} ", out, re.M), out
    assert re.search(r"^RESULT figure 1: (highest rate with 0 failures 2/s, INVITE->200 p99 "
                     r"\d+ ms|no rate without failures)  target >= 20/s with p99 <= 200 ms: "
                     r"(PASS|MISS)$", out, re.M), out
    # figure 2: the table (counts, CPU and memory per worker) and its result line
    assert re.search(r"^  SIPp: held to the end / failed \(503\) +\d+ / \d+ \(\d+\)$", out,
                     re.M), out
    assert re.search(r"^  call log: calls / queued / ended / recorded / all three +"
                     r"\d+ / \d+ / \d+ / \d+ / \d+$", out, re.M), out
    assert re.search(rf"^  RSS MB per worker \(median / max\) +{NUMBER} / {NUMBER}$", out,
                     re.M), out
    assert re.search(r"^  CPU % all workers together +\d+$", out, re.M), out
    assert re.search(r"^RESULT figure 2: largest number of callers held 6 s with no failed "
                     r"call: \d+  target >= 100: (PASS|MISS)$", out, re.M), out
    # figure 3: both latencies with numbers, at light load and under figure 2's load
    for what in ("answer -> first prompt, light load", "key -> next prompt, light load",
                 "key -> next prompt, 3 callers held (figure 2)"):
        assert re.search(rf"^  {re.escape(what)} +\d+ +{TRIPLE} ", out, re.M), out
    assert re.search(r"^RESULT figure 3: key->prompt p95 \d+ ms, answer->prompt p95 \d+ ms  "
                     r"target <= 300 / 1000 ms: (PASS|MISS)$", out, re.M), out
    assert re.search(r"^workers died: \d+$", out, re.M), out
    assert re.search(r"^worker log: \d+ error lines$", out, re.M), out
    assert re.search(r"^pool stop: ", out, re.M), out
