"""Filing a SIP call\'s recordings: the two-channel call recording and voicemail messages.

Merging the channels (pydub) and the database rows happen on the worker\'s service threads,
never on the pjsua2 thread. A file that cannot be stored stays where it is and the error is
logged with the call id, so nothing recorded is lost silently.
Mixed into :class:`~voice.sip.worker.MediaWorker`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from voice.compose import Services
from voice.sip.callstate import WorkerCall
from voice.sip.recorder import FinishedRecording, merge_channels, wait_complete

log = logging.getLogger(__name__)


class RecordingFiling:
    """The recording half of the media worker (see module docstring)."""

    services: Services
    _jobs: ThreadPoolExecutor
    _bury: Callable[[Any, Callable[[], Any] | None], None]

    def _message_done(self, call: WorkerCall, request: str, path: Path, seconds: float,
                      recorder: Any) -> tuple[str, float]:
        """A voicemail message ended: file it once its recorder is destroyed; return its
        reference and length for the flow."""
        reference = f"{call.key}:voicemail:{request}"
        self._bury(recorder, lambda: self._jobs.submit(
            self._store_message, call, path, reference))
        return reference, round(seconds, 3)


    def _store_message(self, call: WorkerCall, path: Path, reference: str) -> None:
        """Service thread: file a voicemail message once its WAV header is complete."""
        if not wait_complete(path):
            log.error("call %s: voicemail %s was never completed by its recorder", call.key, path)
        self._store_file(call, path, "voicemail", reference)

    def _store_recording(self, call: WorkerCall, finished: FinishedRecording) -> None:
        """Service thread: merge the two channels and file the call recording."""
        target = finished.caller.parent / "call.wav"
        try:
            merge_channels(finished, target)
        except Exception:
            log.exception("call %s: recording not merged; the channel files stay in %s",
                          call.key, finished.caller.parent)
            return
        if self._store_file(call, target, "call", f"{call.key}:call"):
            finished.caller.unlink(missing_ok=True)
            finished.ivr.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                finished.caller.parent.rmdir()  # still holds an unfiled voicemail, if any


    def _store_file(self, call: WorkerCall, file: Path, kind: str, reference: str) -> bool:
        """Service thread: file a finished WAV as a recording of the call."""
        assert self.services.recording_service is not None
        try:
            self.services.recording_service.store_local_recording(
                call_id=call.key, file=file, kind=kind, source_id=reference,
                flow_id=call.flow_id)
        except Exception:
            log.exception("call %s: %s recording not stored; the file stays at %s", call.key,
                          kind, file)
            return False
        return True
