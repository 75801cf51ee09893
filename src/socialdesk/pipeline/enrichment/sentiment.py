"""Sentiment of customer-care text: negative, neutral or positive, with a score in [-1, 1].

How it works, in three layers, all offline and in plain Python:

1. VADER (``vaderSentiment``: a lexicon of ~7,500 words and emoticons with rules for negation,
   boosters, capitals, "but" and punctuation) scores each word.
2. A customer-care layer (:mod:`.care_lexicon`, written for this project) re-scores request words,
   adds complaint and resolution phrases ("still waiting", "no response", "cancel my account",
   "charged twice", "working again"), scores emoji directly, mutes thanks and "please" inside a
   complaint, and turns praise around when sarcasm markers meet a complaint.
3. A multinomial logistic model over a handful of numbers derived from those valences
   (:data:`FEATURE_NAMES`) picks the class. Its weights (:mod:`._sentiment_weights`) were fitted
   with balanced class weights by ``benchmarks/sentiment_train.py``; the score is
   P(positive) - P(negative).

Spanish, French, German, Portuguese and Italian messages (when the caller passes the detected
``language``) are read with the care lexicons of :mod:`.lexicons_multilingual` instead of layers 1
and 2: words and phrases on VADER's scale, with negation (before the word, and after it where
the language puts it there), intensifiers, "but", capitals and muted thanks inside complaints.
Their valences feed the same features and model, so the labels mean the same in every language.
English (and unknown or undetected text) goes exactly the way it always did.
"""

from __future__ import annotations

import html
import math
import operator
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, Literal

from vaderSentiment.vaderSentiment import (  # type: ignore[import-untyped]
    B_INCR,
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
    normalize,
)

from socialdesk.pipeline.enrichment import _sentiment_weights as weights
from socialdesk.pipeline.enrichment.care_lexicon import (
    EMOJI_VALENCE,
    GRATITUDE_WORDS,
    PHRASE_RULES,
    SARCASM_ANCHORS,
    SARCASM_EMOJI,
    SARCASM_IF_NEGATIVE,
    SARCASM_MARKERS,
    WORD_VALENCE,
)
from socialdesk.pipeline.enrichment.lexicons_multilingual import LEXICONS, CareLexicon, fold

__all__ = [
    "FEATURE_NAMES",
    "LABELS",
    "SUPPORTED_LANGUAGES",
    "Sentiment",
    "SentimentLabel",
    "analyze_sentiment",
    "predict_proba",
    "sentiment_features",
    "vader_compound",
]

SentimentLabel = Literal["negative", "neutral", "positive"]
LABELS: Final[tuple[SentimentLabel, SentimentLabel, SentimentLabel]] = (
    "negative",
    "neutral",
    "positive",
)

FEATURE_NAMES: Final[tuple[str, ...]] = (
    "compound",  # VADER's normalised sum of all valence items, care layer included
    "pos_share",  # VADER's share of positive weight among the words
    "neg_share",  # VADER's share of negative weight among the words
    "pos_sum",  # log(1 + sum of positive valences)
    "neg_sum",  # log(1 + |sum of negative valences|)
    "max_pos",  # strongest positive item / 4
    "max_neg",  # strongest negative item / 4 (as a positive number)
    "no_sentiment",  # 1 when nothing in the text carries valence
    "exclamation",  # "!" present
    "question",  # "?" present
)

if weights.FEATURE_NAMES != FEATURE_NAMES:  # pragma: no cover - caught by the tests
    raise RuntimeError("_sentiment_weights.py is stale: run python -m benchmarks.sentiment_train")

_ENGLISH_OR_UNKNOWN: Final = frozenset({"en", "und"})
SUPPORTED_LANGUAGES: Final = frozenset({"en", *LEXICONS})  # read word by word, not emoji only
_NEGATIVE_EVIDENCE: Final = -1.0  # an item this negative marks the message as a complaint
_SARCASM_FLIP: Final = -0.5  # praise inside a sarcastic complaint counts as half as much blame
_ELONGATED: Final = re.compile(r"([a-zA-Z])\1{2,}")
_APOSTROPHES: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: SentimentLabel
    score: float  # P(positive) - P(negative), in [-1, 1]
    probabilities: tuple[float, float, float]  # negative, neutral, positive


_UNKNOWN: Final = Sentiment("neutral", 0.0, (0.0, 1.0, 0.0))


@dataclass(frozen=True, slots=True)
class _Valences:
    text: str  # the normalised text VADER saw
    items: list[float]  # one valence per word, phrase match and emoji


