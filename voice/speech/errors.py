"""Errors of the speech package (``voice.speech``); messages say what to fix.

Tree (under :class:`voice.errors.VoiceError`)::

    SpeechError
    +-- ModelNotFoundError    the folder is missing or is not an unpacked Vosk model
    +-- ModelLoadError        Vosk could not load the folder (damaged or incomplete model)
    +-- GrammarError          no phrase of a menu grammar can be recognised (also a ValueError)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from voice.errors import VoiceError

MODEL_HINT = ("set VOICE_VOSK_MODEL to an unpacked Vosk model folder (one with am/ and conf/ "
              "inside, e.g. vosk-model-small-ko-0.22)")


class SpeechError(VoiceError):
    """Base class of speech errors."""


class ModelNotFoundError(SpeechError):
    """``path`` does not exist or is not a Vosk model folder (no ``am/`` or ``conf/``)."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"No Vosk model at {path}: {reason}; {MODEL_HINT}")


class ModelLoadError(SpeechError):
    """Vosk refused to load ``path`` although it looks like a model folder."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        super().__init__(f"Vosk could not load the model at {path} ({detail}); the folder is "
                         f"damaged or incomplete - unpack the model again or {MODEL_HINT}")


class GrammarError(SpeechError, ValueError):
    """None of a menu's phrases can be recognised with this model.

    ``unknown_words`` lists the words the model's vocabulary does not have.
    """

    def __init__(self, phrases: Iterable[str], unknown_words: Iterable[str]) -> None:
        self.phrases = tuple(phrases)
        self.unknown_words = tuple(unknown_words)
        if not self.phrases:
            detail = "the menu has no speech phrases"
        else:
            detail = ("no phrase can be recognised: the model's vocabulary lacks "
                      + ", ".join(repr(w) for w in self.unknown_words))
        super().__init__(f"Speech grammar {list(self.phrases)!r} is unusable: {detail}; change "
                         "the menu's speech keywords to words of the model's language or "
                         "offer keys only")
