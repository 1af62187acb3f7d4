"""What a WAV file holds: channels, sample rate and duration, read from its header.

Owns reading a stored recording's header so the database describes the file as it is, not
what the carrier claimed. Linear PCM is read with the stdlib :mod:`wave` module. Python 3.11's
``wave`` refuses every other encoding (mu-law, A-law, WAVE_FORMAT_EXTENSIBLE), which carriers
do use, so for those the RIFF ``fmt `` and ``data`` chunks are read directly: the duration
is the data size divided by the byte rate, which holds for any constant-rate encoding.
Reads only; never writes or converts audio.
"""

from __future__ import annotations

import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from voice.recordings.errors import InvalidWavError

_PCM = 1


@dataclass(frozen=True)
class WavInfo:
    """The facts of one WAV file that the recordings table keeps."""

    channels: int
    sample_rate: int
    duration_s: float
    encoding: int  # WAVE format tag: 1 = PCM, 7 = mu-law, 0xFFFE = extensible, ...


def read_wav_info(path: Path) -> WavInfo:
    """Read ``path``'s header; raises :class:`InvalidWavError` if it is not a usable WAV."""
    try:
        with wave.open(str(path), "rb") as wav:
            rate = wav.getframerate()
            if rate <= 0:
                raise InvalidWavError(str(path), f"sample rate is {rate}")
            return WavInfo(wav.getnchannels(), rate, wav.getnframes() / rate, _PCM)
    except (wave.Error, EOFError) as exc:
        pcm_problem = str(exc) or type(exc).__name__
    try:
        with path.open("rb") as handle:
            return _read_riff(handle)
    except InvalidWavError as exc:
        raise InvalidWavError(str(path), f"{exc.detail} (wave module: {pcm_problem})") from None


def _read_riff(handle: BinaryIO) -> WavInfo:
    """Walk the RIFF chunks for ``fmt `` and ``data``; any constant-rate encoding."""
    header = handle.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        raise InvalidWavError("file", "it does not start with a RIFF/WAVE header")
    fmt: tuple[int, int, int, int] | None = None
    while True:
        chunk = handle.read(8)
        if len(chunk) < 8:
            raise InvalidWavError("file", "it has no data chunk" if fmt else "it has no fmt chunk")
        chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if chunk_id == b"fmt ":
            body = handle.read(size)
            if len(body) < 16:
                raise InvalidWavError("file", "its fmt chunk is truncated")
            encoding, channels, rate, byte_rate = struct.unpack("<HHII", body[:12])
            fmt = (encoding, channels, rate, byte_rate)
            if size % 2:
                handle.read(1)
        elif chunk_id == b"data":
            if fmt is None:
                raise InvalidWavError("file", "its data chunk comes before the fmt chunk")
            encoding, channels, rate, byte_rate = fmt
            if channels < 1 or rate <= 0 or byte_rate <= 0:
                raise InvalidWavError(
                    "file", f"its fmt chunk says {channels} channels, {rate} Hz, "
                    f"{byte_rate} bytes/s"
                )
            return WavInfo(channels, rate, size / byte_rate, encoding)
        else:
            handle.seek(size + size % 2, 1)
