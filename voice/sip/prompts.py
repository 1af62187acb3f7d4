"""Prompt audio cache of the SIP media workers: IVR ``Say``/``Play`` actions as WAV files.

Every file this module returns is in the bridge format (mono, 16-bit PCM, ``sample_rate``) so
a media worker can play it as it is. Files are rendered once and kept under ``cache_dir``:

* ``tts/<sha256>.wav``: ``say`` text rendered with espeak-ng (key: text, voice, rate, sample rate);
* ``audio/<sha256>.wav``: a flow's prompt file converted (key: path, mtime, size, sample rate),
  so an edited prompt gets a new cache entry;
* ``silence/<ms>ms-<rate>.wav``: pauses.

Several worker processes may render the same prompt at once: each writes a temporary file in
the target folder and moves it into place with ``os.replace``, which is atomic, so a reader
sees either no file or a complete one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import warnings
import wave
from pathlib import Path

from voice.sip.errors import PromptFormatError, PromptNotFoundError, TtsError

with warnings.catch_warnings():
    # pydub warns at import that ffmpeg is missing (only needed for non-WAV prompts, see
    # ``audio``) and that audioop is deprecated; neither helps an operator.
    warnings.simplefilter("ignore")
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError
    from pydub.generators import Sine

log = logging.getLogger(__name__)

#: BCP-47 languages whose espeak-ng voice is not simply the lowercased tag
LANGUAGE_VOICES = {
    "en-US": "en-us", "en-GB": "en-gb", "es-ES": "es", "es-MX": "es-419",
    "fr-FR": "fr-fr", "de-DE": "de", "ko-KR": "ko",
}
FALLBACK_VOICE = "en-us"
ESPEAK_TIMEOUT = 60.0


class PromptCache:
    """Renders prompts to bridge-format WAV files under ``cache_dir``, once per distinct prompt."""

    def __init__(self, cache_dir: Path, flows_dir: Path, *, sample_rate: int = 16000,
                 espeak: str = "espeak-ng") -> None:
        self.cache_dir = Path(cache_dir)
        self.flows_dir = Path(flows_dir)
        self.sample_rate = sample_rate
        self.espeak = espeak
        self._voices: frozenset[str] | None = None

    def say(self, text: str, language: str, voice: str | None = None, rate: int = 160) -> Path:
        """Return a WAV file of ``text`` spoken by espeak-ng (``rate`` in words per minute).

        ``voice`` is used when espeak-ng knows it (e.g. ``en-gb``); a voice meant for another
        engine (e.g. Twilio's ``Polly.Joanna``) is ignored and ``language`` picks the voice.
        """
        espeak_voice = self._voice_for(language, voice)
        key = json.dumps([text, espeak_voice, rate, self.sample_rate])
        target = self.cache_dir / "tts" / f"{_sha256(key)}.wav"
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        raw = _temp_path(target.parent)
        try:
            command = [self.espeak, "-v", espeak_voice, "-s", str(rate), "-w", str(raw), "--",
                       text]
            self._run_espeak(command)
            try:
                segment = AudioSegment(data=raw.read_bytes())
            except (CouldntDecodeError, OSError) as exc:
                raise TtsError(f"{self.espeak} wrote no readable WAV file ({exc})") from exc
            self._write(segment, target)
        finally:
            raw.unlink(missing_ok=True)
        return target

    def audio(self, name: str) -> Path:
        """Return the flow's prompt file ``name`` (relative to ``flows_dir``) as a bridge WAV."""
        source = self._source(name)
        stat = source.stat()
        key = json.dumps([str(source), stat.st_mtime_ns, stat.st_size, self.sample_rate])
        target = self.cache_dir / "audio" / f"{_sha256(key)}.wav"
        if target.exists():
            return target
        self._write(self._decode(name, source), target)
        return target

    def silence(self, ms: int) -> Path:
        """Return a WAV file of ``ms`` milliseconds of silence."""
        if ms < 0:
            raise ValueError(f"silence length must be >= 0 ms, not {ms}")
        target = self.cache_dir / "silence" / f"{ms}ms-{self.sample_rate}.wav"
        if not target.exists():
            self._write(AudioSegment.silent(duration=ms, frame_rate=self.sample_rate), target)
        return target

    def beep(self) -> Path:
        """The beep before a voicemail: 400 ms of 1 kHz."""
        target = self.cache_dir / "tones" / f"beep-{self.sample_rate}.wav"
        if not target.exists():
            tone = Sine(1000, sample_rate=self.sample_rate).to_audio_segment(400, volume=-8)
            self._write(tone, target)
        return target

    def hold_music(self) -> Path:
        """Default hold music for queues without ``music:``: a soft, slow chime, 8 s."""
        target = self.cache_dir / "tones" / f"hold-{self.sample_rate}.wav"
        if not target.exists():
            music = AudioSegment.silent(duration=0, frame_rate=self.sample_rate)
            for freq in (523.25, 659.25, 783.99, 659.25):  # C E G E
                note = Sine(freq, sample_rate=self.sample_rate).to_audio_segment(
                    1200, volume=-22).fade_in(150).fade_out(600)
                music += note + AudioSegment.silent(duration=800, frame_rate=self.sample_rate)
            self._write(music, target)
        return target

    def _voice_for(self, language: str, voice: str | None) -> str:
        """The espeak-ng voice for a flow's ``voice``/``language`` (see the module docstring)."""
        voices = self._espeak_voices()
        if voice and voice.split("+", 1)[0].lower() in voices:
            return voice.lower()
        candidates = [LANGUAGE_VOICES.get(language), language.lower(),
                      language.split("-", 1)[0].lower()]
        for candidate in candidates:
            if candidate and candidate in voices:
                return candidate
        log.warning("no espeak-ng voice for language %r; speaking it with %r",
                    language, FALLBACK_VOICE)
        return FALLBACK_VOICE

    def _espeak_voices(self) -> frozenset[str]:
        """Voice names espeak-ng accepts for ``-v`` (languages and voice files), read once."""
        if self._voices is None:
            output = self._run_espeak([self.espeak, "--voices"])
            names: set[str] = set()
            for line in output.splitlines()[1:]:
                fields = line.split()
                if len(fields) >= 5:
                    names.update({fields[1].lower(), fields[4].lower(),
                                  fields[4].rsplit("/", 1)[-1].lower()})
            self._voices = frozenset(names)
        return self._voices

    def _run_espeak(self, command: list[str]) -> str:
        """Run espeak-ng (never through a shell); return stdout or raise :class:`TtsError`."""
        shown = " ".join(command[: command.index("--")] if "--" in command else command)
        try:
            done = subprocess.run(command, capture_output=True, text=True,
                                  timeout=ESPEAK_TIMEOUT, check=False)
        except FileNotFoundError as exc:
            raise TtsError(f"text-to-speech needs {self.espeak!r}, which was not found; install "
                           "espeak-ng (apt-get install espeak-ng) or fix the path") from exc
        except subprocess.TimeoutExpired as exc:
            raise TtsError(f"{shown} did not finish within {ESPEAK_TIMEOUT:.0f} s") from exc
        if done.returncode != 0:
            raise TtsError(f"{shown} failed (exit {done.returncode}): "
                           f"{done.stderr.strip() or 'no output on stderr'}")
        return done.stdout

    def _source(self, name: str) -> Path:
        """Resolve a flow's ``audio:`` name inside ``flows_dir``, or raise PromptNotFoundError."""
        root = self.flows_dir.resolve()
        if Path(name).is_absolute():
            raise PromptNotFoundError(
                f"prompt audio {name!r} is an absolute path; name it relative to the flows "
                f"folder {root} (e.g. prompts/welcome.wav)")
        source = (root / name).resolve()
        if not source.is_relative_to(root):
            raise PromptNotFoundError(
                f"prompt audio {name!r} points outside the flows folder {root}; put the file "
                "under the flows folder and name it relative to it")
        if not source.is_file():
            raise PromptNotFoundError(
                f"prompt audio {name!r} not found (looked for {source}); add the file or fix "
                "the audio: name in the flow")
        return source

    def _decode(self, name: str, source: Path) -> AudioSegment:
        """Read a prompt file: PCM WAV natively, anything else only through ffmpeg."""
        with source.open("rb") as handle:
            header = handle.read(12)
        is_wav = header[:4] == b"RIFF" and header[8:12] == b"WAVE"
        if is_wav:
            try:
                return AudioSegment(data=source.read_bytes())
            except (CouldntDecodeError, ValueError, EOFError) as exc:
                if not _have_ffmpeg():
                    raise PromptFormatError(
                        f"prompt audio {name!r} ({source}) is a WAV file pydub cannot read "
                        f"without ffmpeg ({exc}); convert it to 16-bit PCM WAV (e.g. sox in.wav "
                        "-b 16 out.wav) or install ffmpeg") from exc
        elif not _have_ffmpeg():
            raise PromptFormatError(
                f"prompt audio {name!r} ({source}) is not a WAV file and ffmpeg is not installed; "
                "convert it to WAV (e.g. sox in.mp3 out.wav) or install ffmpeg")
        try:
            return AudioSegment.from_file(source)
        except Exception as exc:  # pydub raises bare exceptions from ffmpeg failures
            raise PromptFormatError(
                f"prompt audio {name!r} ({source}) could not be decoded: {exc}; convert it "
                "to 16-bit PCM WAV") from exc

    def _write(self, segment: AudioSegment, target: Path) -> None:
        """Convert ``segment`` to the bridge format and move it atomically into ``target``."""
        segment = segment.set_channels(1).set_sample_width(2).set_frame_rate(self.sample_rate)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_path(target.parent)
        try:
            with wave.open(str(tmp), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(self.sample_rate)
                out.writeframes(segment.raw_data)
            tmp.chmod(0o644)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _temp_path(folder: Path) -> Path:
    """A new empty file in ``folder`` (same file system as the target, so os.replace works)."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".wav")
    os.close(fd)
    return Path(name)


def _have_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None or shutil.which("avconv") is not None
