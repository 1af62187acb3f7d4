"""Grammar-limited speech recognition for IVR menus (Vosk, offline, streaming).

A SIP media worker makes one :class:`GrammarRecognizer` per menu prompt with the menu's speech
keywords and feeds it the caller's audio (16-bit signed little-endian mono PCM, any frame size;
20 ms frames in practice). ``feed`` returns a :class:`SpeechResult` when Vosk detects the end
of an utterance (about 0.5 s of silence after speech, from the model's ``conf/model.conf``);
``finish`` flushes what is left when the menu times out; ``partial`` is non-empty as soon as
the caller has started to say something (for barge-in: stop the prompt).

Decisions, all checked against the Korean model ``vosk-model-small-ko-0.22``:

* **Sample rate.** Pass the caller's rate (8000 for G.711/G.729, 16000 for G.722/Opus);
  ``vosk.KaldiRecognizer`` resamples to the model's rate itself, so no resampling here.
* **Vocabulary.** Vosk drops a grammar phrase with a word outside the model's vocabulary (with
  a warning) and an empty grammar crashes the process (segmentation fault in vosk 0.3.45). So
  phrases are checked here first: unknown ones are left out and listed in ``ignored_phrases``
  (log them); when none is left, :class:`GrammarError` is raised instead of falling back to
  free recognition, because free text would hardly ever match a menu keyword and would hide
  the flow's mistake. The media worker then runs the menu with keys only.
* **No garbage word.** ``[unk]`` is added only when the model knows it; the small Korean model
  does not, so its grammar is closed: loud noise or off-grammar speech can come out as one of
  the phrases, with confidence up to 1.0 (white noise at sox ``vol 0.1``, about -20 dBFS,
  gave "네" in 18 of 40 random 8 kHz samples; at ``vol 0.05`` in none). Menus should confirm
  important choices.
* ``reset`` builds a new Vosk recogniser, because Vosk's own ``Reset`` leaks buffered audio
  into the next result.
* The grammar is sent as UTF-8 JSON (``ensure_ascii=False``): Vosk does not decode ``\\uXXXX``
  escapes, and an escaped Korean word is "missing in vocabulary".
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import vosk

from voice.speech.errors import GrammarError

UNKNOWN_WORD = "[unk]"
_SPECIAL = re.compile(r"^(<.*>|#\d+|\[.*\])$")  # <eps>, <s>, #0, [unk]: not speakable words


@dataclass(frozen=True)
class SpeechWord:
    """One recognised word: seconds from the start of the audio fed, and Vosk's confidence."""

    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class SpeechResult:
    """What the caller said: the phrase words heard, their mean confidence (0-1) and details."""

    text: str
    confidence: float
    words: tuple[SpeechWord, ...]


def normalize_phrases(phrases: Iterable[str]) -> list[str]:
    """Phrases lower-cased with single spaces, empty ones and repeats dropped, order kept."""
    seen: dict[str, None] = {}
    for phrase in phrases:
        text = " ".join(str(phrase).lower().split())
        if text:
            seen.setdefault(text, None)
    return list(seen)


def unknown_words(model: vosk.Model, phrases: Iterable[str]) -> list[str]:
    """The words of ``phrases`` that ``model`` cannot recognise (for flow checks and logs)."""
    missing: dict[str, None] = {}
    for phrase in normalize_phrases(phrases):
        for word in phrase.split():
            if _SPECIAL.match(word) or model.vosk_model_find_word(word) < 0:
                missing.setdefault(word, None)
    return list(missing)


class GrammarRecognizer:
    """Recognises only the given phrases in a stream of caller audio.

    Not thread-safe: one recogniser per call leg, used by that leg's media thread.
    """

    def __init__(self, model: vosk.Model, phrases: Sequence[str], sample_rate: int) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        wanted = normalize_phrases(phrases)
        missing = set(unknown_words(model, wanted))
        self.phrases: tuple[str, ...] = tuple(
            p for p in wanted if not missing.intersection(p.split()))
        #: phrases left out because the model lacks one of their words
        self.ignored_phrases: tuple[str, ...] = tuple(p for p in wanted if p not in self.phrases)
        if not self.phrases:
            raise GrammarError(wanted, sorted(missing))
        self.sample_rate = sample_rate
        grammar = list(self.phrases)
        if model.vosk_model_find_word(UNKNOWN_WORD) >= 0:
            grammar.append(UNKNOWN_WORD)
        self._model = model
        self._grammar = json.dumps(grammar, ensure_ascii=False)
        self._recognizer = self._new_recognizer()

    def _new_recognizer(self) -> vosk.KaldiRecognizer:
        recognizer = vosk.KaldiRecognizer(self._model, float(self.sample_rate), self._grammar)
        recognizer.SetWords(True)
        return recognizer

    def feed(self, pcm: bytes) -> SpeechResult | None:
        """Add caller audio; the result when Vosk has just detected the end of an utterance
        with words of the grammar in it, else None (keep feeding)."""
        if len(pcm) % 2:
            raise ValueError("PCM must be whole 16-bit samples (an even number of bytes)")
        if not self._recognizer.AcceptWaveform(pcm):
            return None
        return _parse(self._recognizer.Result())

    def finish(self) -> SpeechResult | None:
        """End of input (menu timeout or hang-up): the result of the audio not yet reported,
        or None. The recogniser is then ready for a new utterance."""
        return _parse(self._recognizer.FinalResult())

    def partial(self) -> str:
        """The words of the utterance in progress so far ("" while the caller is silent)."""
        heard = json.loads(self._recognizer.PartialResult()).get("partial", "")
        return " ".join(w for w in heard.split() if w != UNKNOWN_WORD)

    def reset(self) -> None:
        """Forget the audio fed so far (e.g. when the menu prompt is played again).

        Makes a new Vosk recogniser (under a millisecond with a grammar): ``Reset()`` of
        vosk 0.3.45 keeps audio that is buffered but not yet decoded, which then shows up in
        the next result.
        """
        self._recognizer = self._new_recognizer()


def _parse(raw: str) -> SpeechResult | None:
    """A SpeechResult from Vosk's result JSON; None when it holds no grammar words."""
    data = json.loads(raw)
    words = tuple(
        SpeechWord(word=w["word"], start=float(w.get("start", 0.0)),
                   end=float(w.get("end", 0.0)), conf=float(w.get("conf", 0.0)))
        for w in data.get("result", ()) if w.get("word") != UNKNOWN_WORD)
    if words:
        return SpeechResult(text=" ".join(w.word for w in words),
                            confidence=statistics.fmean(w.conf for w in words), words=words)
    text = " ".join(w for w in data.get("text", "").split() if w != UNKNOWN_WORD)
    return SpeechResult(text=text, confidence=0.0, words=()) if text else None
