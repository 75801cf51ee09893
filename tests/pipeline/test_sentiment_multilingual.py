"""Sentiment of care messages in Spanish, French, German, Portuguese and Italian: angry customers,
plain questions, thanks and negation, read with the care lexicons of each language. English keeps
the behaviour (and the figures) it had before."""

from __future__ import annotations

import pytest

from socialdesk.pipeline.enrichment import enrich_text
from socialdesk.pipeline.enrichment.lexicons_multilingual import LEXICONS, expand_forms, fold
from socialdesk.pipeline.enrichment.sentiment import (
    FEATURE_NAMES,
    LABELS,
    SUPPORTED_LANGUAGES,
    analyze_sentiment,
    sentiment_features,
)

# Messages written for these tests, in the register of public care traffic.
ANGRY: dict[str, list[str]] = {
    "es": [
        "Llevo dos semanas esperando el reembolso y nadie me contesta. Vergonzoso.",
        "Me cobraron dos veces la factura de marzo, quiero mi dinero YA",
        "Pésimo servicio, el técnico no vino y nadie avisó",
        "Es una estafa, sigo sin internet desde el lunes",
        "Estoy harta, la app no funciona otra vez",
    ],
    "fr": [
        "Toujours pas de réponse après trois relances, c'est inadmissible",
        "J'ai été prélevé deux fois ce mois-ci, remboursez-moi",
        "Service client nul, personne ne répond au téléphone",
        "Colis jamais reçu et aucune réponse, quelle arnaque",
        "Je suis vraiment déçu, la box ne fonctionne plus depuis une semaine",
    ],
    "de": [
        "Schon wieder keine Antwort, eine absolute Frechheit",
        "Mir wurde das Abo doppelt abgebucht, ich will mein Geld zurück",
        "Der schlechteste Kundenservice überhaupt, seit Tagen kein Internet",
        "Paket nie angekommen und niemand meldet sich. Betrug!",
        "Ich bin echt sauer, die App funktioniert nicht",
    ],
    "pt": [
        "Fui cobrado duas vezes e ninguém me responde, que absurdo",
        "Péssimo atendimento, continuo esperando o reembolso",
        "Cadê meu pedido? Já faz duas semanas, isso é uma vergonha",
        "Estou sem internet há três dias, vou no Procon",
        "O app não funciona de novo, estou muito irritada",
    ],
    "it": [
        "Nessuna risposta da una settimana, vergognatevi",
        "Mi avete addebitato due volte la bolletta, rivoglio i miei soldi",
        "Servizio pessimo, il pacco non è mai arrivato",
        "Sono senza internet da giorni, è una truffa",
        "Sono davvero arrabbiato, l'app non funziona",
    ],
}

THANKS: dict[str, list[str]] = {
    "es": [
        "Muchas gracias, ya funciona todo perfectamente",
        "Gracias por la respuesta rápida, muy amables",
        "Ya me llegó el reembolso, excelente atención",
    ],
    "fr": [
        "Merci beaucoup, tout est réglé !",
        "Super service, le conseiller était très sympa",
        "Merci pour la réponse rapide, c'est parfait",
    ],
    "de": [
        "Vielen Dank, es funktioniert wieder!",
        "Toller Service, sehr freundlich und schnell",
        "Danke für die schnelle Hilfe, alles bestens gelöst",
    ],
    "pt": [
        "Muito obrigada, já funcionou!",
        "Ótimo atendimento, parabéns à equipe",
        "Obrigado pela resposta rápida, vocês são show",
    ],
    "it": [
        "Grazie mille, ora funziona tutto",
        "Servizio ottimo, gentilissimi",
        "Grazie per la risposta veloce, problema risolto",
    ],
}

QUESTIONS: dict[str, list[str]] = {
    "es": [
        "¿A qué hora abre la tienda el sábado?",
        "¿Cómo cambio la dirección de envío de mi pedido?",
        "Buenos días, ¿tienen descuento para estudiantes?",
    ],
    "fr": [
        "Le magasin est-il ouvert le dimanche ?",
        "Comment je change mon adresse de livraison ?",
        "Bonjour, quels sont vos horaires ?",
    ],
    "de": [
        "Hat die Filiale am Samstag geöffnet?",
        "Wie ändere ich meine Lieferadresse?",
        "Guten Tag, gibt es einen Studentenrabatt?",
    ],
    "pt": [
        "Bom dia, a loja abre no sábado?",
        "Como faço para mudar o endereço de entrega?",
        "Vocês entregam em Portugal?",
    ],
    "it": [
        "Il negozio è aperto la domenica?",
        "Come cambio l'indirizzo di consegna?",
        "Buongiorno, avete sconti per studenti?",
    ],
}

