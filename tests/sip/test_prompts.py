"""PromptCache with the real espeak-ng and sox: the WAV files a SIP caller would hear.

Every file is checked the way a listener (or the media bridge) notices problems: format
(mono, 16-bit, bridge rate), duration and loudness (``sox FILE -n stat``). espeak-ng calls are
counted through a small wrapper script that logs its arguments and execs the real espeak-ng.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from voice.errors import VoiceError
from voice.sip.errors import PromptError, PromptFormatError, PromptNotFoundError, TtsError
from voice.sip.prompts import PromptCache

SENTENCE = "Thank you for calling. Please hold while we connect you."


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture
def tools() -> None:
    """espeak-ng and sox must be installed: a failure under CI=true, a skip elsewhere."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not installed (apt-get install espeak-ng sox)"
        if _running_in_ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def flows_dir(tmp_path: Path) -> Path:
    (tmp_path / "flows" / "prompts").mkdir(parents=True)
    return tmp_path / "flows"


@pytest.fixture
def espeak_log(tmp_path: Path) -> Path:
    return tmp_path / "espeak.log"


@pytest.fixture
def cache(tools: None, tmp_path: Path, flows_dir: Path, espeak_log: Path) -> PromptCache:
    """A 16 kHz cache whose espeak-ng is a wrapper logging one line per call."""
    wrapper = tmp_path / "espeak-wrapper"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{espeak_log}"\nexec espeak-ng "$@"\n')
    wrapper.chmod(0o755)
    return PromptCache(tmp_path / "cache", flows_dir, espeak=str(wrapper))


def renders(log_file: Path) -> list[str]:
    """The logged espeak-ng calls that rendered speech (not ``--voices``)."""
    if not log_file.exists():
        return []
    return [line for line in log_file.read_text().splitlines() if " -w " in line]


def wav_format(path: Path) -> tuple[int, int, int, float]:
    """(channels, sample width in bytes, rate, seconds) of a WAV file."""
    with wave.open(str(path)) as wav:
        rate = wav.getframerate()
        return wav.getnchannels(), wav.getsampwidth(), rate, wav.getnframes() / rate


def max_amplitude(path: Path) -> float:
    """sox's "Maximum amplitude" of the file (0..1)."""
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                          check=True).stderr
    match = re.search(r"Maximum amplitude:\s+([-\d.]+)", stat)
    assert match, stat
    return float(match.group(1))


def sox(*args: str | Path) -> None:
    subprocess.run(["sox", *map(str, args)], check=True, capture_output=True)


@pytest.mark.parametrize("rate", [8000, 16000])
def test_say_renders_audible_mono_16bit_speech_at_the_bridge_rate(
        tools: None, tmp_path: Path, flows_dir: Path, rate: int) -> None:
    cache = PromptCache(tmp_path / "cache", flows_dir, sample_rate=rate)
    path = cache.say(SENTENCE, "en-US")
    assert path.parent == tmp_path / "cache" / "tts"
    channels, width, got_rate, seconds = wav_format(path)
    assert (channels, width, got_rate) == (1, 2, rate)
    assert 1.5 < seconds < 10
    assert max_amplitude(path) > 0.1


