"""The Twilio webhook benchmark still runs end to end (tiny rate); no timing is asserted.

It starts gunicorn on a free loopback port with a temporary SQLite database, so it takes
about ten seconds.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_twilio_webhook_benchmark_runs() -> None:
    done = subprocess.run([sys.executable, str(BENCH / "twilio_webhooks.py"), "--rates", "20",
                           "--seconds", "1"], capture_output=True, text=True, timeout=180,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"^RESULT p99 at 20 req/s: [\d.]+ ms  target <= 50 ms: (met|NOT met)$",
                     out, re.M), out
    assert "ratio p99 webhooks / healthz:" in out
    for label in ("baseline GET /healthz", "webhooks"):
        assert re.search(rf"^  {re.escape(label)}: sent \d+, completed \d+, errors 0,", out,
                         re.M), out
        assert re.search(rf"^  {re.escape(label)}: latency ms median [\d.]+, p95 [\d.]+, "
                         r"p99 [\d.]+, max [\d.]+$", out, re.M), out
    assert "every gather 200 TwiML with the next action URL, every status callback 204" in out
    assert "errors over the whole run: 0" in out
    assert "server log: 0 error lines" in out
