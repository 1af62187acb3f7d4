"""A caller's pjsua2 call leg: callbacks become worker messages, media requests become pjsua2.

Only the worker's pjsua2 thread touches these objects. Callbacks never act: each one posts a
message to the worker's inbox and returns (wrapped in try/except, since an exception inside a
pjsua2 callback would end the process). :class:`LegMedia` implements the conversation's
:class:`~voice.sip.conversation.Media` with pjsua2 players, recorders and an audio port that
feeds the speech recogniser.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pjsua2 as pj

from voice.sip.recorder import CallRecorder

log = logging.getLogger(__name__)

Post = Callable[[tuple[Any, ...]], None]


class CallerLeg(pj.Call):
    """The pjsua2 call of one caller (or, for a bridged transfer, of its outbound leg)."""

    def __init__(self, account: pj.Account, call_id: int, post: Post, key: str) -> None:
        super().__init__(account, call_id)
        self.post = post
        self.key = key  # the worker's name for this leg (SIP Call-ID of the caller)
        self.media: LegMedia | None = None

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        try:
            info = self.getInfo()
            self.post(("state", self.key, info.state, info.lastStatusCode))
        except Exception:
            log.exception("call %s: state callback failed", self.key)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        try:
            self.post(("media", self.key))
        except Exception:
            log.exception("call %s: media callback failed", self.key)

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        try:
            self.post(("digit", self.key, prm.digit))
        except Exception:
            log.exception("call %s: DTMF callback failed", self.key)

    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:
        try:
            self.post(("refer", self.key, prm.statusCode, prm.finalNotify))
        except Exception:
            log.exception("call %s: transfer callback failed", self.key)

    def audio_media(self) -> pj.AudioMedia | None:
        """The call's active audio stream in the conference bridge, if any."""
        info = self.getInfo()
        media = info.media  # keep the vector alive while iterating it
        for index in range(len(media)):
            item = media[index]
            if item.type == pj.PJMEDIA_TYPE_AUDIO and item.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                return self.getAudioMedia(index)
        return None


class Player(pj.AudioMediaPlayer):
    """A playlist that posts ``played`` when it reaches its end."""

    def __init__(self, post: Post, key: str, token: int) -> None:
        super().__init__()
        self.post, self.key, self.token = post, key, token
        self.looping = False

    def onEof2(self) -> None:
        try:
            if not self.looping:
                self.post(("played", self.key, self.token))
        except Exception:
            log.exception("call %s: end-of-file callback failed", self.key)


