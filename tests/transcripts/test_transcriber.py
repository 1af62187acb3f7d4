"""Transcriber with real Vosk, the real Korean model and espeak-ng speech in 2-channel WAVs.

Recordings are built like the service's: SIP merges two mono channels into a 16 kHz stereo
WAV (caller left), Twilio's dual-channel recordings are 8 kHz. Speech is ``espeak-ng -v ko``
converted by sox; the small Korean model recognises free espeak sentences poorly (mostly
other words), so the tests check where and on which channel speech was found, its timing and
its shape, not the words. Without espeak-ng, sox or the model the tests skip; under CI=true
they fail.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from tooling import korean_model, require_tools

from voice.cli import main
from voice.speech.errors import ModelNotFoundError
from voice.speech.models import ModelCache
from voice.transcripts.errors import AudioFileError
from voice.transcripts.transcriber import Segment, Transcriber, Transcription

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pydub import AudioSegment

FIRST = "안녕하세요 예약 확인 부탁드립니다"
SECOND = "네 상담원 연결해 주세요"
OTHER = "감사합니다 좋은 하루 되세요"
SLACK = 0.35  # seconds a word may reach beyond the synthesised speech (Kaldi frames, padding)


@dataclass(frozen=True)
class Call:
    """A built recording and where the speech on each channel is, in seconds."""

    path: Path
    rate: int
    duration_s: float
    speech: dict[int, list[tuple[float, float]]]


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber(korean_model(), ModelCache())


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory):
    """``build(rate, other=...)``: caller speech on channel 0, ``OTHER`` or silence on 1."""
    require_tools("espeak-ng", "sox")
    folder = tmp_path_factory.mktemp("calls")
    voices: dict[tuple[str, int], AudioSegment] = {}

    def say(text: str, rate: int) -> AudioSegment:
        if (text, rate) not in voices:
            raw, out = folder / f"{len(voices)}-raw.wav", folder / f"{len(voices)}.wav"
            subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
            subprocess.run(["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16",
                            "-e", "signed-integer", str(out)], check=True)
            voices[text, rate] = AudioSegment.from_wav(out)
        return voices[text, rate]

    def make(rate: int, *, other: bool) -> Call:
        first, second, third = say(FIRST, rate), say(SECOND, rate), say(OTHER, rate)
        first_at = 0.5
        other_at = first_at + first.duration_seconds + 0.6
        second_at = other_at + third.duration_seconds + 0.6
        duration = second_at + second.duration_seconds + 1.0
        frames = round(duration * rate)
        caller = _place([(first_at, first), (second_at, second)], rate, frames)
        ivr = _place([(other_at, third)] if other else [], rate, frames)
        path = folder / f"call-{rate}-{'other' if other else 'silent'}.wav"
        AudioSegment.from_mono_audiosegments(caller, ivr).export(path, format="wav")
        speech = {0: [(first_at, first_at + first.duration_seconds),
                      (second_at, second_at + second.duration_seconds)],
                  1: [(other_at, other_at + third.duration_seconds)] if other else []}
        return Call(path, rate, frames / rate, speech)

    return make


def _place(parts: list[tuple[float, AudioSegment]], rate: int, frames: int) -> AudioSegment:
    """A mono 16-bit channel of ``frames`` samples: silence with each part at its time (s)."""
    pcm = bytearray(frames * 2)
    for at, part in parts:
        offset = round(at * rate) * 2
        pcm[offset:offset + len(part.raw_data)] = part.raw_data
    return AudioSegment(bytes(pcm[:frames * 2]), sample_width=2, frame_rate=rate, channels=1)


def _check_shape(result: Transcription, call: Call) -> None:
    """What every transcription of a built call must look like."""
    assert result.channels == 2
    assert result.sample_rate == call.rate
    assert result.duration_s == pytest.approx(call.duration_s, abs=0.01)
    assert result.model == korean_model().name
    assert result.processing_s > 0
    assert result.real_time_factor == pytest.approx(result.processing_s / result.duration_s)
    starts = [(s.start_s, s.channel) for s in result.segments]
    assert starts == sorted(starts)
    for segment in result.segments:
        assert segment.text == " ".join(w["word"] for w in segment.words)
        assert segment.words and "[" not in segment.text
        assert 0 <= segment.start_s < segment.end_s <= result.duration_s
        assert segment.start_s == segment.words[0]["start"]
        assert segment.end_s == segment.words[-1]["end"]
        times = [t for w in segment.words for t in (w["start"], w["end"])]
        assert times == sorted(times)
        assert all(0 <= w["conf"] <= 1 for w in segment.words)
        assert segment.confidence == pytest.approx(
            math.fsum(w["conf"] for w in segment.words) / len(segment.words), abs=0.001)


def _inside_speech(segment: Segment, call: Call) -> bool:
    return any(start - SLACK <= segment.start_s and segment.end_s <= end + SLACK
               for start, end in call.speech[segment.channel])


@pytest.mark.parametrize("rate", [16000, 8000])
def test_speech_on_one_channel_and_silence_on_the_other(transcriber: Transcriber, build,
                                                        rate: int) -> None:
    call = build(rate, other=False)
    result = transcriber.transcribe(call.path)
    _check_shape(result, call)
    _check_speech(result, call)
    assert result.by_channel()[1] == []  # the silent channel produces nothing
    caller = result.channel(0)
    # the 4-second pause ends the first utterance: each sentence has its own segment(s)
    for start, end in call.speech[0]:
        assert any(start - SLACK <= s.start_s <= end for s in caller), (start, end, caller)


@pytest.mark.parametrize("rate", [16000, 8000])
def test_each_channel_is_transcribed_at_its_own_times(transcriber: Transcriber, build,
                                                      rate: int) -> None:
    call = build(rate, other=True)
    result = transcriber.transcribe(call.path)
    _check_speech(result, call)
    by_channel = result.by_channel()
    # the IVR speaks between the caller's sentences: conversation order across channels
    assert [s.channel for s in result.segments if s.channel == 1] == [1] * len(by_channel[1])
    assert result.segments[0].channel == 0 and result.segments[-1].channel == 0


def _check_speech(result: Transcription, call: Call) -> None:
    """Segments exactly on the channels that speak, within their speech."""
    _check_shape(result, call)
    assert {s.channel for s in result.segments} == {c for c, said in call.speech.items() if said}
    assert all(_inside_speech(s, call) for s in result.segments), (result.segments, call.speech)


def test_bytes_are_transcribed_like_the_file(transcriber: Transcriber, build) -> None:
    # not compared word for word: Kaldi dithers the audio at random (see transcriber.py)
    call = build(8000, other=True)
    _check_speech(transcriber.transcribe_bytes(call.path.read_bytes(), name="decrypted"), call)


def test_a_recording_whose_header_was_never_completed_is_read_to_the_end(
        transcriber: Transcriber, build, tmp_path: Path) -> None:
    call = build(16000, other=False)
    data = bytearray(call.path.read_bytes())
    position = data.index(b"data")
    data[position + 4:position + 8] = bytes(4)  # data size 0, as a recorder that died leaves it
    broken = tmp_path / "broken.wav"
    broken.write_bytes(bytes(data) + b"\x01")  # and half a sample at the end
    result = transcriber.transcribe(broken)
    _check_speech(result, call)
    assert result.segments[-1].start_s >= call.speech[0][1][0] - SLACK  # the end was read


def test_a_silent_recording_has_no_segments(transcriber: Transcriber, tmp_path: Path) -> None:
    path = tmp_path / "silent.wav"
    silence = AudioSegment.silent(duration=3000, frame_rate=8000)
    AudioSegment.from_mono_audiosegments(silence, silence).export(path, format="wav")
    result = transcriber.transcribe(path)
    assert result.segments == [] and result.by_channel() == {0: [], 1: []}
    assert result.duration_s == pytest.approx(3.0)


def test_a_missing_model_folder_says_what_to_fix(tmp_path: Path) -> None:
    for bad in (tmp_path / "missing", tmp_path):
        with pytest.raises(ModelNotFoundError, match="am/ and conf/") as caught:
            Transcriber(bad)
        assert str(bad) in str(caught.value)


def test_audio_that_is_not_a_pcm_wav_is_refused(transcriber: Transcriber,
                                                tmp_path: Path) -> None:
    require_tools("sox")
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all\n")
    mulaw = tmp_path / "mulaw.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "2", "-e", "mu-law", str(mulaw),
                    "trim", "0", "1"], check=True)
    cases = [(text, "is not a WAV file"), (mulaw, "mu-law, not PCM"),
             (tmp_path / "absent.wav", "does not exist"), (tmp_path, "is a folder")]
    for path, problem in cases:
        with pytest.raises(AudioFileError, match=problem) as caught:
            transcriber.transcribe(path)
        assert str(path) in str(caught.value)
    with pytest.raises(AudioFileError, match=r"cannot transcribe upload: .*sox"):
        transcriber.transcribe_bytes(b"ID3\x04 an mp3", name="upload")


def test_voice_transcribe_prints_segments_and_the_real_time_factor(
        runner, build, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    call = build(8000, other=True)
    model = korean_model()
    done = runner.invoke(main, ["transcribe", str(call.path), "--model", str(model), "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["file"] == str(call.path) and data["model"] == model.name
    assert data["channels"] == 2 and data["sample_rate"] == 8000
    assert {s["channel"] for s in data["segments"]} == {0, 1}
    assert all(set(s["words"][0]) == {"word", "start", "end", "conf"} for s in data["segments"])
    assert data["real_time_factor"] > 0

    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICE_VOSK_MODEL", str(model))  # the model from the settings
    done = runner.invoke(main, ["transcribe", str(call.path)])
    assert done.exit_code == 0, done.output
    *segments, summary = done.stdout.splitlines()
    assert segments and all(re.fullmatch(r"\[[01]\] \d+\.\d\d-\d+\.\d\d  \S.* \(\d\.\d\d\)", line)
                            for line in segments), segments
    assert segments[0].startswith("[0] ")  # the caller speaks first
    assert re.fullmatch(rf"{call.duration_s:.1f} s of audio, 2 channel\(s\) at 8000 Hz, "
                        rf"transcribed in \d+\.\d\d s: real-time factor \d+\.\d\d "
                        rf"\(model {model.name}\)", summary), summary


def test_voice_transcribe_errors_say_what_to_fix(runner, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path / "data"))
    wav = tmp_path / "call.wav"
    wav.write_text("not audio")
    done = runner.invoke(main, ["transcribe", str(wav)])
    assert done.exit_code == 1
    assert done.output.startswith("error: no Vosk model: pass --model DIR or set "
                                  "VOICE_VOSK_MODEL")
    done = runner.invoke(main, ["transcribe", str(wav), "--model", str(tmp_path)])
    assert done.exit_code == 1 and done.output.startswith(f"error: No Vosk model at {tmp_path}")
    done = runner.invoke(main, ["transcribe", str(wav), "--model", str(korean_model())])
    assert done.exit_code == 1
    assert done.output.startswith(f"error: cannot transcribe {wav}: it is not a WAV file")