class _CareAnalyzer(SentimentIntensityAnalyzer):
    """VADER with the customer-care layer; loads VADER's lexicon from its wheel once.

    ``care=False`` leaves the layer out (VADER's words and rules, emoji through VADER's
    descriptions): the benchmark's ablation.
    """

    def __init__(self, *, care: bool = True) -> None:
        super().__init__()
        self._care = care
        if care:
            self.lexicon.update(WORD_VALENCE)
        rules = PHRASE_RULES if care else ()
        self._rules = [(re.compile(pattern), valence) for _, pattern, valence in rules]
        self._rules_by_anchor: dict[str, list[int]] = {}
        for index, (anchors, _, _) in enumerate(rules):
            for anchor in anchors:
                self._rules_by_anchor.setdefault(anchor, []).append(index)
        self._sarcasm = re.compile(SARCASM_MARKERS)
        self._sarcasm_if_negative = re.compile(SARCASM_IF_NEGATIVE)

    def valences(self, raw: str, *, english: bool = True) -> _Valences:
        """Valence items of ``raw``; with ``english`` False only emoji and emoticons count."""
        text = raw.translate(_APOSTROPHES)
        if "&" in text:
            text = html.unescape(text)
        lower_text = text.lower()
        extra: list[float] = []
        rolling_eyes = False
        if not text.isascii():
            rolling_eyes = SARCASM_EMOJI in text
            text = self._replace_emoji(text, extra)
        sentitext = SentiText(text)
        words: list[str] = sentitext.words_and_emoticons
        if not english:
            return _Valences(text, extra + self._emoticons(words))
        if _ELONGATED.search(text):
            self._unstretch(words)
        lowered = [w.lower() for w in words]
        items: list[float] = []
        for i, item in enumerate(words):
            low = lowered[i]
            if low in BOOSTER_DICT or (
                low == "kind" and i < len(words) - 1 and lowered[i + 1] == "of"
            ):
                items.append(0.0)
                continue
            if low not in self.lexicon:  # sentiment_valence would append 0 after its checks
                items.append(0.0)
                continue
            items = self.sentiment_valence(0.0, sentitext, item, i, items)
        _but_check(lowered, items)

        present = set(lowered)
        fired: set[int] = set()
        for word in present:
            indexes = self._rules_by_anchor.get(word)
            if indexes:
                fired.update(indexes)
        for index in sorted(fired):
            pattern, valence = self._rules[index]
            extra.extend(valence for _ in pattern.finditer(lower_text))

        if not self._care:
            return _Valences(text, items + extra)
        complaint = any(v <= _NEGATIVE_EVIDENCE for v in items) or any(v < 0 for v in extra)
        if complaint:
            for i, low in enumerate(lowered):
                if items[i] > 0 and low in GRATITUDE_WORDS:
                    items[i] = 0.0
        sarcastic = rolling_eyes or (
            not present.isdisjoint(SARCASM_ANCHORS) and self._sarcasm.search(lower_text) is not None
        )
        if sarcastic:
            extra.append(-1.5)
        if sarcastic or (complaint and self._sarcasm_if_negative.search(lower_text)):
            items = [v * _SARCASM_FLIP if v > 0 else v for v in items]
            extra = [v * _SARCASM_FLIP if v > 0 else v for v in extra]
        return _Valences(text, items + extra)

    # VADER's negation and idiom checks, unchanged in effect, but lower-casing only the few words
    # they read (VADER's own lower-cases the whole message on every call, three times a word).
    @staticmethod
    def _negation_check(valence: float, words: list[str], start_i: int, i: int) -> float:
        w1 = words[i - 1].lower()
        if start_i == 0:
            return valence * N_SCALAR if _negated(w1) else valence
        w2 = words[i - 2].lower()
        if start_i == 1:
            if w2 == "never" and w1 in ("so", "this"):
                return valence * 1.25
            if w2 == "without" and w1 == "doubt":
                return valence
            return valence * N_SCALAR if _negated(w2) else valence
        w3 = words[i - 3].lower()
        if (w3 == "never" and w2 in ("so", "this")) or w1 in ("so", "this"):
            return valence * 1.25
        if w3 == "without" and "doubt" in (w2, w1):
            return valence
        return valence * N_SCALAR if _negated(w3) else valence

    @staticmethod
    def _special_idioms_check(valence: float, words: list[str], i: int) -> float:
        w0, w1, w2, w3 = (words[i - k].lower() for k in range(4))
        for seq in (f"{w1} {w0}", f"{w2} {w1} {w0}", f"{w2} {w1}", f"{w3} {w2} {w1}", f"{w3} {w2}"):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        if len(words) - 1 > i:
            after1 = words[i + 1].lower()
            if f"{w0} {after1}" in SPECIAL_CASES:
                valence = SPECIAL_CASES[f"{w0} {after1}"]
            if len(words) - 1 > i + 1:
                after2 = f"{w0} {after1} {words[i + 2].lower()}"
                if after2 in SPECIAL_CASES:
                    valence = SPECIAL_CASES[after2]
        for n_gram in (f"{w3} {w2} {w1}", f"{w3} {w2}", f"{w2} {w1}"):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence

    def _emoticons(self, words: list[str]) -> list[float]:
        """Valences of letter-free lexicon entries (":)", ":(", "<3"), whatever the language."""
        return [
            self.lexicon[word]
            for word in words
            if word in self.lexicon and not any(ch.isalpha() for ch in word)
        ]

    def _unstretch(self, words: list[str]) -> None:
        """Stretched words back to known ones: "sooo" -> "so", "goood" -> "good"."""
        for i, word in enumerate(words):
            low = word.lower()
            if low in self.lexicon or not _ELONGATED.search(low):
                continue
            for squeezed in (_ELONGATED.sub(r"\1\1", low), _ELONGATED.sub(r"\1", low)):
                if squeezed in self.lexicon or squeezed in BOOSTER_DICT:
                    words[i] = squeezed.upper() if word.isupper() else squeezed
                    break

    def _replace_emoji(self, text: str, extra: list[float]) -> str:
        """Score emoji from :data:`EMOJI_VALENCE`; others become VADER's descriptions."""
        out: list[str] = []
        table = EMOJI_VALENCE if self._care else {}
        for ch in text:
            valence = table.get(ch)
            if valence is not None:
                extra.append(valence)
                out.append(" ")
            elif ch in self.emojis:
                out.append(f" {self.emojis[ch]} ")
            else:
                out.append(ch)
        return "".join(out)


