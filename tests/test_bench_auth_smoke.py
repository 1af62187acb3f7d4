"""The caller verification benchmark still runs (``--quick``) and prints its figures as
numbers; no timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
NUMBER = r"\d+\.\d"


def test_auth_verify_benchmark_runs() -> None:
    done = subprocess.run([sys.executable, str(BENCH / "auth_verify.py"), "--quick"],
                          capture_output=True, text=True, timeout=120, check=False)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert re.search(r"^argon2id time cost \d+, memory \d+ MiB, parallelism 1; ", out, re.M), out
    for case in ("right PIN", "wrong PIN", "unknown account", "locked account",
                 "baseline: bare argon2 check"):
        assert re.search(rf"^  {case} +{NUMBER} +{NUMBER} +{NUMBER}$", out, re.M), out
    assert re.search(r"^  ratio unknown / wrong PIN \d+\.\d\d, locked / wrong PIN \d+\.\d\d,",
                     out, re.M), out
    for threads in (r"1 thread ", "2 threads"):
        assert re.search(rf"^  {threads} +{NUMBER}/s  \(CPU \d+% of one core\)$", out,
                         re.M), out
    assert re.search(rf"^RESULT verify median ms: right {NUMBER}, wrong {NUMBER}, unknown "
                     rf"{NUMBER}, locked {NUMBER}; unknown/wrong \d+\.\d\d; attempts/s 1 thread "
                     rf"{NUMBER}, 2 threads {NUMBER}  target 50-150 ms: (PASS|MISS)$", out,
                     re.M), out
