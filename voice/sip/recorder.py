"""Two-channel call recording on a pjsua2 worker: caller on the left, IVR/agent on the right.

The conference bridge writes a recorder's frames only while something transmits to it, so a
paused recorder would lose time and the two channels would drift apart. Each recorder is
therefore always fed by the worker's looping silence player; pausing (around sensitive input)
disconnects only the real sources, and the file keeps running with silence. The two mono
files are merged into one stereo WAV with pydub once the recorders are destroyed (pjsua2 only
completes a WAV header then), off the pjsua2 thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pjsua2 as pj

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pydub: no ffmpeg (not needed for WAV), audioop deprecation
    from pydub import AudioSegment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinishedRecording:
    """The two channel files of a finished call recording, ready to merge."""

    caller: Path
    ivr: Path


class CallRecorder:
    """Records one call into two mono files (see module docstring). pjsua2 thread only."""

    def __init__(self, folder: Path, silence: pj.AudioMedia) -> None:
        self.folder = folder
        self._silence = silence
        self._caller_audio: pj.AudioMedia | None = None
        self._ivr_sources: list[pj.AudioMedia] = []
        self._caller: pj.AudioMediaRecorder | None = None
        self._ivr: pj.AudioMediaRecorder | None = None
        self.active = False  # started and not paused
        self.started = False

    def set_caller(self, audio: pj.AudioMedia) -> None:
        """The caller's audio stream (known once media is up)."""
        self._caller_audio = audio
        if self.active and self._caller is not None:
            audio.startTransmit(self._caller)

    def start(self) -> None:
        """Start recording (again, a no-op)."""
        if self.started:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self._caller = pj.AudioMediaRecorder()
        self._caller.createRecorder(str(self.folder / "caller.wav"))
        self._ivr = pj.AudioMediaRecorder()
        self._ivr.createRecorder(str(self.folder / "ivr.wav"))
        self._silence.startTransmit(self._caller)
        self._silence.startTransmit(self._ivr)
        self.started = True
        self.resume()

    def pause(self) -> None:
        """Keep time with silence; record nothing of either side."""
        if not self.active:
            return
        self.active = False
        self._connect(False)

    def resume(self) -> None:
        """Record both sides again."""
        if not self.started or self.active:
            return
        self.active = True
        self._connect(True)

    def add_ivr_source(self, source: pj.AudioMedia) -> None:
        """A player (or agent leg) whose audio belongs on the IVR channel."""
        self._ivr_sources.append(source)
        if self.active and self._ivr is not None:
            source.startTransmit(self._ivr)

    def remove_ivr_source(self, source: pj.AudioMedia) -> None:
        """Stop taking audio from ``source``."""
        if source in self._ivr_sources:
            self._ivr_sources.remove(source)
            if self.active and self._ivr is not None:
                _quietly(source.stopTransmit, self._ivr)

    def finish(self) -> tuple[FinishedRecording, list[pj.AudioMediaRecorder]] | None:
        """Stop recording; return the files and the recorders to destroy.

        The files are complete once the returned recorders are destroyed (which completes
        their WAV headers); the caller does that after the bridge has let go of them.
        """
        if not self.started:
            return None
        self.pause()
        recorders = [r for r in (self._caller, self._ivr) if r is not None]
        for recorder in recorders:
            _quietly(self._silence.stopTransmit, recorder)
        self._caller = self._ivr = None
        self._caller_audio = None
        self._ivr_sources.clear()
        self.started = False
        return FinishedRecording(self.folder / "caller.wav", self.folder / "ivr.wav"), recorders

    def _connect(self, on: bool) -> None:
        pairs = [(self._caller_audio, self._caller)]
        pairs += [(source, self._ivr) for source in self._ivr_sources]
        for source, sink in pairs:
            if source is None or sink is None:
                continue
            if on:
                source.startTransmit(sink)
            else:
                _quietly(source.stopTransmit, sink)


def wait_complete(path: Path, timeout: float = 5.0) -> bool:
    """Wait until pjmedia has written ``path``'s final WAV header (its RIFF size matches).

    A destroyed recorder leaves the conference bridge on the bridge's own clock, so the
    header can be completed a moment after the recorder object is gone.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with path.open("rb") as handle:
                head = handle.read(8)
            size = path.stat().st_size
            if head[:4] == b"RIFF" and int.from_bytes(head[4:8], "little") == size - 8:
                return True
        except OSError:
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def merge_channels(finished: FinishedRecording, target: Path) -> tuple[float, int, str]:
    """Write the stereo WAV (caller left, IVR right); return (seconds, bytes, sha256)."""
    for part in (finished.caller, finished.ivr):
        if not wait_complete(part):
            raise OSError(f"{part}: the recorder never completed the WAV header")
    left = AudioSegment.from_wav(finished.caller)
    right = AudioSegment.from_wav(finished.ivr)
    length = max(len(left), len(right))
    left += AudioSegment.silent(duration=length - len(left), frame_rate=left.frame_rate)
    right += AudioSegment.silent(duration=length - len(right), frame_rate=right.frame_rate)
    stereo = AudioSegment.from_mono_audiosegments(left.set_frame_rate(right.frame_rate), right)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    stereo.export(partial, format="wav")
    partial.replace(target)
    data = target.read_bytes()
    return len(stereo) / 1000.0, len(data), hashlib.sha256(data).hexdigest()


def _quietly(method: object, *args: object) -> None:
    with contextlib.suppress(pj.Error):
        method(*args)  # type: ignore[operator]
