"""Loading Vosk models once per process.

A Vosk model is hundreds of megabytes in memory and takes seconds to load, while a
``vosk.KaldiRecognizer`` built on it is cheap; so a process loads each model folder once and
every call (SIP media workers, batch transcription) builds its own recogniser on the shared
model. Vosk's ``Model`` is read-only after loading and may be shared between threads; a
recogniser must be used by one thread at a time.

There are no module-level models: the composition root creates one :class:`ModelCache` and
hands it to whoever needs a model (``cache.get(settings.vosk_model)``).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import vosk

from voice.speech.errors import ModelLoadError, ModelNotFoundError

#: Kaldi/Vosk verbosity: 0 prints LOG lines, -1 warnings and errors only, -2 errors only.
QUIET_LOG_LEVEL = -1


def check_model_folder(path: str | os.PathLike[str]) -> Path:
    """The absolute path of a Vosk model folder; raises ModelNotFoundError if it is not one.

    A folder counts as a model when it has ``am/`` or ``conf/`` inside (the same rule as the
    ``VOICE_VOSK_MODEL`` setting check); Vosk itself reports anything finer when loading.
    """
    folder = Path(path).expanduser().resolve()
    if not folder.exists():
        raise ModelNotFoundError(folder, "the folder does not exist")
    if not folder.is_dir():
        raise ModelNotFoundError(folder, "it is a file, not a folder (unpack the model's .zip)")
    if not (folder / "am").is_dir() and not (folder / "conf").is_dir():
        raise ModelNotFoundError(folder, "the folder has no am/ or conf/ inside")
    return folder


class ModelCache:
    """Hands out one ``vosk.Model`` per model folder, loading it on first use.

    Thread-safe: concurrent first calls for the same folder load it once; the others wait.
    Creating the cache sets Vosk's log level to ``log_level`` (quiet by default: Kaldi's
    per-model LOG lines are dropped, warnings and errors still reach stderr).
    """

    def __init__(self, *, log_level: int = QUIET_LOG_LEVEL) -> None:
        vosk.SetLogLevel(log_level)
        self._models: dict[Path, vosk.Model] = {}
        self._lock = threading.Lock()
        self._loading: dict[Path, threading.Lock] = {}

    def get(self, path: str | os.PathLike[str]) -> vosk.Model:
        """The model in folder ``path``, loaded now if this cache has not loaded it yet.

        Raises ModelNotFoundError when ``path`` is not a model folder and ModelLoadError when
        Vosk fails to load it; both tell the admin to fix ``VOICE_VOSK_MODEL``. A failed load
        is retried on the next call (the admin may have fixed the folder meanwhile).
        """
        folder = check_model_folder(path)
        with self._lock:
            model = self._models.get(folder)
            if model is not None:
                return model
            folder_lock = self._loading.setdefault(folder, threading.Lock())
        with folder_lock:  # one loader per folder; other folders load in parallel
            with self._lock:
                model = self._models.get(folder)
            if model is not None:
                return model
            model = self._load(folder)
            with self._lock:
                self._models[folder] = model
                self._loading.pop(folder, None)
            return model

    def loaded(self) -> list[Path]:
        """The folders whose models are loaded, in load order."""
        with self._lock:
            return list(self._models)

    @staticmethod
    def _load(folder: Path) -> vosk.Model:
        try:
            # always pass a path: vosk.Model() without one downloads a model from the internet
            return vosk.Model(str(folder))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelLoadError(folder, str(exc) or type(exc).__name__) from exc