# (negated, plain): the same words with and without the negation
NEGATION: dict[str, list[tuple[str, str]]] = {
    "es": [
        ("No estoy contento con el servicio", "Estoy contento con el servicio"),
        ("Nunca me han atendido bien", "Siempre me han atendido bien"),
        ("La verdad es que no me gusta nada", "La verdad es que me gusta"),
    ],
    "fr": [
        ("Je ne suis pas satisfait du service", "Je suis satisfait du service"),
        ("J'aime pas du tout cette appli", "J'aime cette appli"),
    ],
    "de": [
        ("Ich bin nicht zufrieden mit dem Service", "Ich bin zufrieden mit dem Service"),
        ("Die neue App gefällt mir nicht", "Die neue App gefällt mir"),
        ("Das war keine gute Erfahrung", "Das war eine gute Erfahrung"),
    ],
    "pt": [
        ("Não estou satisfeito com o atendimento", "Estou satisfeito com o atendimento"),
        ("O atendimento não foi bom", "O atendimento foi bom"),
    ],
    "it": [
        ("Non sono contento del servizio", "Sono contento del servizio"),
        ("Il servizio non è stato buono", "Il servizio è stato buono"),
    ],
}


def _cases(table: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(lang, text) for lang, texts in table.items() for text in texts]


@pytest.mark.parametrize(("language", "text"), _cases(ANGRY))
def test_angry_customers_are_negative(language: str, text: str) -> None:
    result = analyze_sentiment(text, language=language)
    assert result.label == "negative"
    assert result.score < -0.3


@pytest.mark.parametrize(("language", "text"), _cases(THANKS))
def test_thankful_customers_are_positive(language: str, text: str) -> None:
    result = analyze_sentiment(text, language=language)
    assert result.label == "positive"
    assert result.score > 0.3


@pytest.mark.parametrize(("language", "text"), _cases(QUESTIONS))
def test_plain_questions_are_neutral(language: str, text: str) -> None:
    assert analyze_sentiment(text, language=language).label == "neutral"


@pytest.mark.parametrize(
    ("language", "negated", "plain"),
    [(lang, neg, plain) for lang, pairs in NEGATION.items() for neg, plain in pairs],
)
def test_negation_turns_praise_into_a_complaint(language: str, negated: str, plain: str) -> None:
    assert analyze_sentiment(plain, language=language).label == "positive"
    result = analyze_sentiment(negated, language=language)
    assert result.label == "negative"
    assert result.score < 0


def test_negated_problems_are_not_complaints() -> None:
    assert analyze_sentiment("Tengo un problema con mi factura", language="es").score < 0
    assert analyze_sentiment("No hay ningún problema, gracias", language="es").label == "positive"
    assert analyze_sentiment("Kein Problem, danke!", language="de").label == "positive"
    assert analyze_sentiment("Pas de souci, merci", language="fr").label == "positive"


def test_missing_accents_and_stretched_letters_still_count() -> None:
    accented = analyze_sentiment("Pésimo servicio, quiero la devolución", language="es").score
    plain = analyze_sentiment("pesimo servicio, quiero la devolucion", language="es").score
    assert accented < 0 and plain < 0
    assert analyze_sentiment("graciasss", language="es").label == "positive"
    # ... but not where dropping the accent makes another word: "schon" is "already"
    assert analyze_sentiment("Ich habe schon angerufen", language="de").label == "neutral"
    assert analyze_sentiment("Sehr schön!", language="de").label == "positive"


def _compound(text: str, language: str) -> float:
    return sentiment_features(text, language=language)[FEATURE_NAMES.index("compound")]


def test_intensifiers_and_capitals_strengthen() -> None:
    plain = _compound("El servicio es malo", "es")
    assert _compound("El servicio es muy malo", "es") < plain < 0
    assert _compound("El servicio es MALO", "es") < plain
    assert _compound("Der Service war sehr gut", "de") > _compound("Der Service war gut", "de") > 0
    assert _compound("Service vraiment nul", "fr") < _compound("Service nul", "fr") < 0


