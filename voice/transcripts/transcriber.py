"""Offline transcription of call recordings with Vosk: every channel of a WAV on its own.

A call recording keeps each party on its own channel (SIP: caller left, IVR or agent right, at
16 kHz; Twilio dual-channel: 8 kHz), so each channel is recognised separately and every
segment says whose speech it is. A :class:`Transcriber` takes its model from a
:class:`~voice.speech.models.ModelCache` once and builds a fresh ``vosk.KaldiRecognizer``
(free recognition, ``SetWords(True)``) per channel, so one transcriber may serve several
threads. Audio is fed in 0.2 s chunks; every ``Result`` (Vosk found the end of an utterance,
about 0.5 s of silence) and the ``FinalResult`` with words becomes a :class:`Segment`. Word and
segment times are seconds from the start of the file; silence produces no segment.

Decisions:

* **Sample rate.** Channels are converted to 16-bit mono and handed to Vosk at the file's own
  rate; Vosk resamples to the model's rate (16 kHz) with Kaldi's windowed-sinc resampler.
  Resampling here with pydub was tried and dropped: ``audioop.ratecv`` has no anti-imaging
  filter, so 8 kHz telephone audio brought to 16 kHz keeps a mirror image of the band at
  4-8 kHz only 7 dB down (a 3 kHz tone), right in the model's mel bins (up to 7.6 kHz), and it
  also cost more time.
* **Pauses.** Vosk's end-of-utterance detection sometimes misses even seconds of digital
  silence (the zeros a SIP recorder writes while a side is quiet): about 1 run in 6 put two
  sentences 3.7 s apart into one result. A result is therefore also split wherever two words
  are ``SPLIT_GAP_S`` (1 s) apart, so a segment never spans a pause.
* **Not deterministic.** The same audio can give slightly different words from run to run:
  Kaldi dithers the samples (``--dither=1``, the default the model's ``conf/mfcc.conf`` keeps)
  with an unseeded random generator; ``--dither=0`` in that file makes it repeatable.
* **Non-words.** Bracketed tokens (``[unk]``, and ``[2]``/``[4]`` that the small Korean model
  emits for noises) are dropped; a result with nothing else gives no segment.
* **Headers.** A WAV whose data size is 0 or larger than the file (a recorder that died before
  completing its header) is read up to the end of the file; a trailing partial frame is cut.
* Only PCM WAV (8, 16, 24 or 32-bit integer) is read; mu-law, A-law and float WAVs are refused
  with a hint to convert them (pydub would need ffmpeg, which the service does not require).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import struct
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import vosk

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pydub: no ffmpeg (not needed for WAV), audioop deprecation
    from pydub import AudioSegment
    from pydub.audio_segment import extract_wav_headers, fix_wav_headers
    from pydub.exceptions import CouldntDecodeError

from voice.speech.models import ModelCache, check_model_folder
from voice.transcripts.errors import AudioFileError

#: seconds of audio handed to Vosk per AcceptWaveform call
CHUNK_SECONDS = 0.2
#: a pause this long between two words of one Vosk result starts a new segment
SPLIT_GAP_S = 1.0
_NON_WORD = re.compile(r"^\[.*\]$")
_FORMATS = {3: "32-bit float", 6: "A-law", 7: "mu-law"}


@dataclass(frozen=True)
class Segment:
    """One utterance on one channel: times in seconds from the start of the file.

    ``confidence`` is the mean of the words' confidences (0-1; None when Vosk gave none);
    ``words`` holds one ``{"word", "start", "end", "conf"}`` dict per word, in order.
    """

    channel: int
    start_s: float
    end_s: float
    text: str
    confidence: float | None
    words: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The segment as plain JSON-ready data."""
        return {"channel": self.channel, "start_s": self.start_s, "end_s": self.end_s,
                "text": self.text, "confidence": self.confidence,
                "words": [dict(word) for word in self.words]}