_NEGATE: Final = frozenset(NEGATE)


def _negated(word: str) -> bool:
    """VADER's ``negated`` for one lower-case word."""
    return word in _NEGATE or "n't" in word


def _but_check(lowered: list[str], items: list[float]) -> None:
    """VADER's rule for "but": what comes before counts half, what comes after 1.5 times.

    (VADER's own version looks items up by value, which misplaces repeated valences.)
    """
    if "but" not in lowered:
        return
    at = lowered.index("but")
    for i in range(len(items)):
        if i < at:
            items[i] *= 0.5
        elif i > at:
            items[i] *= 1.5


@lru_cache(maxsize=1)
def _analyzer() -> _CareAnalyzer:
    return _CareAnalyzer()


def _emphasis(text: str) -> float:
    """VADER's punctuation emphasis: up to 4 "!" and 2+ "?" strengthen the sum."""
    bangs = min(text.count("!"), 4) * 0.292
    questions = text.count("?")
    if questions > 3:
        return bangs + 0.96
    if questions > 1:
        return bangs + questions * 0.18
    return bangs


def sentiment_features(
    text: str, *, english: bool = True, language: str | None = None
) -> list[float]:
    """The numbers the model reads, in :data:`FEATURE_NAMES` order.

    With ``english`` False (a message detected in another language) VADER's English words and
    the care phrases are left out: only emoji, emoticons and punctuation speak, plus the care
    lexicon of ``language`` when there is one (see :data:`SUPPORTED_LANGUAGES`).
    """
    if english and language is not None and language not in _ENGLISH_OR_UNKNOWN:
        english = False
    valences = _analyzer().valences(text, english=english)
    if not english and language is not None:
        lexicon = _foreign_lexicon(language)
        if lexicon is not None:
            valences = _Valences(valences.text, valences.items + lexicon.valences(text))
    return _features(valences)


def _features(v: _Valences) -> list[float]:
    positives = [x for x in v.items if x > 0]
    negatives = [x for x in v.items if x < 0]
    neutral = len(v.items) - len(positives) - len(negatives)
    emphasis = _emphasis(v.text)
    # VADER's compound and pos/neg shares, computed as its score_valence does
    pos_total = sum(positives)
    neg_total = sum(negatives)
    total = pos_total + neg_total
    if total > 0:
        total += emphasis
    elif total < 0:
        total -= emphasis
    compound = normalize(total) if v.items else 0.0
    pos_sum = pos_total + len(positives)
    neg_sum = neg_total - len(negatives)
    if pos_sum > -neg_sum:
        pos_sum += emphasis
    elif pos_sum < -neg_sum:
        neg_sum -= emphasis
    weight = pos_sum - neg_sum + neutral
    return [
        compound,
        pos_sum / weight if weight else 0.0,
        -neg_sum / weight if weight else 0.0,
        math.log1p(pos_total),
        math.log1p(-neg_total),
        max(positives, default=0.0) / 4.0,
        -min(negatives, default=0.0) / 4.0,
        0.0 if positives or negatives else 1.0,
        1.0 if "!" in v.text else 0.0,
        1.0 if "?" in v.text else 0.0,
    ]