def test_say_is_cached_and_keyed_by_text(cache: PromptCache, espeak_log: Path) -> None:
    first = cache.say(SENTENCE, "en-US")
    before = first.stat()
    again = cache.say(SENTENCE, "en-US")
    assert again == first
    assert (again.stat().st_ino, again.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert len(renders(espeak_log)) == 1

    other = cache.say("Our offices are closed.", "en-US")
    assert other != first
    assert len(renders(espeak_log)) == 2
    slower = cache.say(SENTENCE, "en-US", rate=120)
    assert slower != first
    assert wav_format(slower)[3] > wav_format(first)[3]
    assert not [p.name for p in first.parent.iterdir() if p.name.startswith(".")]


def test_text_starting_with_a_dash_is_spoken_not_taken_as_an_option(cache: PromptCache) -> None:
    path = cache.say("-5 degrees outside, --help is on the way", "en-US")
    assert wav_format(path)[3] > 1.0
    assert max_amplitude(path) > 0.1


def test_korean_renders_with_the_korean_voice(cache: PromptCache, espeak_log: Path) -> None:
    path = cache.say("안녕하세요. 고객센터입니다.", "ko-KR")
    assert wav_format(path)[:3] == (1, 2, 16000)
    assert wav_format(path)[3] > 0.5
    assert max_amplitude(path) > 0.1
    assert "-v ko " in renders(espeak_log)[0]


@pytest.mark.parametrize(("language", "voice", "expected"), [
    ("en-GB", None, "en-gb"),
    ("es-ES", None, "es"),
    ("es-MX", None, "es-419"),
    ("fr-FR", None, "fr-fr"),
    ("de-DE", None, "de"),
    ("pt-BR", None, "pt-br"),
    ("it-IT", None, "it"),
    ("en-US", "Polly.Joanna", "en-us"),
    ("en-US", "en-gb", "en-gb"),
])
def test_languages_and_flow_voices_pick_the_espeak_voice(
        cache: PromptCache, espeak_log: Path, language: str, voice: str | None,
        expected: str) -> None:
    cache.say("one two three", language, voice)
    assert f"-v {expected} " in renders(espeak_log)[0]


def test_unknown_language_falls_back_to_american_english_with_a_warning(
        cache: PromptCache, espeak_log: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="voice.sip.prompts"):
        path = cache.say("hello", "xx-YY")
    assert "-v en-us " in renders(espeak_log)[0]
    assert "xx-YY" in caplog.text
    assert max_amplitude(path) > 0.1


def test_concurrent_renders_of_the_same_text_agree(
        tools: None, tmp_path: Path, flows_dir: Path) -> None:
    caches = [PromptCache(tmp_path / "cache", flows_dir) for _ in range(6)]
    with ThreadPoolExecutor(len(caches)) as pool:
        paths = set(pool.map(lambda c: c.say(SENTENCE, "en-US"), caches))
    assert len(paths) == 1
    path = paths.pop()
    assert wav_format(path)[:3] == (1, 2, 16000)
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_missing_espeak_names_the_command(tools: None, tmp_path: Path, flows_dir: Path) -> None:
    cache = PromptCache(tmp_path / "cache", flows_dir, espeak=str(tmp_path / "no-espeak"))
    with pytest.raises(TtsError, match=r"no-espeak.*install espeak-ng"):
        cache.say("hello", "en-US")


def test_failing_espeak_reports_its_stderr(tools: None, tmp_path: Path, flows_dir: Path) -> None:
    broken = tmp_path / "broken-espeak"
    broken.write_text('#!/bin/sh\n[ "$1" = --voices ] && exec espeak-ng "$@"\n'
                      'echo "audio device exploded" >&2\nexit 3\n')
    broken.chmod(0o755)
    cache = PromptCache(tmp_path / "cache", flows_dir, espeak=str(broken))
    with pytest.raises(TtsError, match=r"broken-espeak -v en-us .*exit 3.*audio device exploded"):
        cache.say("hello", "en-US")
    assert not list((tmp_path / "cache" / "tts").iterdir())


@pytest.mark.parametrize(("rate", "channels", "bits"), [(44100, 2, 16), (8000, 1, 8),
                                                         (48000, 1, 24), (22050, 2, 32)])
def test_audio_converts_any_pcm_wav_to_the_bridge_format(
        cache: PromptCache, flows_dir: Path, rate: int, channels: int, bits: int) -> None:
    sox("-n", "-r", rate, "-c", channels, "-b", bits, flows_dir / "prompts" / "tone.wav",
        "synth", "1", "sine", "440")
    path = cache.audio("prompts/tone.wav")
    assert path.parent == cache.cache_dir / "audio"
    channels_out, width, got_rate, seconds = wav_format(path)
    assert (channels_out, width, got_rate) == (1, 2, 16000)
    assert seconds == pytest.approx(1.0, abs=0.02)
    assert max_amplitude(path) > 0.5


def test_audio_is_cached_until_the_prompt_file_changes(
        cache: PromptCache, flows_dir: Path) -> None:
    source = flows_dir / "prompts" / "welcome.wav"
    sox("-n", "-r", 44100, "-c", 2, source, "synth", "1", "sine", "440")
    first = cache.audio("prompts/welcome.wav")
    before = first.stat()
    assert cache.audio("prompts/welcome.wav") == first
    assert (first.stat().st_ino, first.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    sox("-n", "-r", 44100, "-c", 2, source, "synth", "2", "sine", "440")
    edited = cache.audio("prompts/welcome.wav")
    assert edited != first
    assert wav_format(edited)[3] == pytest.approx(2.0, abs=0.02)


@pytest.mark.parametrize("name", ["../etc/passwd", "prompts/../../outside.wav", "/etc/passwd"])
def test_audio_outside_the_flows_folder_is_refused(
        cache: PromptCache, flows_dir: Path, name: str) -> None:
    sox("-n", "-r", 8000, flows_dir.parent / "outside.wav", "synth", "0.1", "sine", "440")
    with pytest.raises(PromptNotFoundError, match="relative to"):
        cache.audio(name)


def test_missing_audio_says_what_to_fix(cache: PromptCache) -> None:
    with pytest.raises(PromptNotFoundError, match=r"prompts/nope\.wav.*add the file"):
        cache.audio("prompts/nope.wav")


def test_non_wav_audio_without_ffmpeg_asks_for_wav(
        cache: PromptCache, flows_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no ffmpeg, whatever this machine has
    (flows_dir / "prompts" / "x.mp3").write_bytes(b"ID3\x03\x00\x00\x00" + b"\x00" * 500)
    with pytest.raises(PromptFormatError, match=r"x\.mp3.*convert it to WAV.*install ffmpeg"):
        cache.audio("prompts/x.mp3")


def test_float_wav_without_ffmpeg_asks_for_pcm(
        cache: PromptCache, flows_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sox("-n", "-r", 16000, "-e", "floating-point", "-b", 32, flows_dir / "prompts" / "f.wav",
        "synth", "0.5", "sine", "440")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PromptFormatError, match=r"f\.wav.*16-bit PCM WAV"):
        cache.audio("prompts/f.wav")


def test_silence_is_silent_and_cached(cache: PromptCache) -> None:
    path = cache.silence(750)
    assert wav_format(path) == (1, 2, 16000, pytest.approx(0.75, abs=0.001))
    assert max_amplitude(path) == 0
    assert cache.silence(750) == path


def test_prompt_errors_are_voice_errors() -> None:
    assert issubclass(TtsError, PromptError)
    assert issubclass(PromptNotFoundError, VoiceError)