@dataclass(frozen=True)
class Transcription:
    """What was said in one recording, every channel, and what it cost to find out.

    ``segments`` holds every channel's segments in order of start time (channel breaks ties);
    ``duration_s`` is the length of the file (each channel is that long); ``processing_s`` the
    wall time to read and recognise all channels; ``model`` the model folder's name.
    """

    segments: list[Segment]
    channels: int
    sample_rate: int
    duration_s: float
    processing_s: float
    model: str

    def channel(self, number: int) -> list[Segment]:
        """The segments of channel ``number`` (0 = left), in order."""
        return [segment for segment in self.segments if segment.channel == number]

    def by_channel(self) -> dict[int, list[Segment]]:
        """Every channel's segments, keyed by channel number (silent channels: empty list)."""
        return {number: self.channel(number) for number in range(self.channels)}

    @property
    def real_time_factor(self) -> float | None:
        """``processing_s / duration_s``: all channels together; None for empty audio."""
        return self.processing_s / self.duration_s if self.duration_s > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """The transcription as plain JSON-ready data."""
        rtf = self.real_time_factor
        return {"model": self.model, "channels": self.channels,
                "sample_rate": self.sample_rate, "duration_s": round(self.duration_s, 3),
                "processing_s": round(self.processing_s, 3),
                "real_time_factor": None if rtf is None else round(rtf, 4),
                "segments": [segment.to_dict() for segment in self.segments]}


class Transcriber:
    """Transcribes WAV recordings with the Vosk model in ``model_folder``.

    The model is loaded once, through ``cache`` (a private :class:`ModelCache` when None);
    raises :class:`~voice.speech.errors.ModelNotFoundError` when the folder is not a model and
    :class:`~voice.speech.errors.ModelLoadError` when Vosk cannot load it. Thread-safe: each
    call builds its own recognisers on the shared, read-only model.
    """

    def __init__(self, model_folder: str | os.PathLike[str],
                 cache: ModelCache | None = None) -> None:
        self.model_folder = check_model_folder(model_folder)
        self._model = (cache or ModelCache()).get(self.model_folder)

    @property
    def model_name(self) -> str:
        """The model folder's name, as recorded in each :class:`Transcription`."""
        return self.model_folder.name

    def transcribe(self, path: str | os.PathLike[str]) -> Transcription:
        """Transcribe every channel of the WAV file ``path``.

        Raises :class:`~voice.transcripts.errors.AudioFileError` when the file is missing,
        unreadable or not a PCM WAV.
        """
        started = time.perf_counter()
        file = Path(path)
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            raise AudioFileError(str(file), "the file does not exist",
                                 hint="check the path") from None
        except IsADirectoryError:
            raise AudioFileError(str(file), "it is a folder, not a file",
                                 hint="give the path of a .wav file") from None
        except OSError as exc:
            raise AudioFileError(str(file), f"it cannot be read ({exc.strerror or exc})",
                                 hint="check the file's permissions") from None
        return self._transcribe(decode_wav(data, str(file)), started)

    def transcribe_bytes(self, data: bytes, *, name: str = "WAV data") -> Transcription:
        """Transcribe a whole WAV file held in memory (e.g. a recording just decrypted).

        ``name`` describes the data in error messages.
        """
        started = time.perf_counter()
        return self._transcribe(decode_wav(data, name), started)

    def transcribe_pcm(self, pcm: bytes, sample_rate: int, *, channel: int = 0) -> list[Segment]:
        """The segments of one channel of 16-bit signed little-endian mono PCM.

        ``channel`` is only copied into the segments; times are seconds from the first sample.
        """
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        pcm = pcm[:len(pcm) - len(pcm) % 2]
        duration = len(pcm) / 2 / sample_rate
        recognizer = vosk.KaldiRecognizer(self._model, float(sample_rate))
        recognizer.SetWords(True)
        step = max(1, round(sample_rate * CHUNK_SECONDS)) * 2
        segments: list[Segment] = []
        for offset in range(0, len(pcm), step):
            if recognizer.AcceptWaveform(pcm[offset:offset + step]):
                _append_segment(segments, recognizer.Result(), channel, duration)
        _append_segment(segments, recognizer.FinalResult(), channel, duration)
        return segments

    def _transcribe(self, audio: AudioSegment, started: float) -> Transcription:
        rate = int(audio.frame_rate)
        segments: list[Segment] = []
        for number, mono in enumerate(audio.split_to_mono()):
            segments.extend(self.transcribe_pcm(mono.raw_data, rate, channel=number))
        segments.sort(key=lambda s: (s.start_s, s.channel))
        return Transcription(segments=segments, channels=int(audio.channels), sample_rate=rate,
                             duration_s=audio.frame_count() / rate,
                             processing_s=time.perf_counter() - started,
                             model=self.model_name)