def test_thanks_inside_a_complaint_is_courtesy() -> None:
    complaint = "Sigo esperando el reembolso y nadie me responde."
    polite = analyze_sentiment(complaint + " Gracias.", language="es")
    assert polite.label == "negative"
    assert polite.score <= analyze_sentiment(complaint, language="es").score + 0.02
    assert analyze_sentiment("Merci pour rien", language="fr").label == "negative"
    assert analyze_sentiment("Danke für nichts", language="de").label == "negative"


def test_what_follows_but_weighs_more() -> None:
    text = "El técnico fue amable pero el servicio es pésimo"
    assert analyze_sentiment(text, language="es").label == "negative"
    text = "Il pacco era in ritardo ma il servizio clienti è stato gentilissimo"
    assert analyze_sentiment(text, language="it").label == "positive"


def test_emoji_still_count_alongside_the_words() -> None:
    words = analyze_sentiment("No funciona", language="es").score
    with_emoji = analyze_sentiment("No funciona 😡😡", language="es").score
    assert with_emoji < words < 0


def test_languages_without_a_lexicon_read_only_emoji() -> None:
    assert analyze_sentiment("Dit is echt niet goed", language="nl").score == 0.0
    assert analyze_sentiment("Dit is echt niet goed 😡", language="nl").label == "negative"
    # German words are read only when the text is known to be German
    assert analyze_sentiment("Das ist wirklich nicht gut", language="de").label == "negative"
    assert analyze_sentiment("Das ist wirklich nicht gut", language="nl").score == 0.0


def test_english_is_read_as_before() -> None:
    for text in (
        "Still waiting for my refund three weeks later, this is a joke.",
        "Thank you so much, the refund came through this morning!",
        "How do I change the email address on my account?",
        "no funciona",
    ):
        expected = analyze_sentiment(text)
        assert analyze_sentiment(text, language="en") == expected
        assert analyze_sentiment(text, language="und") == expected
        assert sentiment_features(text, language="en") == sentiment_features(text)


def test_features_follow_the_language() -> None:
    text = "Pésimo servicio, sigo esperando"
    spanish = sentiment_features(text, language="es")
    assert len(spanish) == len(FEATURE_NAMES)
    assert spanish != sentiment_features(text, english=False)  # the lexicon adds the words
    no_sentiment = FEATURE_NAMES.index("no_sentiment")
    assert spanish[no_sentiment] == 0.0
    assert sentiment_features(text, english=False)[no_sentiment] == 1.0


@pytest.mark.parametrize("language", sorted(LEXICONS))
@pytest.mark.parametrize(
    "text", ["", "   ", "!!!!", "no no no no", "muy muy muy muy", "a" * 3000, "😡" * 40, "?"]
)
def test_odd_texts_stay_in_bounds(language: str, text: str) -> None:
    result = analyze_sentiment(text, language=language)
    assert result.label in LABELS
    assert -1.0 <= result.score <= 1.0
    assert sum(result.probabilities) == pytest.approx(1.0)


def test_the_lexicons_are_well_formed() -> None:
    assert {"es", "fr", "de", "pt", "it"} == set(LEXICONS)
    assert {"en", "es", "fr", "de", "pt", "it"} == SUPPORTED_LANGUAGES
    for lexicon in LEXICONS.values():
        assert len(lexicon.words) > 100 and len(lexicon.phrases) > 20
        for entry, valence in [*lexicon.words.items(), *lexicon.phrases.items()]:
            assert -4.0 <= valence <= 4.0 and valence != 0.0, entry
            assert "{" not in entry and "}" not in entry, entry
            assert entry == entry.lower() and entry.strip() == entry, entry
        assert lexicon.negators and lexicon.boosters and lexicon.contrast and lexicon.gratitude
        assert not lexicon.negators & set(lexicon.words)
    assert expand_forms("enfadad{o,a}{,s}") == ["enfadado", "enfadados", "enfadada", "enfadadas"]
    assert fold("Devolución ÉTÉ Größe") == "devolucion ete große"


def test_enrichment_reads_a_detected_spanish_complaint() -> None:
    result = enrich_text(
        "Llevo tres semanas esperando mi reembolso y nadie me contesta, es una vergüenza"
    )
    assert result.language == "es"
    assert result.sentiment == "negative"
    assert result.score < -0.3