class SpeechPort(pj.AudioMediaPort):
    """Receives the caller's audio frames for the recogniser (on the media clock thread)."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        super().__init__()
        self.sink = sink

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:
        try:
            if frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size:
                self.sink(bytes(frame.buf))
        except Exception:
            log.exception("speech port failed")


class LegMedia:
    """The :class:`~voice.sip.conversation.Media` of one caller leg, in pjsua2."""

    def __init__(self, leg: CallerLeg, audio: pj.AudioMedia, *, recorder: CallRecorder,
                 speech: Callable[[str, list[str] | None, str], bool],
                 transfer: Callable[[str, int], None], hang_up: Callable[[str], None],
                 message_path: Callable[[str], Path],
                 message_done: Callable[[str, Path, float, Any], tuple[str, float]],
                 clock_rate: int, on_play: Callable[[], None] = lambda: None,
                 bury: Callable[[Any, Callable[[], None] | None], None]) -> None:
        self.leg = leg
        self.audio = audio
        self.recorder = recorder
        self._speech = speech
        self._transfer = transfer
        self._hang_up = hang_up
        self._message_path = message_path
        self._message_done = message_done
        self._on_play = on_play
        self._bury = bury
        self._clock_rate = clock_rate
        self.player: Player | None = None
        self._token = 0
        self.port: SpeechPort | None = None
        self._message: tuple[pj.AudioMediaRecorder, Path, str, float] | None = None

    # Media protocol ------------------------------------------------------------------------
    def play(self, files: list[str], *, loop: bool = False) -> None:
        """Play ``files`` in order to the caller (and the IVR channel of the recording)."""
        self.stop_playback()
        self._token += 1
        player = Player(self.leg.post, self.leg.key, self._token)
        player.looping = loop
        flags = 0 if loop else pj.PJMEDIA_FILE_NO_LOOP
        if len(files) == 1:
            player.createPlayer(files[0], flags)
        else:
            player.createPlaylist(pj.StringVector(files), f"p{self._token}", flags)
        self.player = player
        try:
            player.startTransmit(self.audio)
        except pj.Error as exc:  # the call's stream went away (hung up meanwhile)
            log.info("call %s: prompt not played: %s", self.leg.key, exc.info())
            return
        self.recorder.add_ivr_source(player)
        self._on_play()

    def stop_playback(self) -> None:
        """Stop the current prompt or music."""
        if self.player is not None:
            self.recorder.remove_ivr_source(self.player)
            with contextlib.suppress(pj.Error):
                self.player.stopTransmit(self.audio)
            self._bury(self.player, None)
            self.player = None

    def recording(self, action: str) -> None:
        """Start, pause or resume the two-channel call recording."""
        getattr(self.recorder, action)()

    def listen(self, phrases: list[str], language: str) -> bool:
        """Start the speech recogniser on the caller's audio."""
        return self._speech(self.leg.key, phrases, language)

    def stop_listening(self) -> None:
        """Stop feeding the recogniser."""
        self._speech(self.leg.key, None, "")

    def start_message(self, request: str) -> None:
        """Record the caller's message (voicemail) to its own file."""
        path = self._message_path(request)
        path.parent.mkdir(parents=True, exist_ok=True)
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(str(path))
        self.audio.startTransmit(recorder)
        self._message = (recorder, path, request, time.monotonic())

    def stop_message(self) -> tuple[str, float]:
        """Stop the message recording and hand the finished file to the worker to store.

        The recorder is handed to the worker, which destroys it (completing the WAV header)
        once the bridge has let go of it, and only then files the message.
        """
        if self._message is None:
            return "", 0.0
        recorder, path, request, started = self._message
        self._message = None
        with contextlib.suppress(pj.Error):
            self.audio.stopTransmit(recorder)
        return self._message_done(request, path, time.monotonic() - started, recorder)

    def transfer(self, to: str, timeout: int) -> None:
        """Hand the transfer to the worker (REFER or a bridged outbound call)."""
        self._transfer(to, timeout)

    def hang_up(self, reason: str) -> None:
        """End the call from our side."""
        self._hang_up(reason)

    # worker side ----------------------------------------------------------------------------
    def attach_speech_port(self, sink: Callable[[bytes], None]) -> None:
        """Connect the caller's audio to a port whose frames go to ``sink``."""
        if self.port is None:
            fmt = pj.MediaFormatAudio()
            fmt.init(pj.PJMEDIA_FORMAT_PCM, self._clock_rate, 1, 20000, 16)
            self.port = SpeechPort(sink)
            self.port.createPort(f"speech-{id(self)}", fmt)
            self.audio.startTransmit(self.port)
        else:
            self.port.sink = sink

    def close(self) -> None:
        """Stop all media of this leg; recorders are finished by the worker.

        Players, ports and recorders are handed to ``bury`` rather than destroyed here:
        removing a port from the conference bridge completes asynchronously, and pjmedia's
        clock thread may still use it (a frame, an end-of-file callback) for a moment.
        """
        self.stop_playback()
        if self._message is not None:
            self.stop_message()
        if self.port is not None:
            self.port.sink = _discard
            with contextlib.suppress(pj.Error):
                self.audio.stopTransmit(self.port)
            self._bury(self.port, None)
            self.port = None


def _discard(_pcm: bytes) -> None:
    """A speech sink that drops frames (a port being taken down)."""