_MODEL: Final = tuple(zip(weights.COEF, weights.INTERCEPT, strict=True))


def predict_proba(features: list[float]) -> tuple[float, float, float]:
    """P(negative), P(neutral), P(positive) from the fitted multinomial logistic model."""
    logits = [bias + math.fsum(map(operator.mul, row, features)) for row, bias in _MODEL]
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = exps[0] + exps[1] + exps[2]
    return (exps[0] / total, exps[1] / total, exps[2] / total)


def analyze_sentiment(text: str, *, language: str | None = None) -> Sentiment:
    """Label and score for one message.

    ``language`` is the detected ISO 639-1 code when known. English (or ``None``/"und") is read
    with VADER and the English care layer; Spanish, French, German, Portuguese and Italian with
    their care lexicons (plus emoji); any other language by its emoji and emoticons only, and a
    message without them is "neutral" with score 0.
    """
    if not text.strip():
        return _UNKNOWN
    english = language is None or language in _ENGLISH_OR_UNKNOWN
    valences = _analyzer().valences(text, english=english)
    if not english:
        lexicon = _foreign_lexicon(language)
        if lexicon is not None:
            valences = _Valences(valences.text, valences.items + lexicon.valences(text))
        elif not any(valences.items):
            return _UNKNOWN  # no emoji or emoticon: nothing we can read in this language
    probs = predict_proba(_features(valences))
    best = max(range(3), key=probs.__getitem__)
    score = max(-1.0, min(1.0, probs[2] - probs[0]))
    return Sentiment(LABELS[best], round(score, 4), probs)


# --- Spanish, French, German, Portuguese, Italian ----------------------------------------------

# Words (letters only: apostrophes and hyphens split "n'est", "ras-le-bol") and clause breaks,
# which stop negation and intensifiers from reaching across ("Merci, pas de souci").
_TOKENS: Final = re.compile(r"[^\W\d_]+|[.!?;:,()\"\u00bf\u00a1\u2026]+")
_BREAK: Final = "|"
_BOOSTER_REACH: Final = 3  # words before a valenced word that an intensifier reaches
# and a negator: one more than in English, for clitics and auxiliaries ("no me han atendido bien")
_NEGATION_REACH: Final = 4
_POST_NEGATION_REACH: Final = 2  # words after it, for "j'aime pas", "gefällt mir nicht"
_BOOSTER_DECAY: Final = (1.0, 0.95, 0.9)  # VADER's: farther intensifiers count less
_TOKEN_CACHE: Final = 50_000  # remembered words per language, forgotten all at once when full
_STRETCHED: Final = re.compile(r"(\w)\1{2,}")


def _tokens(text: str) -> list[str]:
    return [m.group() for m in _TOKENS.finditer(text)]


def _folded_tokens(text: str) -> list[str]:
    return [_BREAK if not t[0].isalpha() else fold(t) for t in _tokens(text)]


