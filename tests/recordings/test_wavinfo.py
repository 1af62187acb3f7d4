"""Reading channels and duration from WAV headers: PCM via ``wave``, other encodings by chunk."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from fakes.twilio_api import make_wav

from voice.recordings.errors import InvalidWavError
from voice.recordings.wavinfo import read_wav_info


def _mulaw_wav(channels: int, rate: int, seconds: float) -> bytes:
    """A mu-law WAV (format 7), which Python 3.11's ``wave`` refuses; with a LIST chunk."""
    data = b"\xff" * int(rate * seconds * channels)
    fmt = struct.pack("<HHIIHHH", 7, channels, rate, rate * channels, channels, 8, 0)
    listing = b"INFOISFT\x05\x00\x00\x00test\x00\x00"
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + b"LIST" + struct.pack("<I", len(listing)) + listing
            + b"data" + struct.pack("<I", len(data)) + data)
    return b"RIFF" + struct.pack("<I", len(body)) + body


@pytest.mark.parametrize(("data", "expected"), [
    (make_wav(2, 1.5), (2, 8000, 1.5, 1)),
    (make_wav(1, 0.25), (1, 8000, 0.25, 1)),
    (_mulaw_wav(2, 8000, 2.0), (2, 8000, 2.0, 7)),
], ids=["pcm-stereo", "pcm-mono", "mulaw-stereo"])
def test_header_facts(tmp_path: Path, data: bytes, expected: tuple) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(data)

    info = read_wav_info(path)

    assert (info.channels, info.sample_rate, info.duration_s, info.encoding) == expected


@pytest.mark.parametrize(("data", "message"), [
    (b"", "does not start with a RIFF/WAVE header"),
    (b"ID3\x03mp3 data", "does not start with a RIFF/WAVE header"),
    (b"RIFF\x04\x00\x00\x00WAVE", "it has no fmt chunk"),
    (b"RIFF\x04\x00\x00\x00WAVEdata\x00\x00\x00\x00", "data chunk comes before the fmt chunk"),
])
def test_unreadable_files_say_why(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(data)

    with pytest.raises(InvalidWavError, match=message) as caught:
        read_wav_info(path)
    assert str(caught.value).startswith(f"{path} is not a readable WAV file: ")
