"""Language detection: ISO 639-1 codes for clear sentences, the caller's fallback when unsure."""

from __future__ import annotations

import socket

import pytest

from socialdesk.pipeline.enrichment import language
from socialdesk.pipeline.enrichment.language import (
    UNDETERMINED,
    detect_language,
    model_path,
)

CLEAR = [
    ("en", "Hi, my parcel was supposed to arrive on Monday and there is still no sign of it."),
    ("en", "Could you tell me how to change the billing address on my account?"),
    ("es", "Hola, mi paquete tenía que llegar el lunes y todavía no ha llegado."),
    ("es", "¿Podrían decirme cómo cambiar la dirección de facturación de mi cuenta?"),
    ("fr", "Bonjour, mon colis devait arriver lundi et je ne l'ai toujours pas reçu."),
    ("fr", "Pourriez-vous me dire comment changer l'adresse de facturation de mon compte ?"),
    ("de", "Hallo, mein Paket sollte am Montag ankommen und ist immer noch nicht da."),
    ("de", "Können Sie mir sagen, wie ich die Rechnungsadresse meines Kontos ändere?"),
    ("pt", "Olá, a minha encomenda devia ter chegado na segunda-feira e ainda não chegou."),
    ("pt", "Vocês podem me dizer como mudar o endereço de cobrança da minha conta?"),
    ("it", "Ciao, il mio pacco doveva arrivare lunedì e non è ancora arrivato."),
    ("it", "Potreste dirmi come cambiare l'indirizzo di fatturazione del mio account?"),
]

TOO_SHORT = ["ok", "lol", "👍", "???", "@brandcare", "https://t.co/abc123", "10/10", "DM sent", ""]


@pytest.mark.parametrize(("expected", "text"), CLEAR)
def test_clear_sentences_get_their_language(expected: str, text: str) -> None:
    guess = detect_language(text)
    assert guess.code == expected
    assert guess.detected
    assert 0.5 <= guess.confidence <= 1.0


@pytest.mark.parametrize(("expected", "text"), CLEAR[::2])
def test_a_confident_detection_wins_over_the_previous_language(expected: str, text: str) -> None:
    other = "fi"
    assert detect_language(text, previous_language=other).code == expected


@pytest.mark.parametrize("text", TOO_SHORT)
def test_short_or_ambiguous_text_returns_the_fallback(text: str) -> None:
    guess = detect_language(text, previous_language="de")
    assert guess.code == "de"
    assert not guess.detected
    assert guess.confidence == 0.0


@pytest.mark.parametrize("text", TOO_SHORT)
def test_without_a_fallback_short_text_is_undetermined(text: str) -> None:
    assert detect_language(text).code == UNDETERMINED == "und"


def test_handles_links_and_numbers_do_not_count_as_evidence() -> None:
    text = "@116302 @Tesco https://t.co/ELb8YQspF6 #123456 0800 123 456"
    assert detect_language(text, previous_language="it").code == "it"


def test_shouting_is_read_like_lower_case() -> None:
    assert detect_language("THANK YOU SO MUCH, YOU ARE THE BEST SUPPORT TEAM").code == "en"


def test_codes_are_two_letters() -> None:
    for _, text in CLEAR:
        assert len(detect_language(text).code) == 2


def test_the_model_ships_in_the_installed_wheel() -> None:
    path = model_path()
    assert path.name == "lid.176.ftz"
    assert path.stat().st_size < 2_000_000


def test_loading_the_model_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("language detection tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(language, "_model", None)  # force a fresh load from the wheel
    assert detect_language(CLEAR[0][1]).code == "en"