class _ForeignLexicon:
    """One language's care lexicon, compiled for lookups; :meth:`valences` scores a message."""

    def __init__(self, lexicon: CareLexicon) -> None:
        self.language = lexicon.language
        self._exact = {word.lower(): v for word, v in lexicon.words.items()}
        blocked = {fold(word) for word in lexicon.accent_sensitive}
        self._folded: dict[str, float] = {}
        for word, valence in self._exact.items():
            key = fold(word)
            if key not in blocked or key == word:
                self._folded.setdefault(key, valence)
        self._negators = frozenset(fold(w) for w in lexicon.negators)
        self._post_negators = frozenset(fold(w) for w in lexicon.post_negators)
        self._boosters = frozenset(fold(w) for w in lexicon.boosters)
        self._contrast = frozenset(fold(w) for w in lexicon.contrast)
        self._gratitude = frozenset(fold(w) for w in lexicon.gratitude)
        self._phrase_valence: dict[str, float] = {}
        for phrase, valence in lexicon.phrases.items():
            key = " ".join(_folded_tokens(phrase))
            if key:
                self._phrase_valence[key] = valence
        alternatives = sorted(self._phrase_valence, key=len, reverse=True)
        self._phrases = re.compile(
            r"(?<!\S)(?:" + "|".join(re.escape(p) for p in alternatives) + r")(?!\S)"
        )
        self._seen: dict[str, tuple[str, float | None]] = {}  # token -> (folded, valence)
        self._neutral: dict[str, list[tuple[str, ...]]] = {}
        for phrase in lexicon.neutral_phrases:
            seq = tuple(_folded_tokens(phrase))
            self._neutral.setdefault(seq[0], []).append(seq)

    def _token(self, token: str) -> tuple[str, float | None]:
        """The folded form of a word token and its valence, remembered (words repeat a lot)."""
        known = self._seen.get(token)
        if known is None:
            lowered = token.lower()
            folded = fold(lowered)
            known = (folded, self._lookup(lowered, folded))
            if len(self._seen) >= _TOKEN_CACHE:
                self._seen.clear()
            self._seen[token] = known
        return known

    def _lookup(self, lowered: str, folded: str) -> float | None:
        valence = self._exact.get(lowered)
        if valence is None:
            valence = self._folded.get(folded)
        if valence is None and _STRETCHED.search(folded):  # "graciasss", "pésimooo"
            for squeezed in (_STRETCHED.sub(r"\1\1", folded), _STRETCHED.sub(r"\1", folded)):
                valence = self._folded.get(squeezed)
                if valence is not None:
                    break
        return valence

    def valences(self, text: str) -> list[float]:
        """One valence item per word (0 for words without one) and one per phrase match."""
        raw = _tokens(text.translate(_APOSTROPHES))
        n = len(raw)
        folded: list[str] = []
        base: list[float | None] = []
        for token in raw:
            if token[0].isalpha():
                key, valence = self._token(token)
                folded.append(key)
                base.append(valence)
            else:
                folded.append(_BREAK)
                base.append(None)
        for i, token in enumerate(folded):
            for seq in self._neutral.get(token, ()):
                if tuple(folded[i : i + len(seq)]) == seq:
                    for k in range(i, i + len(seq)):
                        base[k] = None
        # an intensifier that is also a word ("super") intensifies when a valenced word follows
        for i in range(n - 1):
            if base[i] is not None and folded[i] in self._boosters and base[i + 1] is not None:
                base[i] = None
        words = [t for t in raw if t[0].isalpha()]
        shouting = any(w.isupper() and len(w) > 1 for w in words) and not all(
            w.isupper() for w in words
        )

        items: list[float] = []
        contrast_at: int | None = None
        for i in range(n):
            token = folded[i]
            if token == _BREAK:
                continue
            if contrast_at is None and token in self._contrast:
                contrast_at = len(items)
            valence = base[i]
            if not valence:
                items.append(0.0)
                continue
            sign = 1.0 if valence > 0 else -1.0
            if shouting and raw[i].isupper() and len(raw[i]) > 1:
                valence += sign * C_INCR
            negated = False
            for distance in range(1, _NEGATION_REACH + 1):
                j = i - distance
                if j < 0 or folded[j] == _BREAK:
                    break
                if folded[j] in self._boosters and distance <= _BOOSTER_REACH:
                    valence += sign * B_INCR * _BOOSTER_DECAY[distance - 1]
                elif folded[j] in self._negators:
                    negated = True
            if not negated and self._post_negators:
                for j in range(i + 1, min(n, i + 1 + _POST_NEGATION_REACH)):
                    if folded[j] == _BREAK:
                        break
                    if folded[j] in self._post_negators:
                        negated = True
                        break
            items.append(valence * N_SCALAR if negated else valence)
        if contrast_at is not None:
            for k in range(len(items)):
                if k < contrast_at:
                    items[k] *= 0.5
                elif k > contrast_at:
                    items[k] *= 1.5

        joined = " ".join(folded)
        extra = [self._phrase_valence[m.group()] for m in self._phrases.finditer(joined)]
        if any(v <= _NEGATIVE_EVIDENCE for v in items) or any(v < 0 for v in extra):
            # thanks inside a complaint is courtesy, not satisfaction
            word_tokens = [t for t in folded if t != _BREAK]
            for k, token in enumerate(word_tokens):
                if items[k] > 0 and token in self._gratitude:
                    items[k] = 0.0
        return items + extra


@lru_cache(maxsize=len(LEXICONS))
def _compiled(language: str) -> _ForeignLexicon:
    return _ForeignLexicon(LEXICONS[language])


def _foreign_lexicon(language: str | None) -> _ForeignLexicon | None:
    if language is None or language not in LEXICONS:
        return None
    return _compiled(language)


def vader_compound(text: str) -> float:
    """Plain VADER's compound score (no care layer): the baseline the benchmark compares with."""
    return float(_plain_vader().polarity_scores(text)["compound"])


@lru_cache(maxsize=1)
def _plain_vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()
