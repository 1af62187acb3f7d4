"""Speech input for SIP menus: the caller's audio frames go to a Vosk grammar recogniser.

Frames arrive on pjsua2's media clock thread (:class:`~voice.sip.leg.SpeechPort`); they are
only queued there. One recognition thread per worker feeds them to a
:class:`~voice.speech.grammar.GrammarRecognizer` built from the menu's keywords and posts
``("speech", call, text, confidence)`` to the worker when Vosk hears the end of an utterance.
The model (``VOICE_VOSK_MODEL``) is loaded once, in the background when the worker starts
(about 2.5 s for the small Korean model). The caller's frames are queued from the moment
``start`` is called, behind the command that builds the recogniser, so what the caller says
while the model still loads is recognised late, not lost. Without a model the menus take keys
only.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voice.speech.errors import SpeechError
from voice.speech.grammar import GrammarRecognizer
from voice.speech.models import ModelCache

log = logging.getLogger(__name__)


class SpeechListener:
    """Runs grammar recognisers for the calls of one worker (see module docstring)."""

    def __init__(self, model_path: Path | None, post: Callable[[tuple[Any, ...]], None],
                 sample_rate: int) -> None:
        self.model_path = model_path
        self.post = post
        self.sample_rate = sample_rate
        self._models = ModelCache()
        self._active: dict[str, GrammarRecognizer] = {}  # the recognition thread's own
        #: calls whose frames are queued: set by start/stop on the worker's thread, read by
        #: feed on the media thread (so frames are kept while the recogniser is being built)
        self._listening: set[str] = set()
        self._queue: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def available(self) -> bool:
        """Whether a model is configured."""
        return self.model_path is not None

    def preload(self) -> None:
        """Load the model in the background now, so the first speech menu does not wait."""
        if self.available:
            self._ensure_thread()
            self._queue.put(("", ("load", None)))

    def start(self, key: str, phrases: list[str]) -> None:
        """Listen on call ``key`` for ``phrases`` (from now on)."""
        self._ensure_thread()
        self._queue.put((key, ("start", phrases)))
        self._listening.add(key)

    def stop(self, key: str) -> None:
        """Stop listening on call ``key``."""
        self._listening.discard(key)
        if self._thread is not None:
            self._queue.put((key, ("stop", None)))

    def feed(self, key: str, pcm: bytes) -> None:
        """A frame of the caller's audio (any thread)."""
        if key in self._listening:
            self._queue.put((key, pcm))

    def close(self) -> None:
        """Stop the recognition thread."""
        if self._thread is not None:
            self._queue.put(("", None))
            self._thread.join(timeout=5)
            self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            key, item = self._queue.get()
            if item is None:
                return
            try:
                self._process(key, item)
            except SpeechError as exc:
                log.error("call %s: speech input unavailable: %s", key, exc)
                self._active.pop(key, None)
            except Exception:
                log.exception("call %s: speech recognition failed", key)
                self._active.pop(key, None)

    def _process(self, key: str, item: Any) -> None:
        if isinstance(item, tuple):
            command, phrases = item
            if command == "load":
                assert self.model_path is not None
                self._models.get(self.model_path)
            elif command == "start":
                assert self.model_path is not None
                model = self._models.get(self.model_path)
                self._active[key] = GrammarRecognizer(model, phrases, self.sample_rate)
            else:
                self._active.pop(key, None)
            return
        recognizer = self._active.get(key)
        if recognizer is None:
            return
        result = recognizer.feed(item)
        if result is not None:
            self._active.pop(key, None)
            self.post(("speech", key, result.text, result.confidence))
