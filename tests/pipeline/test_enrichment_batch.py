"""Batch enrichment (the ingest path) gives exactly what one-by-one enrichment gives."""

from __future__ import annotations

from socialdesk.domain.pii import find_pii
from socialdesk.pipeline.enrichment.language import (
    MAX_MODEL_CHARS,
    detect_language,
    read_language,
    read_languages,
    resolve_language,
)
from socialdesk.pipeline.ingest import enrich_message, enrich_messages

TEXTS = [
    "@brand my refund is late and nobody answers, this is ridiculous",
    "Thank you so much for the quick help with my router!",
    "Llevo dos semanas sin internet y nadie me ayuda",
    "ok",  # too short: inherits the author's language
    "Bonjour, mon colis devait arriver lundi et je ne l'ai toujours pas reçu.",
    "merci",
    "My card 4111 1111 1111 1111 was charged twice, mail me at jo@example.com",
    "@brand my refund is late and nobody answers, this is ridiculous",  # a retweet
    "",
    "👍",
    "THANK YOU SO MUCH, YOU ARE THE BEST SUPPORT TEAM",
]
AUTHORS = [1, 2, 3, 3, 4, 4, None, 5, 2, 1, None]


def test_batch_equals_one_by_one_with_each_authors_previous_language() -> None:
    known: dict[int, str] = {}
    expected = []
    for text, author in zip(TEXTS, AUTHORS, strict=True):
        previous = known.get(author) if author is not None else None
        result = enrich_message(text, previous)
        if author is not None and result[0] != "und":
            known[author] = result[0]
        expected.append(result)
    languages: dict[int, str] = {}
    assert enrich_messages(TEXTS, AUTHORS, languages) == expected
    assert languages == known
    assert expected[3][0] == "es"  # "ok" took its author's Spanish


def test_batch_without_authors_equals_one_by_one() -> None:
    assert enrich_messages(TEXTS) == [enrich_message(text) for text in TEXTS]


def test_each_row_gets_its_own_list_of_personal_data_kinds() -> None:
    first, second = enrich_messages([TEXTS[6], TEXTS[6]])
    assert first[3] == ["card", "email"]
    assert first[3] is not second[3]


def test_reading_many_equals_reading_one_by_one() -> None:
    assert read_languages(TEXTS) == [read_language(text) for text in TEXTS]
    for text in TEXTS:
        for previous in (None, "es"):
            assert resolve_language(
                read_language(text), previous_language=previous
            ) == detect_language(text, previous_language=previous)


def test_a_long_message_is_read_from_its_beginning() -> None:
    opening = "Hola, mi paquete tenía que llegar el lunes y todavía no ha llegado. " * 4
    long_text = opening + "Thank you for nothing, this is the worst service ever. " * 200
    assert len(opening) > MAX_MODEL_CHARS
    assert detect_language(long_text).code == "es"
    assert detect_language(opening).code == "es"


def test_a_long_message_starting_with_links_still_finds_its_words() -> None:
    links = " ".join(f"https://t.co/{n:06d}" for n in range(200))
    guess = detect_language(links + " Hallo, mein Paket sollte am Montag ankommen.")
    assert guess.code == "de"


def test_personal_data_with_custom_patterns_needs_no_digit() -> None:
    findings = find_pii("my code is REF-ABCDEF", reference_patterns=[r"\bREF-[A-Z]+\b"])
    assert [(f.kind, f.text) for f in findings] == [("reference", "REF-ABCDEF")]
    assert find_pii("no digits here, no at sign") == []
