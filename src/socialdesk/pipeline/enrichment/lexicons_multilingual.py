"""Customer-care sentiment lexicons for Spanish, French, German, Portuguese and Italian.

Written for this project (not taken from any data set), on VADER's scale of -4 (most negative)
to +4, so that the valences feed the same features and the same fitted model as the English
layer in :mod:`.care_lexicon`. Each language has:

* ``words``: single words (inflected forms spelled out with ``{a,b}`` alternatives) for
  complaints, anger, delays, fraud, failures, praise and thanks. Request words ("ayuda",
  "bitte", "por favor") carry no valence: a request is not praise.
* ``phrases``: multi-word complaint and satisfaction patterns ("sigo esperando", "ne fonctionne
  pas", "doppelt abgebucht", "cobrado duas vezes", "nessuna risposta"), each match adding one
  valence item, as the English phrase rules do.
* ``negators``: words that flip the valence of a word up to three words later in the same clause
  ("no estoy contento"); ``post_negators`` also flip a word up to two words *before* them, for
  languages that put the negation after the verb ("j'aime pas", "gefällt mir nicht", BR "gostei
  não").
* ``boosters``: intensifiers ("muy", "très", "sehr", "muito", "molto") that strengthen the next
  valenced word.
* ``contrast``: the word for "but" (what follows it counts more, as in VADER).
* ``gratitude``: thanks that are courtesy, not satisfaction, inside a complaint.
* ``neutral_phrases``: greetings whose words would otherwise read as praise ("buenos días",
  "bom dia", "guten Tag").

Matching is case-insensitive and tolerant of missing accents ("devolucion", "pesimo"): words and
phrases are compared without diacritics, except the few words listed in ``accent_sensitive``
whose unaccented spelling is another common word (German "schön" vs "schon").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = [
    "LEXICONS",
    "CareLexicon",
    "expand_forms",
    "fold",
]

_ALTERNATIVES: Final = re.compile(r"\{([^{}]*)\}")


def fold(word: str) -> str:
    """Lower case without diacritics: "Devolución" -> "devolucion", "Größe" -> "große"."""
    lowered = word.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def expand_forms(pattern: str) -> list[str]:
    """ "enfadad{o,a,os,as}" -> ["enfadado", "enfadada", "enfadados", "enfadadas"]."""
    match = _ALTERNATIVES.search(pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [
        form
        for alternative in match.group(1).split(",")
        for form in expand_forms(head + alternative + tail)
    ]


@dataclass(frozen=True, slots=True)
class CareLexicon:
    language: str  # ISO 639-1
    words: Mapping[str, float]
    phrases: Mapping[str, float]
    negators: frozenset[str]
    post_negators: frozenset[str]
    boosters: frozenset[str]
    contrast: frozenset[str]
    gratitude: frozenset[str]
    neutral_phrases: tuple[str, ...]
    accent_sensitive: frozenset[str] = frozenset()


def _words(spec: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for pattern, valence in spec.items():
        for form in expand_forms(pattern):
            out[form.lower()] = valence
    return out


def _phrases(spec: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for pattern, valence in spec.items():
        for form in expand_forms(pattern):
            out[form] = valence
    return out


# --- Spanish -------------------------------------------------------------------------------

_ES_WORDS: Final = _words(
    {
        # anger, disgust, disappointment
        "enfadad{o,a,os,as}": -2.3,
        "enojad{o,a,os,as}": -2.3,
        "cabread{o,a,os,as}": -2.5,
        "furios{o,a,os,as}": -2.7,
        "indignad{o,a,os,as}": -2.3,
        "indignante": -2.5,
        "molest{o,a,os,as}": -1.8,
        "hart{o,a,os,as}": -2.2,
        "decepcionad{o,a,os,as}": -1.9,
        "decepción": -1.9,
        "decepcionante": -2.0,
        "frustrad{o,a,os,as}": -2.0,
        "frustrante": -2.0,
        "desesperante": -2.2,
        "odio": -2.7,
        "triste": -2.1,
        "asco": -2.6,
        "asqueros{o,a}": -2.6,
        "vergüenza": -2.0,
        "vergonzos{o,a}": -2.4,
        "lamentable{,s}": -2.0,
        "penos{o,a}": -2.0,
        "impresentable{,s}": -2.4,
        "inaceptable": -2.0,
        "intolerable": -2.2,
        "ridícul{o,a}": -1.5,
        "absurd{o,a}": -1.5,
        "tomadura": -1.0,
        # quality of the service
        "mal": -2.0,
        "mal{o,a,os,as}": -2.5,
        "pésim{o,a,os,as}": -3.0,
        "peor{,es}": -2.5,
        "terrible{,s}": -2.1,
        "horrible{,s}": -2.5,
        "fatal": -2.3,
        "desastre": -2.5,
        "desastros{o,a}": -2.6,
        "pesadilla": -2.4,
        "chapuza": -2.0,
        "cutre": -1.8,
        "basura": -2.0,
        "inútil{,es}": -1.8,
        "incompetente{,s}": -2.2,
        "incompetencia": -2.1,
        "lent{o,a}": -1.2,
        # fraud
        "estafa{,s}": -2.6,
        "estafador{,es}": -2.8,
        "estafad{o,a}": -2.6,
        "fraude": -2.8,
        "fraudulent{o,a}": -2.6,
        "timo": -2.3,
        "robo": -2.3,
        "ladrones": -2.8,
        "engaño": -2.2,
        "engañad{o,a,os,as}": -2.2,
        "mentira{,s}": -2.0,
        "mentiros{o,a,os,as}": -2.5,
        # failures and delays
        "problema{,s}": -1.0,
        "error{,es}": -1.0,
        "fallo{,s}": -1.3,
        "falla{,s}": -1.3,
        "avería": -1.5,
        "averiad{o,a}": -1.6,
        "rot{o,a}": -1.8,
        "estropead{o,a}": -1.8,
        "retraso{,s}": -1.3,
        "retrasad{o,a}": -1.3,
        "demora{,s}": -1.2,
        "atrasad{o,a}": -1.3,
        "perdid{o,a}": -1.3,
        "cancelad{o,a}": -1.0,
        "equivocad{o,a}": -1.2,
        "incorrect{o,a}": -1.2,
        "queja{,s}": -1.2,
        "reclamación": -1.0,
        "reclamo": -1.0,
        "denuncia{,r,ré}": -1.4,
        # praise and thanks
        "gracias": 1.9,
        "agradezco": 1.8,
        "agradecid{o,a,os,as}": 2.0,
        "buen": 1.9,
        "buen{o,a,os,as}": 1.9,
        "bien": 1.0,
        "excelente{,s}": 2.7,
        "genial{,es}": 2.8,
        "perfect{o,a}": 2.7,
        "perfectamente": 2.2,
        "estupend{o,a}": 2.8,
        "maravillos{o,a}": 2.8,
        "fantástic{o,a}": 2.8,
        "increíble": 1.5,
        "encanta{,n}": 3.0,
        "gusta{,n}": 1.8,
        "gustó": 1.8,
        "encantad{o,a,os,as}": 2.5,
        "feliz": 2.7,
        "content{o,a,os,as}": 2.3,
        "satisfech{o,a,os,as}": 2.0,
        "amable{,s}": 2.0,
        "atent{o,a,os,as}": 1.5,
        "rápid{o,a}": 1.0,
        "rapidez": 1.2,
        "eficaz": 1.8,
        "eficiente{,s}": 1.8,
        "profesional{,es}": 1.5,
        "resuelt{o,a}": 1.2,
        "solucionad{o,a}": 1.4,
        "arreglad{o,a}": 1.2,
        "reembolsad{o,a}": 0.6,
        "recomiendo": 1.8,
        "recomendable": 2.0,
        "mejor": 1.5,
        "guay": 2.3,
        "chévere": 2.3,
        "crack{,s}": 2.0,
    }
)

_ES_PHRASES: Final = _phrases(
    {
        # waiting and silence
        "{sigo,seguimos,todavía,aún} esperando": -1.6,
        "{horas,días,semanas,meses} esperando": -1.6,
        "{todavía,aún} no": -1.2,
        "nadie {me ,nos ,}{responde,contesta,ayuda,atiende,llama}": -1.5,
        "{sin,ninguna} respuesta": -1.6,
        "no {me ,nos ,}{responden,contestan,atienden}": -1.5,
        # things that do not work or arrive
        "no {me ,}funciona": -1.5,
        "dejó de funcionar": -1.5,
        "no sirve": -1.6,
        "no {me ,}{llega,llegó,ha llegado}": -1.4,
        "nunca {llegó,ha llegado}": -1.6,
        "no {he,hemos} recibido": -1.4,
        "no puedo {acceder,entrar,conectarme,pagar,iniciar sesión}": -1.3,
        "{sin,no tengo,no hay} {señal,internet,servicio,luz,línea,cobertura}": -1.4,
        "otra vez": -0.6,
        # money, refunds and leaving
        "{me ,nos ,}{cobraron,cobrasteis,han cobrado} dos veces": -1.8,
        "cobrado dos veces": -1.8,
        "{cobro doble,doble cobro,cobro indebido}": -1.8,
        "quiero mi dinero": -1.5,
        "{devuélvanme,devolvedme,devuelvan} mi dinero": -1.8,
        "quiero {mi,un} reembolso": -1.0,
        "dónde está mi {reembolso,pedido,paquete,dinero}": -1.2,
        "{cancelar,anular} mi {cuenta,suscripción,contrato,línea}": -1.4,
        "{darme,me doy} de baja": -1.4,
        "{me cambio,cambiarme} de compañía": -1.6,
        "nunca más": -1.8,
        "pérdida de tiempo": -1.4,
        "tomadura de pelo": -2.2,
        "gracias por nada": -2.6,
        # satisfaction
        "ya {funciona,está solucionado,está resuelto,está arreglado}": 1.4,
        "funciona {perfectamente,de nuevo,otra vez}": 1.4,
        "{muchas,mil,muchísimas} gracias": 0.8,
        "{respuesta,atención,solución} rápida": 1.6,
    }
)

SPANISH: Final = CareLexicon(
    language="es",
    words=_ES_WORDS,
    phrases=_ES_PHRASES,
    negators=frozenset(
        {"no", "nunca", "jamás", "ni", "nada", "nadie", "ningún", "ninguna", "ninguno", "sin"}
        | {"tampoco"}
    ),
    post_negators=frozenset(),
    boosters=frozenset(
        {"muy", "tan", "tanto", "super", "súper", "demasiado", "realmente", "totalmente"}
        | {"absolutamente", "completamente", "extremadamente", "increíblemente", "sumamente"}
        | {"mega", "bastante"}
    ),
    contrast=frozenset({"pero"}),
    gratitude=frozenset({"gracias", "agradezco", "agradecido", "agradecida"}),
    neutral_phrases=(
        "buenos días",
        "buenas tardes",
        "buenas noches",
        "buenas",
        "buen día",
        "mejor dicho",
    ),
)

# --- French --------------------------------------------------------------------------------

_FR_WORDS: Final = _words(
    {
        # anger, disgust, disappointment
        "énervé{,e,s,es}": -2.0,
        "furieu{x,se,ses}": -2.7,
        "fâché{,e,s,es}": -2.0,
        "colère": -2.3,
        "marre": -2.2,
        "déçu{,e,s,es}": -1.9,
        "déception": -1.9,
        "décevant{,e,s,es}": -2.0,
        "frustré{,e,s,es}": -2.0,
        "frustrant{,e}": -2.0,
        "dégoûté{,e,s,es}": -2.4,
        "déteste": -2.7,
        "triste": -2.1,
        "honte": -2.0,
        "honteu{x,se}": -2.4,
        "scandale": -2.3,
        "scandaleu{x,se}": -2.4,
        "inadmissible": -2.2,
        "inacceptable": -2.0,
        "insupportable": -2.4,
        "pénible": -1.8,
        "ridicule{,s}": -1.5,
        "absurde": -1.5,
        "lamentable{,s}": -2.2,
        "déplorable{,s}": -2.4,
        "merde": -2.5,
        "putain": -2.0,
        "galère": -1.8,
        # quality of the service
        "mauvais{,e,es}": -2.5,
        "nul{,le,s,les}": -2.2,
        "pire": -2.5,
        "horrible{,s}": -2.5,
        "terrible{,s}": -1.5,
        "catastrophe": -2.5,
        "catastrophique{,s}": -2.6,
        "inutile{,s}": -1.8,
        "incompétent{,e,s,es}": -2.2,
        "incompétence": -2.1,
        "lent{,e,s,es}": -1.2,
        # fraud
        "arnaque{,s}": -2.6,
        "arnaqué{,e,s,es}": -2.6,
        "escroquerie": -2.6,
        "escroc{,s}": -2.8,
        "fraude": -2.8,
        "frauduleu{x,se}": -2.6,
        "voleur{,s}": -2.8,
        "mensonge{,s}": -2.0,
        "menteur{,s}": -2.5,
        # failures and delays
        "problème{,s}": -1.0,
        "erreur{,s}": -1.0,
        "panne{,s}": -1.5,
        "bug{,s}": -1.2,
        "bugue": -1.3,
        "cassé{,e}": -1.8,
        "retard{,s}": -1.3,
        "retardé{,e}": -1.3,
        "perdu{,e}": -1.3,
        "annulé{,e}": -1.0,
        "plante": -1.2,
        "fau{x,sse}": -1.2,
        "plainte": -1.2,
        "réclamation": -1.0,
        # praise and thanks
        "merci": 1.9,
        "remercie": 1.8,
        "bon{,ne,s,nes}": 1.5,
        "bien": 1.0,
        "super": 2.5,
        "excellent{,e,s,es}": 2.7,
        "génial{,e,s,es}": 2.8,
        "parfait{,e,s,es}": 2.7,
        "parfaitement": 2.2,
        "formidable{,s}": 2.8,
        "merveilleu{x,se}": 2.8,
        "top": 2.0,
        "impeccable{,s}": 2.5,
        "nickel": 2.0,
        "bravo": 2.5,
        "ravi{,e,s,es}": 2.5,
        "content{,e,s,es}": 2.3,
        "satisfait{,e,s,es}": 2.0,
        "heureu{x,se,ses}": 2.7,
        "aimable{,s}": 2.0,
        "sympa": 2.0,
        "gentil{,le,s,les}": 2.0,
        "rapide{,s}": 1.0,
        "rapidement": 1.0,
        "efficace{,s}": 1.8,
        "professionnel{,le,s,les}": 1.5,
        "résolu{,e}": 1.2,
        "réglé{,e}": 1.2,
        "réparé{,e}": 1.2,
        "remboursé{,e}": 0.6,
        "adore": 3.0,
        "aime": 2.0,
        "recommande": 1.8,
    }
)

_FR_PHRASES: Final = _phrases(
    {
        # waiting and silence
        "{j attends,nous attendons} toujours": -1.6,
        "toujours en attente": -1.6,
        "toujours pas": -1.4,
        "toujours rien": -1.4,
        "{pas de,aucune,sans} réponse": -1.6,
        "personne ne {me ,nous ,}{répond,rappelle,aide}": -1.5,
        "{ne ,}{répond,répondez,répondent} {pas,jamais}": -1.5,
        "depuis des {jours,semaines,mois}": -1.0,
        # things that do not work or arrive
        "{ne ,n ,}{fonctionne,marche} {pas,plus}": -1.5,
        "{jamais,pas,pas encore,toujours pas} {reçu,arrivé,arrivée,livré,livrée}": -1.4,
        "{pas,jamais} été remboursé{,e}": -1.5,
        "{impossible de,je ne peux pas,je n arrive pas à} {me connecter,payer,accéder}": -1.3,
        "{pas de,plus de,sans} {réseau,internet,connexion,signal}": -1.4,
        "pas d {internet,électricité}": -1.4,
        "n ai plus {internet,de réseau,de connexion}": -1.4,
        "encore une fois": -0.6,
        "en panne": -0.4,
        # money, refunds and leaving
        "{prélevé,débité,facturé,payé} deux fois": -1.8,
        "{rendez moi,remboursez moi} mon argent": -1.8,
        "remboursez moi": -1.2,
        "je veux être remboursé{,e}": -1.0,
        "je veux {mon,un} remboursement": -1.0,
        "où est {mon remboursement,ma commande,mon colis,mon argent}": -1.2,
        "{résilier,annuler} mon {abonnement,contrat,compte,forfait}": -1.4,
        "changer d opérateur": -1.6,
        "plus jamais": -1.8,
        "perte de temps": -1.4,
        "merci pour rien": -2.6,
        "en colère": -0.4,
        # satisfaction
        "{ça ,cela ,}{fonctionne,marche} {à nouveau,de nouveau,enfin,parfaitement}": 1.4,
        "{c est,tout est} {réglé,résolu,bon}": 1.4,
        "problème résolu": 1.4,
        "merci {beaucoup,mille fois,infiniment}": 0.8,
        "réponse rapide": 1.6,
    }
)

FRENCH: Final = CareLexicon(
    language="fr",
    words=_FR_WORDS,
    phrases=_FR_PHRASES,
    negators=frozenset({"ne", "n", "pas", "jamais", "rien", "aucun", "aucune", "sans", "guère"}),
    post_negators=frozenset({"pas", "jamais"}),
    boosters=frozenset(
        {"très", "trop", "vraiment", "tellement", "super", "hyper", "complètement"}
        | {"totalement", "extrêmement", "absolument", "vachement", "carrément"}
        | {"particulièrement", "franchement"}
    ),
    contrast=frozenset({"mais"}),
    gratitude=frozenset({"merci", "remercie"}),
    neutral_phrases=("bonne journée", "bonne soirée", "bon courage", "bon appétit"),
)

# --- German --------------------------------------------------------------------------------

_DE_WORDS: Final = _words(
    {
        # anger, disgust, disappointment
        "sauer": -2.0,
        "wütend": -2.7,
        "verärgert": -2.3,
        "genervt": -2.0,
        "nervig": -1.8,
        "ärgerlich": -1.8,
        "frustriert": -2.0,
        "enttäuscht": -1.9,
        "enttäuschung": -1.9,
        "enttäuschend": -2.0,
        "hasse": -2.7,
        "traurig": -2.1,
        "schande": -2.0,
        "peinlich": -1.8,
        "unverschämt": -2.6,
        "unverschämtheit": -2.6,
        "frechheit": -2.4,
        "zumutung": -2.4,
        "sauerei": -2.4,
        "skandal": -2.3,
        "skandalös": -2.4,
        "inakzeptabel": -2.0,
        "unmöglich": -1.5,
        "lächerlich": -1.5,
        "mist": -2.0,
        "scheiß{,e}": -2.5,
        # quality of the service
        "schlecht{,e,er,es,en}": -2.5,
        "schlechteste{,n}": -3.0,
        "schlimm{,e,er,es,en}": -2.3,
        "furchtbar{,e,en}": -2.5,
        "schrecklich{,e,en}": -2.5,
        "katastrophe": -2.5,
        "katastrophal{,e,en}": -2.6,
        "miserabel": -2.6,
        "mies{,e,en}": -2.3,
        "nutzlos": -1.8,
        "unfähig{,e,en}": -2.2,
        "inkompetent{,e,en}": -2.2,
        "unzuverlässig": -2.0,
        "unerreichbar": -1.4,
        "langsam": -1.2,
        "zeitverschwendung": -1.4,
        # fraud
        "betrug": -2.8,
        "betrüger": -2.8,
        "betrogen": -2.6,
        "abzocke": -2.6,
        "abgezockt": -2.6,
        "diebstahl": -2.3,
        "lüge{,n}": -2.0,
        # failures and delays
        "problem{,e}": -1.0,
        "fehler": -1.0,
        "störung": -1.5,
        "kaputt": -1.8,
        "defekt": -1.6,
        "ausfall": -1.5,
        "verspätung": -1.3,
        "verspätet": -1.3,
        "verzögerung": -1.2,
        "verloren": -1.3,
        "storniert": -1.0,
        "falsch{,e,en}": -1.2,
        "beschwerde": -1.2,
        "reklamation": -1.0,
        # praise and thanks
        "danke": 1.9,
        "dank": 1.2,
        "bedanke": 1.8,
        "gut{,e,er,es,en}": 1.9,
        "super": 2.5,
        "toll{,e,en}": 2.8,
        "klasse": 2.5,
        "prima": 2.5,
        "spitze": 2.5,
        "perfekt": 2.7,
        "ausgezeichnet": 2.7,
        "hervorragend": 2.8,
        "wunderbar": 2.8,
        "großartig": 2.8,
        "genial": 2.8,
        "schön": 2.0,
        "zufrieden": 2.0,
        "glücklich": 2.7,
        "froh": 2.0,
        "freundlich{,e,en}": 2.0,
        "nett{,e,en}": 2.0,
        "hilfsbereit{,e,en}": 2.0,
        "schnell{,e,en}": 1.0,
        "zügig": 1.0,
        "gelöst": 1.2,
        "behoben": 1.2,
        "erstattet": 0.6,
        "empfehlen": 1.5,
        "liebe": 2.5,
        "gefällt": 1.8,
    }
)

_DE_PHRASES: Final = _phrases(
    {
        # waiting and silence
        "{warte,warten} {immer noch,noch immer,seit}": -1.6,
        "{immer noch,noch immer} {nicht,kein,keine,nichts}": -1.4,
        "keine {antwort,rückmeldung,reaktion}": -1.6,
        "niemand {antwortet,meldet sich,hilft,ruft zurück}": -1.5,
        "meldet sich {niemand,keiner}": -1.5,
        "seit {tagen,wochen,monaten}": -1.0,
        # things that do not work or arrive
        "{funktioniert,geht,klappt,läuft} {nicht,nie,gar nicht}": -1.5,
        "{nicht,nie,noch nicht} {angekommen,erhalten,geliefert,bekommen}": -1.4,
        "kann mich nicht {einloggen,anmelden}": -1.3,
        "kein {netz,internet,empfang,signal,strom}": -1.4,
        "schon wieder": -1.0,
        # money, refunds and leaving
        "{doppelt,zweimal} {abgebucht,berechnet,bezahlt,belastet}": -1.8,
        "{will,möchte} mein geld zurück": -1.6,
        "mein geld zurück": -1.4,
        "wo {ist,bleibt} {meine bestellung,mein paket,meine erstattung,mein geld}": -1.2,
        "{vertrag,abo,konto} kündigen": -1.4,
        "kündige {meinen vertrag,mein abo}": -1.4,
        "nie wieder": -1.8,
        "danke für nichts": -2.6,
        # satisfaction
        "{funktioniert,geht,klappt,läuft} wieder": 1.4,
        "{vielen,herzlichen,besten} dank": 0.8,
        "danke schön": 0.8,
        "schnelle {antwort,hilfe,lieferung}": 1.6,
    }
)

GERMAN: Final = CareLexicon(
    language="de",
    words=_DE_WORDS,
    phrases=_DE_PHRASES,
    negators=frozenset(
        {"nicht", "nichts", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie"}
        | {"niemals", "niemand", "ohne", "weder", "nirgends"}
    ),
    post_negators=frozenset({"nicht", "nie", "niemals"}),
    boosters=frozenset(
        {"sehr", "so", "total", "extrem", "echt", "wirklich", "absolut", "völlig", "richtig"}
        | {"mega", "super", "äußerst", "besonders", "ziemlich", "unglaublich", "voll"}
        | {"wahnsinnig", "total"}
    ),
    contrast=frozenset({"aber"}),
    gratitude=frozenset({"danke", "dank", "bedanke"}),
    neutral_phrases=(
        "guten tag",
        "guten morgen",
        "guten abend",
        "gute nacht",
        "schönen tag",
        "schönes wochenende",
        "mit freundlichen grüßen",
        "liebe grüße",
    ),
    accent_sensitive=frozenset({"schön"}),  # "schon" (already) is another word
)

# --- Portuguese ----------------------------------------------------------------------------

_PT_WORDS: Final = _words(
    {
        # anger, disgust, disappointment
        "revoltad{o,a,os,as}": -2.3,
        "revoltante": -2.4,
        "irritad{o,a,os,as}": -2.0,
        "chatead{o,a,os,as}": -1.8,
        "furios{o,a,os,as}": -2.7,
        "decepcionad{o,a,os,as}": -1.9,
        "decepção": -1.9,
        "decepcionante": -2.0,
        "frustrad{o,a,os,as}": -2.0,
        "frustrante": -2.0,
        "odeio": -2.7,
        "triste": -2.1,
        "nojo": -2.6,
        "vergonha": -2.0,
        "vergonhos{o,a}": -2.4,
        "lamentável": -2.0,
        "inaceitável": -2.0,
        "absurdo": -1.8,
        "ridícul{o,a}": -1.5,
        "palhaçada": -2.3,
        "descaso": -2.3,
        "desrespeito": -2.3,
        "merda": -2.5,
        # quality of the service
        "ruim": -2.5,
        "ruins": -2.5,
        "péssim{o,a,os,as}": -3.0,
        "pior{,es}": -2.5,
        "horrível": -2.5,
        "horríveis": -2.5,
        "terrível": -2.1,
        "terríveis": -2.1,
        "lixo": -2.0,
        "porcaria": -2.2,
        "inútil": -1.8,
        "inúteis": -1.8,
        "incompetente{,s}": -2.2,
        "incompetência": -2.1,
        "lent{o,a}": -1.2,
        # fraud
        "golpe": -2.2,
        "fraude": -2.8,
        "roubo": -2.3,
        "ladrão": -2.8,
        "ladrões": -2.8,
        "enganad{o,a,os,as}": -2.2,
        "enganação": -2.3,
        "picaretagem": -2.5,
        "mentira{,s}": -2.0,
        "procon": -1.2,
        # failures and delays
        "problema{,s}": -1.0,
        "erro{,s}": -1.0,
        "falha{,s}": -1.3,
        "defeito": -1.6,
        "quebrad{o,a}": -1.8,
        "estragad{o,a}": -1.8,
        "atraso{,s}": -1.3,
        "atrasad{o,a}": -1.3,
        "demora": -1.2,
        "perdid{o,a}": -1.3,
        "cancelad{o,a}": -1.0,
        "errad{o,a}": -1.2,
        "reclamação": -1.2,
        "queixa": -1.2,
        # praise and thanks
        "obrigad{o,a,os,as}": 1.9,
        "obg": 1.5,
        "agradeço": 1.8,
        "agradecid{o,a}": 2.0,
        "valeu": 1.8,
        "bom": 1.9,
        "boa{,s}": 1.9,
        "bons": 1.9,
        "bem": 1.0,
        "ótim{o,a,os,as}": 2.8,
        "excelente{,s}": 2.7,
        "perfeit{o,a}": 2.7,
        "perfeitamente": 2.2,
        "maravilhos{o,a}": 2.8,
        "incrível": 2.0,
        "show": 2.0,
        "top": 2.0,
        "legal": 1.2,
        "feliz": 2.7,
        "contente{,s}": 2.3,
        "satisfeit{o,a,os,as}": 2.0,
        "gentil": 2.0,
        "simpátic{o,a}": 2.0,
        "atencios{o,a}": 2.0,
        "rápid{o,a}": 1.0,
        "rapidez": 1.2,
        "eficiente{,s}": 1.8,
        "resolvid{o,a}": 1.2,
        "reembolsad{o,a}": 0.6,
        "amo": 3.0,
        "adorei": 3.0,
        "adoro": 2.8,
        "gostei": 2.0,
        "recomendo": 1.8,
        "parabéns": 2.5,
    }
)

_PT_PHRASES: Final = _phrases(
    {
        # waiting and silence
        "{continuo,ainda,sigo} esperando": -1.6,
        "{ainda,até agora} não": -1.2,
        "até {agora,hoje} nada": -1.6,
        "{sem,nenhuma} resposta": -1.6,
        "ninguém {me ,nos ,}{responde,atende,ajuda,resolve}": -1.5,
        "não {me ,nos ,}{respondem,atendem,resolvem}": -1.5,
        "{há,faz} {dias,semanas,meses}": -1.0,
        # things that do not work or arrive
        "não {funciona,está funcionando,tá funcionando}": -1.5,
        "parou de funcionar": -1.5,
        "{não,nunca} {chegou,recebi,entregaram}": -1.4,
        "não consigo {acessar,entrar,pagar,logar}": -1.3,
        "sem {sinal,internet,serviço,luz,rede}": -1.4,
        "de novo": -0.4,
        # money, refunds and leaving
        "{cobrado,cobrada,cobraram,cobrou} {duas vezes,em dobro}": -1.8,
        "cobrança {duplicada,indevida}": -1.8,
        "quero meu dinheiro": -1.5,
        "devolvam meu dinheiro": -1.8,
        "quero {meu,o,um} reembolso": -1.0,
        "{cadê,onde está} {meu reembolso,meu pedido,minha encomenda,meu dinheiro}": -1.2,
        "cancelar {minha conta,meu plano,minha assinatura,meu contrato}": -1.4,
        "nunca mais": -1.8,
        "perda de tempo": -1.4,
        "falta de respeito": -2.3,
        "obrigad{o,a} por nada": -2.6,
        # satisfaction
        "já {funciona,funcionou,resolveu,está resolvido}": 1.4,
        "{voltou a funcionar,funcionando de novo}": 1.4,
        "muito obrigad{o,a}": 0.8,
        "{resposta,atendimento} rápido": 1.6,
        "resposta rápida": 1.6,
    }
)

PORTUGUESE: Final = CareLexicon(
    language="pt",
    words=_PT_WORDS,
    phrases=_PT_PHRASES,
    negators=frozenset(
        {"não", "nunca", "jamais", "nem", "nada", "nenhum", "nenhuma", "ninguém", "sem"}
    ),
    post_negators=frozenset({"não"}),
    boosters=frozenset(
        {"muito", "muita", "tão", "super", "extremamente", "totalmente", "realmente"}
        | {"completamente", "absolutamente", "bastante", "mega", "hiper"}
    ),
    contrast=frozenset({"mas", "porém"}),
    gratitude=frozenset({"obrigado", "obrigada", "obg", "agradeço", "valeu"}),
    neutral_phrases=("bom dia", "boa tarde", "boa noite", "boas festas", "boa sorte"),
)

# --- Italian -------------------------------------------------------------------------------

_IT_WORDS: Final = _words(
    {
        # anger, disgust, disappointment
        "arrabbiat{o,a,i,e}": -2.3,
        "furios{o,a,i,e}": -2.7,
        "incazzat{o,a,i,e}": -2.6,
        "delus{o,a,i,e}": -1.9,
        "delusione": -1.9,
        "deludente": -2.0,
        "frustrat{o,a,i,e}": -2.0,
        "stuf{o,a,i,e}": -2.2,
        "odio": -2.7,
        "triste": -2.1,
        "schifo": -2.6,
        "schifos{o,a}": -2.6,
        "schifezza": -2.4,
        "vergogna": -2.0,
        "vergognos{o,a}": -2.4,
        "vergognatevi": -2.6,
        "indecente": -2.4,
        "scandalos{o,a}": -2.4,
        "inaccettabile": -2.0,
        "assurd{o,a}": -1.8,
        "ridicol{o,a}": -1.5,
        "merda": -2.5,
        # quality of the service
        "pessim{o,a,i,e}": -3.0,
        "peggior{,e}": -2.5,
        "peggiori": -2.5,
        "peggio": -2.3,
        "brutt{o,a}": -2.0,
        "orribile": -2.5,
        "terribile": -2.1,
        "disastro": -2.5,
        "disservizio": -2.0,
        "inutile": -1.8,
        "incompetenti": -2.2,
        "incompetenza": -2.1,
        "lent{o,a}": -1.2,
        # fraud
        "truffa": -2.6,
        "truffatori": -2.8,
        "truffat{o,a}": -2.6,
        "frode": -2.8,
        "fregatura": -2.3,
        "ladri": -2.8,
        "furto": -2.3,
        "bugia": -2.0,
        # failures and delays
        "problema": -1.0,
        "problemi": -1.0,
        "errore": -1.0,
        "guasto": -1.5,
        "rott{o,a}": -1.8,
        "difettos{o,a}": -1.6,
        "ritardo": -1.3,
        "ritardi": -1.3,
        "pers{o,a}": -1.3,
        "smarrit{o,a}": -1.3,
        "annullat{o,a}": -1.0,
        "sbagliat{o,a}": -1.2,
        "reclamo": -1.2,
        "lamentela": -1.2,
        # praise and thanks
        "grazie": 1.9,
        "ringrazio": 1.8,
        "buon{o,a}": 1.9,
        "bene": 1.0,
        "ottim{o,a,i,e}": 2.8,
        "eccellente": 2.7,
        "perfett{o,a}": 2.7,
        "perfettamente": 2.2,
        "fantastic{o,a}": 2.8,
        "meraviglios{o,a}": 2.8,
        "splendid{o,a}": 2.8,
        "bellissim{o,a}": 2.8,
        "bell{o,a}": 2.0,
        "gentile": 2.0,
        "gentilissim{o,a,i,e}": 2.5,
        "cortese": 1.8,
        "content{o,a,i,e}": 2.3,
        "soddisfatt{o,a,i,e}": 2.0,
        "felice": 2.7,
        "veloce": 1.0,
        "rapid{o,a}": 1.0,
        "efficiente": 1.8,
        "risolt{o,a}": 1.2,
        "sistemat{o,a}": 1.0,
        "rimborsat{o,a}": 0.6,
        "adoro": 2.8,
        "amo": 3.0,
        "piace": 1.8,
        "piaciuto": 1.8,
        "top": 2.0,
        "brav{o,a,i,e}": 2.3,
        "complimenti": 2.5,
    }
)

_IT_PHRASES: Final = _phrases(
    {
        # waiting and silence
        "{sto ,}ancora aspettando": -1.6,
        "aspetto ancora": -1.6,
        "ancora {niente,nulla}": -1.4,
        "{nessuna,senza} risposta": -1.6,
        "nessun riscontro": -1.6,
        "nessuno {mi ,ci ,}{risponde,aiuta,richiama}": -1.5,
        "non {mi ,ci ,}{risponde,rispondete,rispondono}": -1.5,
        "da {giorni,settimane,mesi}": -1.0,
        # things that do not work or arrive
        "non funziona": -1.5,
        "{non è,mai} arrivat{o,a}": -1.4,
        "non arriva": -1.3,
        "non ho ricevuto": -1.4,
        "non riesco {ad accedere,a entrare,a pagare,a connettermi}": -1.3,
        "senza {segnale,internet,linea,luce,rete}": -1.4,
        "di nuovo": -0.4,
        # money, refunds and leaving
        "{addebitato,addebitati,pagato} due volte": -1.8,
        "addebito doppio": -1.8,
        "{rivoglio,ridatemi} i {miei ,}soldi": -1.8,
        "voglio {il,un} rimborso": -1.0,
        "dov è il mio {rimborso,ordine,pacco}": -1.2,
        "disdire {il contratto,l abbonamento}": -1.4,
        "{chiudere,disdire} il mio {account,contratto,abbonamento}": -1.4,
        "cambio operatore": -1.6,
        "mai più": -1.8,
        "perdita di tempo": -1.4,
        "grazie per {niente,nulla}": -2.6,
        # satisfaction
        "{ora,adesso} funziona": 1.4,
        "funziona di nuovo": 1.4,
        "tutto risolto": 1.4,
        "grazie {mille,davvero,infinite,tante}": 0.8,
        "risposta {veloce,rapida}": 1.6,
    }
)

ITALIAN: Final = CareLexicon(
    language="it",
    words=_IT_WORDS,
    phrases=_IT_PHRASES,
    negators=frozenset(
        {"non", "mai", "niente", "nulla", "nessuno", "nessuna", "nessun", "senza", "né"}
    ),
    post_negators=frozenset(),
    boosters=frozenset(
        {"molto", "tanto", "troppo", "davvero", "veramente", "proprio", "super"}
        | {"estremamente", "totalmente", "assolutamente", "completamente", "così"}
        | {"particolarmente", "parecchio"}
    ),
    contrast=frozenset({"ma", "però"}),
    gratitude=frozenset({"grazie", "ringrazio"}),
    neutral_phrases=("buona giornata", "buona serata", "buona sera", "buon giorno", "buon lavoro"),
)

LEXICONS: Final[Mapping[str, CareLexicon]] = {
    lexicon.language: lexicon for lexicon in (SPANISH, FRENCH, GERMAN, PORTUGUESE, ITALIAN)
}
