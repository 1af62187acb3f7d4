"""The transcription benchmark still runs (``--quick``) and prints its figures as numbers; no
timing is asserted. Needs espeak-ng, sox and the Korean Vosk model (about 30 seconds); under
CI=true a missing one fails the test, elsewhere it is skipped."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tooling import korean_model, require_tools

BENCH = Path(__file__).resolve().parents[1] / "bench"
N = r"\d+\.\d+"


def test_transcribe_benchmark_runs() -> None:
    require_tools("espeak-ng", "sox")
    korean_model()
    done = subprocess.run([sys.executable, str(BENCH / "transcribe_rtf.py"), "--quick"],
                          capture_output=True, text=True, timeout=170, check=False)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert re.search(rf"^Figure 1: model load {N} s; RSS \+\d+ MB \(\d+ -> \d+ MB\)$", out,
                     re.M), out
    for row in ("8000 Hz call", "16000 Hz call", "baseline: 16000 Hz silence"):
        assert re.search(rf"^  {row} +{N} +{N} +{N} +{N} +{N} +\d+$", out, re.M), out
    assert re.search(rf"^  ratio call / silence at 16000 Hz: {N}$", out, re.M), out
    for workers, files in ((1, 1), (2, 2)):
        assert re.search(rf"^  {workers} +{files}( +{N}){{8}} +\d+$", out, re.M), out
    assert re.search(rf"^RESULT transcription RTF per core \(median\): 8 kHz {N}, 16 kHz {N}; "
                     rf"2 workers {N} audio-s/s, RTF per core {N}  target <= 0\.30: "
                     r"(PASS|MISS)$", out, re.M), out