def decode_wav(data: bytes, what: str = "WAV data") -> AudioSegment:
    """``data`` (a whole WAV file) as 16-bit audio with its own rate and channels.

    Raises :class:`AudioFileError` naming ``what`` when it is not a PCM WAV.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFileError(what, "it is not a WAV file (it does not start with a RIFF/WAVE "
                                   "header)")
    buffer = bytearray(data)
    try:
        headers = extract_wav_headers(buffer)
        if headers and headers[-1].id == b"data":
            available = len(buffer) - headers[-1].position - 8
            if headers[-1].size == 0 or headers[-1].size > available:
                fix_wav_headers(buffer)  # header never completed: the data runs to the end
        audio = AudioSegment(data=bytes(buffer))
    except CouldntDecodeError as exc:
        raise AudioFileError(what, _decode_problem(str(exc))) from None
    except (struct.error, ValueError, IndexError) as exc:
        raise AudioFileError(what, f"its WAV header is damaged ({exc})") from None
    if audio.frame_rate <= 0 or audio.channels <= 0 or audio.sample_width not in (1, 2, 4):
        raise AudioFileError(what, f"its header says {audio.channels} channel(s) of "
                                   f"{audio.sample_width * 8}-bit samples at "
                                   f"{audio.frame_rate} Hz")
    raw = audio.raw_data
    whole = len(raw) - len(raw) % audio.frame_width
    if whole != len(raw):  # a partial last frame (file cut off mid-write)
        audio = AudioSegment(data=raw[:whole], sample_width=audio.sample_width,
                             frame_rate=audio.frame_rate, channels=audio.channels)
    if audio.sample_width != 2:
        audio = audio.set_sample_width(2)
    return audio


def _decode_problem(detail: str) -> str:
    """Why pydub could not decode a RIFF/WAVE buffer, in words a user can act on."""
    match = re.search(r"format 0x([0-9A-Fa-f]+)", detail)
    if match:
        code = int(match.group(1), 16)
        name = _FORMATS.get(code, f"format 0x{code:X}")
        return f"its audio is {name}, not PCM"
    return f"its WAV data cannot be read ({detail})"


def _append_segment(segments: list[Segment], raw: str, channel: int, duration: float) -> None:
    """Add the segments of one Vosk result (JSON text): its words, split at long pauses."""
    words = []
    for item in json.loads(raw).get("result", ()):
        word = str(item.get("word", ""))
        if not word or _NON_WORD.match(word):
            continue
        start = min(max(0.0, float(item.get("start", 0.0))), duration)
        words.append({"word": word, "start": round(start, 3),
                      "end": round(min(max(start, float(item.get("end", start))), duration), 3),
                      "conf": round(float(item["conf"]), 3) if "conf" in item else None})
    start = 0
    for index in range(1, len(words) + 1):
        if index == len(words) or words[index]["start"] - words[index - 1]["end"] >= SPLIT_GAP_S:
            if index > start:
                segments.append(_segment(channel, words[start:index]))
            start = index


def _segment(channel: int, words: list[dict[str, Any]]) -> Segment:
    confidences = [w["conf"] for w in words if w["conf"] is not None]
    return Segment(
        channel=channel, start_s=words[0]["start"], end_s=words[-1]["end"],
        text=" ".join(w["word"] for w in words),
        confidence=round(statistics.fmean(confidences), 3) if confidences else None,
        words=words)
