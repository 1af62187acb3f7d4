"""A recording's waveform as peaks per channel, for the QA player to draw.

The player streams the audio itself (``/api/recordings/<id>/audio``, with range requests for
seeking) and draws these peaks instead of decoding the whole file in the browser. Each
channel is cut into ``buckets`` equal slices; a slice's peak is its sample of largest
magnitude (signed, scaled to -1..1). For speed in pure Python a slice is sampled at most
:data:`SAMPLES_PER_BUCKET` times, evenly, which is plenty for a waveform a few hundred
pixels wide.
"""

from __future__ import annotations

import io
import sys
import wave
from array import array
from dataclasses import dataclass
from typing import Any

from voice.qa.errors import WaveformError

DEFAULT_BUCKETS = 1200
SAMPLES_PER_BUCKET = 200


@dataclass(frozen=True)
class Waveform:
    """Peaks of every channel (``peaks[channel][bucket]``, -1..1) and the audio's length."""

    duration_s: float
    channels: int
    sample_rate: int
    peaks: list[list[float]]

    def as_json(self) -> dict[str, Any]:
        """The JSON shape the player reads."""
        return {"duration": self.duration_s, "channels": self.channels,
                "sample_rate": self.sample_rate, "peaks": self.peaks}


def waveform(recording_id: int, data: bytes, buckets: int = DEFAULT_BUCKETS) -> Waveform:
    """The peaks of the WAV ``data`` (16-bit PCM); raises :class:`WaveformError`."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            channels, width = reader.getnchannels(), reader.getsampwidth()
            rate, frames = reader.getframerate(), reader.getnframes()
            raw = reader.readframes(frames)
    except (wave.Error, EOFError) as exc:
        raise WaveformError(recording_id, str(exc)) from None
    if width != 2:
        raise WaveformError(recording_id, f"samples are {8 * width}-bit")
    samples = array("h")
    samples.frombytes(raw[:len(raw) - len(raw) % (2 * channels)])
    if sys.byteorder == "big":  # WAV is little-endian
        samples.byteswap()
    count = len(samples) // channels
    buckets = max(1, min(buckets, count))
    peaks = []
    for channel in range(channels):
        peaks.append(_peaks(samples, channel, channels, count, buckets))
    return Waveform(round(count / rate, 3) if rate else 0.0, channels, rate, peaks)


def _peaks(samples: array[int], channel: int, channels: int, count: int,
           buckets: int) -> list[float]:
    """One channel's peak per bucket (see module docstring)."""
    result = []
    for bucket in range(buckets):
        first = bucket * count // buckets
        last = max(first + 1, (bucket + 1) * count // buckets)
        step = max(1, (last - first) // SAMPLES_PER_BUCKET)
        part = samples[first * channels + channel:last * channels:channels * step]
        high, low = max(part, default=0), min(part, default=0)
        peak = high if high >= -low else low
        result.append(round(peak / 32768, 4))
    return result
